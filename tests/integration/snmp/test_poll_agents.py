"""Polling real agents: Debian snmpd (v2c, v3 authPriv) and snmpsim recordings; failure classes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY

from netscope_snmp.inventory import Inventory, parse_device
from netscope_snmp.lab import LabAgent, free_udp_port
from netscope_snmp.poller import Poller
from netscope_snmp.runtime import SnmpRuntime
from netscope_snmp.sample import Reachability
from netscope_snmp.state import FleetState
from netscope_snmp.transport import SnmpClient

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def device(device_id: str, port: int, **fields: object) -> dict[str, object]:
    """Inventory mapping of a loopback device."""
    return {"id": device_id, "address": "127.0.0.1", "port": port, **fields}


V3 = {"version": "v3", "user": "netops", "auth_key": "authpass123", "priv_key": "privpass123"}


@pytest.fixture
async def poller() -> AsyncIterator[Poller]:
    client = SnmpClient()
    yield Poller(client, concurrency=16, timeout_seconds=2.0, retries=1)
    client.close()


async def test_snmpd_v2c_full_poll(poller: Poller, snmpd_agent: LabAgent) -> None:
    result = await poller.poll(parse_device(device("lab", snmpd_agent.port, community="public")))
    assert result.status is Reachability.UP, result.detail
    assert result.sys_name == "netscope-lab"
    assert result.uptime_ticks is not None and result.uptime_ticks > 0
    lo = next(i for i in result.interfaces if i.name == "lo")
    assert lo.counter_bits == 64 and lo.in_octets is not None and lo.in_octets > 0
    assert lo.oper_status == "up" and lo.admin_status == "up"
    assert any(s.kind == "ram" for s in result.storage)
    assert result.memory_percent is not None and 0 < result.memory_percent < 100
    # hrProcessorLoad appears about a minute after snmpd starts; the net-snmp profile covers the gap.
    assert result.cpu_percent is not None or result.profile == "net-snmp"


async def test_snmpd_v3_auth_priv(poller: Poller, snmpd_agent: LabAgent) -> None:
    result = await poller.poll(parse_device(device("lab-v3", snmpd_agent.port, **V3)))
    assert result.status is Reachability.UP, result.detail
    assert result.sys_name == "netscope-lab" and result.interfaces


async def test_wrong_v3_key_is_auth_failure_not_down(poller: Poller, snmpd_agent: LabAgent) -> None:
    bad = parse_device(device("bad-key", snmpd_agent.port, **{**V3, "auth_key": "s3cret-wrong-key"}))
    good = parse_device(device("good-key", snmpd_agent.port, **V3))
    bad_result, good_result = await poller.poll_many([bad, good])
    assert bad_result.status is Reachability.AUTH_FAILURE
    assert bad_result.detail == "SNMPv3 authentication failed: Wrong SNMP PDU digest"
    assert "s3cret" not in repr(bad_result) and "s3cret" not in repr(bad)
    # Same user name with the right keys, polled at the same time, still works.
    assert good_result.status is Reachability.UP, good_result.detail


async def test_unknown_v3_user_is_auth_failure(poller: Poller, snmpd_agent: LabAgent) -> None:
    result = await poller.poll(parse_device(device("nouser", snmpd_agent.port, **{**V3, "user": "intruder"})))
    assert result.status is Reachability.AUTH_FAILURE
    assert "Unknown USM user" in result.detail


async def test_wrong_community_says_unreachable_or_wrong_community(snmpd_agent: LabAgent) -> None:
    client = SnmpClient()
    try:
        poller = Poller(client, timeout_seconds=0.5, retries=0)
        result = await poller.poll(parse_device(device("badcomm", snmpd_agent.port, community="letmein")))
    finally:
        client.close()
    assert result.status is Reachability.UNREACHABLE
    assert result.detail == "no answer (0.5s x 1 attempts): unreachable or wrong community"
    assert "letmein" not in result.detail


async def test_dead_device_is_unreachable_within_timeout_and_does_not_delay_others(
    snmpd_agent: LabAgent, closed_port: int
) -> None:
    client = SnmpClient()
    poller = Poller(client, concurrency=8, timeout_seconds=1.0, retries=1)
    dead = parse_device(device("dead", closed_port, **V3))
    good = [parse_device(device(f"good-{i}", snmpd_agent.port, community="public")) for i in range(3)]
    try:
        started = time.perf_counter()
        results = await poller.poll_many([dead, *good])
        total = time.perf_counter() - started
    finally:
        client.close()
    assert results[0].status is Reachability.UNREACHABLE
    assert results[0].detail == "no answer (1s x 2 attempts): unreachable"
    assert total < 1.0 * 2 + 1.0  # bounded by timeout x attempts (+ scheduling slack)
    assert all(r.status is Reachability.UP for r in results[1:])
    assert all(r.duration_seconds < 1.0 for r in results[1:]), [r.duration_seconds for r in results[1:]]


async def test_snmpsim_linux_recording_v2c_and_v3(poller: Poller, snmpsim_agent: LabAgent) -> None:
    name = "recorded/linux-full-walk"
    v2c = parse_device(device("sim", snmpsim_agent.port, community=name))
    v3 = parse_device(device("sim-v3", snmpsim_agent.port, context=name, **V3))
    r2, r3 = await asyncio.gather(poller.poll(v2c), poller.poll(v3))
    for result in (r2, r3):
        assert result.status is Reachability.UP, result.detail
        assert result.sys_name == "tt" and result.uptime_ticks == 233425120
        eth0 = next(i for i in result.interfaces if i.name == "eth0")
        assert eth0.counter_bits == 64 and eth0.in_octets == 24167091249
        assert result.cpu_percent == pytest.approx(11.0)  # hrProcessorLoad 13 and 9
        assert result.memory_percent is not None


async def test_snmpsim_without_ifxtable_uses_32bit_counters(poller: Poller, snmpsim_agent: LabAgent) -> None:
    result = await poller.poll(parse_device(device("xp", snmpsim_agent.port, community="recorded/winxp-full-walk")))
    assert result.status is Reachability.UP, result.detail
    assert result.interfaces and all(i.counter_bits == 32 for i in result.interfaces)


async def test_garbage_values_give_partial_data_with_notes(poller: Poller, snmpsim_agent: LabAgent) -> None:
    result = await poller.poll(parse_device(device("junk", snmpsim_agent.port, community="garbage")))
    assert result.status is Reachability.UP and result.partial
    assert "ifIndex 1 hc_in_octets is not a number (OctetString)" in result.notes
    assert "ifIndex 1 oper_status is not a number (OctetString)" in result.notes
    eth0 = result.interfaces[0]
    assert eth0.name == "eth0" and eth0.oper_status == "unknown"


async def test_no_such_object_gives_partial_data_with_note(poller: Poller, snmpsim_agent: LabAgent) -> None:
    # A system-only agent: no IF-MIB, no HOST-RESOURCES; the forced net-snmp profile GETs objects the
    # agent does not have and receives noSuchObject values.
    bare = parse_device(device("bare", snmpsim_agent.port, community="system-only", profile="net-snmp"))
    result = await poller.poll(bare)
    assert result.status is Reachability.UP and result.partial
    assert result.sys_name == "bare"
    assert "IF-MIB ifTable/ifXTable returned no interfaces" in result.notes
    assert "net-snmp ss_cpu_idle (1.3.6.1.4.1.2021.11.11.0) is missing" in result.notes
    assert "CPU and memory unknown: neither HOST-RESOURCES nor profile net-snmp" in result.notes
    assert "sys_object_id (1.3.6.1.2.1.1.2.0) is missing on the agent" in result.notes


@pytest.mark.parametrize("community", ["public", "recorded/linux-full-walk", "garbage"])
async def test_native_v2c_codec_reads_what_pysnmp_reads(
    snmpd_agent: LabAgent, snmpsim_agent: LabAgent, community: str
) -> None:
    port = snmpd_agent.port if community == "public" else snmpsim_agent.port
    dev = parse_device(device("same", port, community=community))
    native, reference = SnmpClient(), SnmpClient(native_v2c=False)
    try:
        # pysnmp reads before and after the native codec: a live snmpd's memory sizes (cached, available)
        # move between polls, so a size is compared only where both reference reads agree on it.
        slow = await Poller(reference).poll(dev)
        fast = await Poller(native).poll(dev)
        slow_after = await Poller(reference).poll(dev)
    finally:
        native.close()
        reference.close()
    assert fast.status is slow.status is Reachability.UP
    assert (fast.sys_name, fast.sys_object_id, fast.requests) == (slow.sys_name, slow.sys_object_id, slow.requests)
    assert fast.notes == slow.notes
    static = [(i.index, i.name, i.alias, i.if_type, i.speed_bps, i.counter_bits) for i in fast.interfaces]
    assert static == [(i.index, i.name, i.alias, i.if_type, i.speed_bps, i.counter_bits) for i in slow.interfaces]
    assert [(s.descr, s.kind) for s in fast.storage] == [(s.descr, s.kind) for s in slow.storage]
    stable = {s.descr: s.size_bytes for s in slow.storage}.items() & {
        s.descr: s.size_bytes for s in slow_after.storage
    }.items()
    assert stable <= {(s.descr, s.size_bytes) for s in fast.storage}
    if community == "public":  # disks and total RAM hold still on a live agent
        assert "Physical memory" in {descr for descr, _ in stable}
    else:  # recorded agents replay fixed values: every size is compared
        assert len(stable) == len(fast.storage)


async def test_dead_devices_do_not_starve_live_ones_and_are_skipped_fast_later(snmpd_agent: LabAgent) -> None:
    """30 live devices and 10 dead ones through 4 walk slots: one cycle settles all of them."""
    live = [parse_device(device(f"live-{i}", snmpd_agent.port, community="public")) for i in range(30)]
    dead = [parse_device(device(f"dead-{i}", free_udp_port(), community="public")) for i in range(10)]
    client = SnmpClient()
    poller = Poller(client, concurrency=4, timeout_seconds=0.5, retries=1, full_walk_every=1)
    unreachable_before = REGISTRY.get_sample_value("netscope_snmp_polls_total", {"status": "unreachable"}) or 0
    try:
        first = await poller.poll_many([*dead, *live])
        second = await poller.poll_many([*dead, *live])
    finally:
        client.close()
    unreachable_after = REGISTRY.get_sample_value("netscope_snmp_polls_total", {"status": "unreachable"})
    assert unreachable_after == unreachable_before + 20
    assert REGISTRY.get_sample_value("netscope_snmp_walk_limit") == poller.limit.limit
    for cycle in (first, second):
        assert [r.status for r in cycle[10:]] == [Reachability.UP] * 30, [r.detail for r in cycle[10:]]
        assert [r.status for r in cycle[:10]] == [Reachability.UNREACHABLE] * 10
    # A dead device costs one probe (never a walk slot); once known dead, a single attempt.
    assert {(r.requests, r.detail) for r in first[:10]} == {
        (1, "no answer (0.5s x 2 attempts): unreachable or wrong community")
    }
    assert {(r.requests, r.detail) for r in second[:10]} == {
        (1, "no answer (0.5s x 1 attempts): unreachable or wrong community")
    }
    # Live devices known to answer are walked without a probe on the second cycle.
    assert all(b.requests == a.requests - 1 for a, b in zip(first[10:], second[10:], strict=True))
    assert poller.consecutive_unreachable("dead-0") == 2 and poller.consecutive_unreachable("live-0") == 0
    assert poller.limit.in_flight == 0 and poller.limit.minimum <= poller.limit.limit <= 4


async def test_unreachable_device_backs_off_its_interval(tmp_path: Path) -> None:
    inv = tmp_path / "inventory.yaml"
    inv.write_text(
        yaml.safe_dump({"devices": [device("gone", free_udp_port(), community="c", poll_interval_seconds=10)]})
    )
    client = SnmpClient()
    runtime = SnmpRuntime(
        Inventory(inv, None), Poller(client, timeout_seconds=0.2, retries=0), FleetState(), max_backoff_seconds=35
    )
    config = runtime.state.devices["gone"].config
    try:
        intervals = []
        for _ in range(4):
            await runtime.poll_now([config])
            intervals.append(runtime.next_interval(config))
    finally:
        client.close()
    assert intervals == [10, 20, 35, 35]


async def test_light_walks_between_full_walks_give_the_same_answer(snmpd_agent: LabAgent) -> None:
    dev = parse_device(device("light", snmpd_agent.port, community="public"))
    client = SnmpClient()
    poller = Poller(client, full_walk_every=3)
    try:
        results = [await poller.poll(dev) for _ in range(4)]
    finally:
        client.close()
    assert all(r.status is Reachability.UP for r in results), [r.detail for r in results]
    full, light, light2, full2 = (r.requests for r in results)
    assert light < full - 1 and light2 == light and full2 == full - 1  # the first poll also probed
    names = [[(i.index, i.name, i.speed_bps, i.counter_bits) for i in r.interfaces] for r in results]
    assert names[1] == names[0] == names[3] and names[0]
    assert [s.descr for s in results[1].storage] == [s.descr for s in results[0].storage]
    assert results[1].memory_percent is not None and results[1].notes == results[0].notes


async def test_poll_metrics_count_unreachable_devices_and_polls_longer_than_their_interval(
    snmpd_agent: LabAgent, closed_port: int
) -> None:
    client = SnmpClient()
    poller = Poller(client, concurrency=8, timeout_seconds=0.6, retries=1)
    dead = parse_device(device("dead-fast", closed_port, community="public", poll_interval_seconds=1))
    good = parse_device(device("good", snmpd_agent.port, community="public", poll_interval_seconds=60))
    overruns = REGISTRY.get_sample_value("netscope_snmp_poll_overruns_total") or 0.0
    polls = REGISTRY.get_sample_value("netscope_snmp_poll_seconds_count") or 0.0
    try:
        results = await poller.poll_many([dead, good])
    finally:
        client.close()
    assert [r.status for r in results] == [Reachability.UNREACHABLE, Reachability.UP]
    assert results[0].duration_seconds > 1  # 0.6 s x 2 attempts, longer than its 1 s interval
    assert REGISTRY.get_sample_value("netscope_snmp_unreachable_devices") == 1
    assert REGISTRY.get_sample_value("netscope_snmp_poll_overruns_total") == overruns + 1
    assert REGISTRY.get_sample_value("netscope_snmp_poll_seconds_count") == polls + 2
    poller.forget("dead-fast")
    assert REGISTRY.get_sample_value("netscope_snmp_unreachable_devices") == 0
