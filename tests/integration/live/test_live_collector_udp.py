"""The collector receives real NetFlow v5 / v9 / IPFIX datagrams on loopback."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from prometheus_client import generate_latest

from netscope_live.collector import Collector
from netscope_live.ingest import MemorySink
from netscope_live.main import build_source
from netscope_live.netflow import NetflowDecoder
from netscope_live.netflow.encode import ExportFlow, IpfixEncoder, V9Encoder, encode_v5
from netscope_live.settings import LiveSettings
from netscope_live.table import FlowTable

pytestmark = pytest.mark.integration


@pytest.fixture
async def collector() -> AsyncIterator[Collector]:
    c = Collector(NetflowDecoder(), FlowTable(), sweep_seconds=0.2)
    await c.start("127.0.0.1", 0)
    yield c
    await c.stop()


def sender(source_ip: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((source_ip, 0))
    return sock


async def wait_for(predicate: Callable[[], bool]) -> None:
    """Poll for up to 5 s."""
    for _ in range(500):
        if predicate():
            return
        await asyncio.sleep(0.01)
    assert predicate(), "condition not reached within 5 s"


def world(now: float) -> list[ExportFlow]:
    return [
        ExportFlow(
            "192.168.1.10",
            "8.8.8.8",
            51000,
            443,
            6,
            12_000,
            20,
            now - 20,
            now - 1,
            src_mac="00:1b:63:84:45:e6",
            l7_proto=91,
        ),
        ExportFlow("192.168.1.10", "8.8.4.4", 51001, 53, 17, 300, 3, now - 5, now - 4),
        ExportFlow("192.168.1.11", "192.168.1.1", 40000, 22, 6, 5_000, 40, now - 60, now - 2),
    ]


@pytest.mark.parametrize("version", [5, 9, 10])
async def test_live_tables_match_what_was_sent(collector: Collector, version: int) -> None:
    assert collector.address is not None
    now = time.time()
    flows = world(now)
    sock = sender("127.0.0.5")
    if version == 5:
        packets = [
            encode_v5(flows, sequence=0, export_time=now),
            encode_v5(flows, sequence=3, export_time=now),
        ]
    elif version == 9:
        v9 = V9Encoder(source_id=1)
        packets = [
            v9.packet(v9.template_set(), now),
            v9.packet(v9.data_sets(flows, now), now),
            v9.packet(v9.data_sets(flows, now), now),
        ]
    else:
        ipfix = IpfixEncoder(domain=1)
        sets, n = ipfix.data_sets(flows)
        packets = [
            ipfix.message(ipfix.template_set(), now, 0),
            ipfix.message(sets, now, n),
            ipfix.message(sets, now, n),
        ]
    with sock:
        for packet in packets:
            sock.sendto(packet, collector.address)
    table = collector.table
    await wait_for(lambda: table.counters.records == 6)
    assert len(table.flows) == 3  # each flow sent twice, counted once
    host = table.hosts["192.168.1.10"]
    assert host.bytes_sent == 2 * (12_000 + 300) and host.flows_as_client == 2 and host.active_flows == 2
    assert table.hosts["8.8.8.8"].bytes_rcvd == 24_000 and table.hosts["8.8.8.8"].country == "US"
    assert table.hosts["192.168.1.1"].server_ports == {(6, 22): 1}
    stats = collector.decoder.stats["127.0.0.5"]
    assert stats.records == 6 and stats.lost_records == 0 and stats.lost_packets == 0
    assert table.apps["TLS"].bytes_sent == 24_000 and table.apps["DNS"].flows == 1 and table.apps["SSH"].flows == 1


async def test_bad_datagrams_are_counted_and_the_collector_keeps_running(collector: Collector) -> None:
    assert collector.address is not None
    now = time.time()
    v9 = V9Encoder()
    good = v9.packet(v9.template_set() + v9.data_sets(world(now), now), now)
    with sender("127.0.0.6") as sock:
        cut = v9.packet(v9.data_sets(world(now), now), now)[:-3]
        for bad in (b"", b"\x00\x05", good[:27], b"\x00\x0a" + b"\xff" * 40, cut):
            sock.sendto(bad, collector.address)
        ipfix = IpfixEncoder(domain=42)
        sets, n = ipfix.data_sets(world(now))
        sock.sendto(ipfix.message(sets, now, n), collector.address)  # no template for domain 42 yet
        sock.sendto(good, collector.address)
    await wait_for(lambda: "127.0.0.6" in collector.decoder.stats and collector.decoder.stats["127.0.0.6"].packets == 7)
    stats = collector.decoder.stats["127.0.0.6"]
    assert stats.truncated_packets + stats.malformed_packets == 5
    assert stats.sets_without_template == 1
    assert stats.records == 3 and collector.running
    assert len(collector.table.flows) == 3


async def test_flows_expire_into_ingest(collector: Collector) -> None:
    assert collector.address is not None
    exported: list[int] = []
    collector.table.on_export = lambda flow, nbytes, npackets, final: exported.append(nbytes)
    collector.table.config = type(collector.table.config)(idle_timeout=0.3)
    now = time.time()
    with sender("127.0.0.7") as sock:
        sock.sendto(encode_v5(world(now), sequence=0, export_time=now), collector.address)
    await wait_for(lambda: len(exported) == 3)
    assert sorted(exported) == [300, 5_000, 12_000] and collector.table.flows == {}


async def test_bind_error_is_clear() -> None:
    first = Collector(NetflowDecoder(), FlowTable())
    host, port = await first.start("127.0.0.1", 0)
    try:
        with pytest.raises(OSError, match=rf"cannot bind the NetFlow/IPFIX collector to UDP 127.0.0.1:{port}"):
            await Collector(NetflowDecoder(), FlowTable()).start(host, port)
    finally:
        await first.stop()


async def test_one_wakeup_drains_many_datagrams_into_one_batch(collector: Collector) -> None:
    assert collector.address is not None
    now = time.time()
    v9 = V9Encoder(source_id=3)
    template = v9.packet(v9.template_set(), now)
    data = [v9.packet(v9.data_sets(world(now), now), now) for _ in range(100)]
    with sender("127.0.0.7") as sock:  # all sent before the loop runs again: they wait in the socket buffer
        for packet in [template, *data]:
            sock.sendto(packet, collector.address)
    await wait_for(lambda: collector.counters.datagrams == 101)
    assert collector.decoder.stats["127.0.0.7"].records == 300 and len(collector.table.flows) == 3
    assert collector.counters.wakeups < 101  # up to DATAGRAMS_PER_WAKEUP per read, not one each
    assert collector.counters.internal_errors == 0


async def test_collector_counters_are_exported_as_metrics(tmp_path: Path) -> None:
    settings = LiveSettings(collector_port=0, settings_dir=tmp_path)
    source = build_source(settings, MemorySink())
    await source.start()
    try:
        address = source.collector.address
        assert address is not None
        now = time.time()
        v9 = V9Encoder()
        with sender("127.0.0.8") as sock:
            sock.sendto(v9.packet(v9.template_set() + v9.data_sets(world(now), now), now), address)
            sock.sendto(b"\x00\x05", address)
        await wait_for(lambda: "127.0.0.8" in source.collector.decoder.stats)
        await wait_for(lambda: source.collector.decoder.stats["127.0.0.8"].packets == 2)
        text = generate_latest().decode()
    finally:
        await source.stop()
    assert "netscope_live_collector_records_total 3.0" in text
    assert "netscope_live_collector_datagrams_total 2.0" in text
    assert "netscope_live_collector_malformed_packets_total" in text
    for reason in ("sequence_gap", "table_full", "ingest_queue_full", "ingest_failed"):
        assert f'netscope_live_collector_drops_total{{reason="{reason}"}} 0.0' in text
