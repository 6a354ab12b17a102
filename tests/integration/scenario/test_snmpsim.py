"""snmpsim serves the scenario's recordings and Debian's snmpwalk/snmpbulkwalk read them back."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from netscope_scenario.world import World

pytestmark = pytest.mark.integration


def _walk(tool: str, agent, community: str, oid: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    out = subprocess.run(
        [tool, "-v2c", "-c", community, "-Onqte", "-t", "2", "-r", "1", agent.endpoint, oid],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    values = {}
    for line in out.splitlines():
        key, _, value = line.partition(" ")
        if value.startswith("No more variables"):  # end-of-MIB marker after the last OID
            continue
        values[key.lstrip(".")] = value.strip().strip('"')
    return values


def _recording(path: Path) -> dict[str, tuple[str, str]]:
    rec = {}
    for line in path.read_text().splitlines():
        oid, tag, value = line.split("|", 2)
        rec[oid] = (tag, value)
    return rec


@pytest.mark.parametrize("tool", ["snmpwalk", "snmpbulkwalk"])
def test_walks_read_back_the_recording(snmpsim_agent, scenario_dir: Path, tool: str) -> None:  # type: ignore[no-untyped-def]
    rec = _recording(scenario_dir / "snmp" / "hq-sw-1.snmprec")
    walked = _walk(tool, snmpsim_agent, "hq-sw-1", "1.3.6.1")
    assert len(walked) == len(rec)
    for oid, (tag, value) in rec.items():
        if tag in ("2", "65", "66", "67", "70"):
            assert int(walked[oid]) == int(value), oid
        elif tag == "4":
            assert walked[oid] == value, oid


def test_hc_counters_and_statuses_over_snmp(snmpsim_agent, scenario_dir: Path, scenario_world: World) -> None:  # type: ignore[no-untyped-def]
    rec = _recording(scenario_dir / "snmp" / "hq-sw-2.snmprec")
    hc_in = _walk("snmpbulkwalk", snmpsim_agent, "hq-sw-2", "1.3.6.1.2.1.31.1.1.1.6")
    assert hc_in and all(int(v) == int(rec[o][1]) for o, v in hc_in.items())
    oper = _walk("snmpwalk", snmpsim_agent, "hq-sw-2", "1.3.6.1.2.1.2.2.1.8")
    assert oper["1.3.6.1.2.1.2.2.1.8.5"] == "2" and oper["1.3.6.1.2.1.2.2.1.8.1"] == "1"
    name = _walk("snmpwalk", snmpsim_agent, "hq-srv-1", "1.3.6.1.2.1.1.5")
    assert name == {"1.3.6.1.2.1.1.5.0": "hq-srv-1"}
    load = _walk("snmpwalk", snmpsim_agent, "hq-srv-1", "1.3.6.1.2.1.25.3.3.1.2")
    assert len(load) == scenario_world.devices["hq-srv-1"].cpu_count


def test_the_unresponsive_device_times_out(snmpsim_agent) -> None:  # type: ignore[no-untyped-def]
    result = subprocess.run(
        ["snmpget", "-v2c", "-c", "br1-sw-1", "-t", "1", "-r", "0", snmpsim_agent.endpoint, "1.3.6.1.2.1.1.5.0"],
        capture_output=True, text=True, timeout=20, check=False,
    )  # fmt: skip
    assert result.returncode != 0 and "Timeout" in result.stderr


def test_live_recordings_grow_at_the_worlds_rate(  # type: ignore[no-untyped-def]
    tmp_path: Path, scenario_world: World, run_dir: Path, snmpsim_factory
) -> None:
    import time

    from netscope_scenario.counters import Counters
    from netscope_scenario.render import snmprec

    counters = Counters(scenario_world.start_epoch, scenario_world.minutes)
    for f in scenario_world.flows():
        counters.add(f)
    data = tmp_path / "live"
    data.mkdir()
    dev = scenario_world.devices["br1-rtr-1"]
    (data / f"{dev.id}.snmprec").write_text(snmprec.render_device(scenario_world, counters, dev, live=True))
    agent = snmpsim_factory(data, run_dir / "logs", probe_community=dev.id)
    try:
        oid = "1.3.6.1.2.1.31.1.1.1.10.1"
        first = int(_walk("snmpget", agent, dev.id, oid)[oid])
        time.sleep(2)
        second = int(_walk("snmpget", agent, dev.id, oid)[oid])
    finally:
        agent.process.stop()
    rate = snmprec.interface_state(scenario_world, counters, dev, dev.interface(1)).out_rate
    assert second > first
    assert 0.5 * rate <= (second - first) / 2 <= 2 * rate
