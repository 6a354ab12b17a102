"""Fixtures of the ntopng REST client's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fixtures.ntopng.fake_ntopng import FakeNtopng, running_fake_ntopng


@pytest.fixture
def fake_ntopng() -> Iterator[FakeNtopng]:
    """A FAKE ntopng (recorded real responses) on a free loopback port."""
    with running_fake_ntopng() as fake:
        yield fake
