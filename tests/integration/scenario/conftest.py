"""Fixtures for the scenario integration tests: the scenario world and snmpsim serving its recordings."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from netscope_scenario.output import generate
from netscope_scenario.world import World, build_world
from tests.support.snmpsim import SnmpSim, start_snmpsim

END = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def scenario_world() -> World:
    return build_world(11, 6, END, 600)


@pytest.fixture(scope="session")
def scenario_dir(tmp_path_factory: pytest.TempPathFactory, scenario_world: World) -> Path:
    out = tmp_path_factory.mktemp("scenario-int")
    generate(scenario_world, out, snmp_live=False)
    return out


@pytest.fixture(scope="session")
def snmpsim_agent(scenario_dir: Path, run_dir: Path) -> Iterator[SnmpSim]:
    if shutil.which("snmpget") is None:
        pytest.fail("net-snmp tools missing: install the Debian packages in scripts/apt-packages.txt (snmp)")
    agent = start_snmpsim(scenario_dir / "snmp", run_dir / "logs", probe_community="hq-rtr-1")
    yield agent
    agent.process.stop()


@pytest.fixture(scope="session")
def snmpsim_factory():  # type: ignore[no-untyped-def]
    """`start_snmpsim` for tests that serve their own recordings (stop the agent when done)."""
    return start_snmpsim
