"""Time windows and value rendering."""

from __future__ import annotations

import ipaddress
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from netscope.common.v1 import common_pb2
from netscope_common.errors import InvalidArgument
from netscope_common.timeutil import make_window, resolve_window
from netscope_common.values import to_value

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_missing_bounds_default_to_the_last_span() -> None:
    start, end = resolve_window(common_pb2.TimeWindow(), default_span=timedelta(hours=2), now=NOW)
    assert (start, end) == (NOW - timedelta(hours=2), NOW)


def test_inverted_window_is_refused_with_both_bounds() -> None:
    with pytest.raises(InvalidArgument) as err:
        resolve_window(make_window(NOW, NOW - timedelta(hours=1)), now=NOW)
    assert "is not before end" in err.value.message
    assert err.value.field == "window"


def test_window_longer_than_allowed_is_refused() -> None:
    with pytest.raises(InvalidArgument, match="longer than the allowed 1 days"):
        resolve_window(make_window(NOW - timedelta(days=3), NOW), max_span=timedelta(days=1), now=NOW)


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        (None, "null_value", 0),
        (True, "bool_value", True),
        (42, "number_value", 42),
        (2**63, "string_value", str(2**63)),
        (1.5, "number_value", 1.5),
        (datetime(2026, 1, 1, tzinfo=UTC), "string_value", "2026-01-01T00:00:00+00:00"),
        (ipaddress.IPv4Address("10.1.2.42"), "string_value", "10.1.2.42"),
        (uuid.UUID(int=1), "string_value", str(uuid.UUID(int=1))),
        (b"\xff\xfeabc", "string_value", "\ufffd\ufffdabc"),
    ],
)
def test_values_render_json_typed(value: object, kind: str, expected: object) -> None:
    rendered = to_value(value)
    assert rendered.WhichOneof("kind") == kind
    assert getattr(rendered, kind) == expected


def test_lists_and_maps_nest() -> None:
    rendered = to_value({"a": [1, "x"]})
    assert rendered.struct_value.fields["a"].list_value.values[1].string_value == "x"
