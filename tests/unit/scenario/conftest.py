"""A small generated scenario shared by the scenario unit tests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from netscope_scenario.output import generate
from netscope_scenario.world import World, build_world

END = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SMALL = {"seed": 7, "hours": 24.0, "end": END, "flows_per_hour": 600}  # ~1.8e4 flows in all


@pytest.fixture(scope="session")
def small() -> dict:
    """Arguments of the small test world."""
    return dict(SMALL)


@pytest.fixture(scope="session")
def world() -> World:
    return build_world(**SMALL)


@pytest.fixture(scope="session")
def out_dir(tmp_path_factory: pytest.TempPathFactory, world: World) -> Path:
    out = tmp_path_factory.mktemp("scenario")
    generate(world, out, snmp_live=False)
    return out
