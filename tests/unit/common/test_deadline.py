"""The kit's deadline: the time left of the call being served, for backend clients."""

from __future__ import annotations

from netscope_common.deadline import deadline_in, time_left


def test_time_left_inside_and_outside_a_deadline() -> None:
    assert time_left() is None
    with deadline_in(5):
        left = time_left()
        assert left is not None and 4 < left <= 5
        with deadline_in(60):  # an outer, earlier deadline wins
            inner = time_left()
            assert inner is not None and inner <= 5
        with deadline_in(1):
            shorter = time_left()
            assert shorter is not None and shorter <= 1
    assert time_left() is None
    with deadline_in(-1):
        assert time_left() == 0.0
