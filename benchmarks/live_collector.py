"""Live collector benchmarks: decode+table rate, UDP loss point, query latency and memory at 100k flows.

Run: uv run python benchmarks/live_collector.py [--quick]
Prints one line per figure; docs/benchmarks.md records a run.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing as mp
import os
import socket
import statistics
import time
import tracemalloc
from multiprocessing.connection import Connection

from netscope.live.v1 import live_pb2 as pb
from netscope_live.collector import Collector
from netscope_live.collector_source import CollectorSource
from netscope_live.ingest import MemorySink
from netscope_live.netflow import NetflowDecoder
from netscope_live.netflow.encode import ExportFlow, IpfixEncoder, V9Encoder, encode_v5
from netscope_live.settings import LiveSettings
from netscope_live.table import FlowTable

RECORDS_PER_PACKET = 24


def flows_for(batch: int, distinct: bool, now: float) -> list[ExportFlow]:
    """24 flows; `distinct` makes every batch new flows/hosts, else they repeat (steady state)."""
    j = batch if distinct else batch % 50
    return [
        ExportFlow(
            f"10.{j % 200}.{i}.{(j // 200) % 250}",
            f"{(j % 220) + 1}.{i}.{j % 250}.8",
            1024 + i,
            443,
            6,
            1500 * (i + 1),
            i + 2,
            now - 10,
            now - 1,
            src_mac="00:1b:63:84:45:e6",
            l7_proto=91,
        )
        for i in range(RECORDS_PER_PACKET)
    ]


def packets(version: int, count: int, distinct: bool) -> list[bytes]:
    """Export packets (templates first) carrying `count` batches of 24 records."""
    now = time.time()
    out: list[bytes] = []
    if version == 5:
        return [encode_v5(flows_for(b, distinct, now), sequence=b * 24, export_time=now) for b in range(count)]
    if version == 9:
        v9 = V9Encoder()
        out.append(v9.packet(v9.template_set(), now))
        out += [v9.packet(v9.data_sets(flows_for(b, distinct, now), now), now) for b in range(count)]
        return out
    ipfix = IpfixEncoder()
    out.append(ipfix.message(ipfix.template_set(), now, 0))
    for b in range(count):
        sets, n = ipfix.data_sets(flows_for(b, distinct, now))
        out.append(ipfix.message(sets, now, n))
    return out


def decode_and_table_rate(count: int) -> None:
    """Records/s decoded and merged into the table on one core (no sockets)."""
    for version in (5, 9, 10):
        for distinct in (True, False):
            data = packets(version, count, distinct)
            decoder, table = NetflowDecoder(), FlowTable()
            table.geo.country("8.8.8.8")  # load the geo and OUI tables outside the timing
            table.vendors.vendor("00:1b:63:84:45:e6")
            start = time.perf_counter()
            for p in data:
                table.add(decoder.decode(p, "127.0.0.1"))
            elapsed = time.perf_counter() - start
            rate = table.counters.records / elapsed
            kind = "new flows+hosts" if distinct else "updates"
            print(f"decode+table v{version} {kind:15s}: {rate:9,.0f} records/s  ({len(table.flows):,} flows)")


def _collector_child(port: int, conn: Connection) -> None:
    async def run() -> None:
        collector = Collector(NetflowDecoder(), FlowTable(), sweep_seconds=3600)
        await collector.start("127.0.0.1", port)
        loop = asyncio.get_running_loop()
        conn.send("ready")
        while True:
            command = await loop.run_in_executor(None, conn.recv)
            if command == "stop":
                break
            stats = collector.decoder.stats.get("127.0.0.1")
            conn.send((stats.records if stats else 0, stats.lost_records if stats else 0))
        await collector.stop()

    asyncio.run(run())


def loss_point(seconds: float, rates: list[int]) -> None:
    """Send IPFIX at increasing record rates to a collector process; report what arrived."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    parent, child = mp.Pipe()
    proc = mp.Process(target=_collector_child, args=(port, child), daemon=True)
    proc.start()
    assert parent.poll(30) and parent.recv() == "ready"
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    data = packets(10, 2000, False)
    sock.sendto(data[0], ("127.0.0.1", port))
    before = 0
    time.sleep(0.2)
    for rate in rates:
        pps = rate / RECORDS_PER_PACKET
        total = int(pps * seconds)
        start = time.perf_counter()
        for i in range(total):
            sock.sendto(data[1 + i % 2000], ("127.0.0.1", port))
            target = start + (i + 1) / pps
            while time.perf_counter() < target:
                pass
        time.sleep(1.0)
        parent.send("stats")
        received, _ = parent.recv()
        got = received - before
        before = received
        sent = total * RECORDS_PER_PACKET
        print(f"offered {rate:7,d} records/s for {seconds:g} s: received {got / sent:6.1%} ({got:,}/{sent:,})")
    parent.send("stop")
    proc.join(10)
    sock.close()


def query_latency_and_memory(n_flows: int) -> None:
    """ListHosts / GetHost / ListFlows latency and table memory with `n_flows` live flows."""
    now = time.time()
    data = packets(9, n_flows // RECORDS_PER_PACKET, True)
    gc.collect()
    tracemalloc.start()
    source = CollectorSource(LiveSettings(), MemorySink())
    decoder = NetflowDecoder()
    for p in data:
        source.table.add(decoder.decode(p, "127.0.0.1"), now)
    current, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    table = source.table
    print(
        f"memory: {current / 2**20:,.1f} MiB for {len(table.flows):,} flows and {len(table.hosts):,} hosts "
        f"(tables, geo/OUI data and decoder state)"
    )
    some_host = next(iter(table.hosts))

    async def timed(label: str, call: object, repeat: int = 20) -> None:
        samples = []
        for _ in range(repeat):
            start = time.perf_counter()
            await call()  # type: ignore[operator]
            samples.append((time.perf_counter() - start) * 1000)
        print(f"{label:40s}: median {statistics.median(samples):7.2f} ms  max {max(samples):7.2f} ms")

    async def run() -> None:
        await timed("ListHosts top 50 by bytes", lambda: source.list_hosts(pb.ListHostsRequest()))
        await timed(
            "ListHosts local top 50 by throughput",
            lambda: source.list_hosts(
                pb.ListHostsRequest(locality=pb.HOST_LOCALITY_LOCAL, sort=pb.HOST_SORT_THROUGHPUT)
            ),
        )
        await timed("GetHost", lambda: source.get_host(pb.GetHostRequest(ip=some_host)), 200)
        await timed("ListFlows of one host", lambda: source.list_flows(pb.ListFlowsRequest(host=some_host)))
        await timed("FlowsSummary", lambda: source.flows_summary(pb.FlowsSummaryRequest()))

    asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller runs (CI smoke)")
    args = parser.parse_args()
    with open("/proc/cpuinfo") if os.path.exists("/proc/cpuinfo") else open(os.devnull) as cpu:
        model = next((line.split(":", 1)[1].strip() for line in cpu if line.startswith("model name")), "unknown")
    print(f"cpu: {model}, {os.cpu_count()} cores; one core per process")
    decode_and_table_rate(500 if args.quick else 4000)
    loss_point(
        1.0 if args.quick else 3.0,
        [20_000, 50_000, 100_000] if args.quick else [20_000, 40_000, 60_000, 80_000, 100_000, 150_000],
    )
    query_latency_and_memory(10_000 if args.quick else 100_008)


if __name__ == "__main__":
    main()
