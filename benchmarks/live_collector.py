"""Live collector benchmarks: decode+table rate, UDP loss point, query latency and memory at 100k flows,
packet probe throughput.

Run: uv run python benchmarks/live_collector.py [--quick] [--only decode,loss,query,probe]
Prints one line per figure; docs/benchmarks.md records a run. Rates are given per wall second and per
CPU second of this process (the machine is shared: CPU seconds are the steadier figure).
To compare with an earlier build, run this same script with PYTHONPATH pointing at that build's
services/live/src (e.g. a `git worktree`); the first line names the netscope_live that was loaded.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing as mp
import os
import socket
import statistics
import tempfile
import time
import tracemalloc
from multiprocessing.connection import Connection
from pathlib import Path

import netscope_live
from netscope.live.v1 import live_pb2 as pb
from netscope_live import table as table_module
from netscope_live.collector import Collector
from netscope_live.collector_source import CollectorSource
from netscope_live.ingest import MemorySink
from netscope_live.netflow import NetflowDecoder
from netscope_live.netflow.encode import ExportFlow, IpfixEncoder, V9Encoder, encode_v5
from netscope_live.settings import LiveSettings
from netscope_live.table import FlowTable

RECORDS_PER_PACKET = 24


def flows_for(batch: int, distinct: bool, now: float, clustered: bool = False) -> list[ExportFlow]:
    """24 flows; `distinct` makes every batch new flows/hosts, else they repeat (steady state). Distinct
    remote hosts each get their own /24 (the worst case for the per-/24 country cache), or with
    `clustered` share 5,280 /24s (about 18 hosts each, as servers of one provider do)."""
    j = batch if distinct else batch % 50
    return [
        ExportFlow(
            f"10.{j % 200}.{i}.{(j // 200) % 250}",
            f"{(j % 220) + 1}.{i}.0.{(j // 220) % 250 + 1}" if clustered else f"{(j % 220) + 1}.{i}.{j % 250}.8",
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


def packets(version: int, count: int, distinct: bool, clustered: bool = False) -> list[bytes]:
    """Export packets (templates first) carrying `count` batches of 24 records."""
    now = time.time()
    out: list[bytes] = []
    if version == 5:
        return [
            encode_v5(flows_for(b, distinct, now, clustered), sequence=b * 24, export_time=now) for b in range(count)
        ]
    if version == 9:
        v9 = V9Encoder()
        out.append(v9.packet(v9.template_set(), now))
        out += [v9.packet(v9.data_sets(flows_for(b, distinct, now, clustered), now), now) for b in range(count)]
        return out
    ipfix = IpfixEncoder()
    out.append(ipfix.message(ipfix.template_set(), now, 0))
    for b in range(count):
        sets, n = ipfix.data_sets(flows_for(b, distinct, now, clustered))
        out.append(ipfix.message(sets, now, n))
    return out


def warm(table: FlowTable) -> None:
    """Load the geo and OUI tables outside the timing and tune the GC, as the service process does at start."""
    table.geo.country("8.8.8.8")
    table.vendors.vendor("00:1b:63:84:45:e6")
    tune = getattr(table_module, "tune_gc", None)  # builds before tune_gc existed keep Python's defaults
    if tune is not None:
        tune()


def decode_and_table_rate(count: int) -> None:
    """Records/s decoded and merged into the table on one core (no sockets), per wall and CPU second."""
    for version in (5, 9, 10):
        for kind, distinct, clustered in (
            ("new flows+hosts", True, False),
            ("new, /24s shared", True, True),
            ("updates", False, False),
        ):
            data = packets(version, count, distinct, clustered)
            decoder, table = NetflowDecoder(), FlowTable()
            warm(table)
            start, cpu = time.perf_counter(), time.process_time()
            for p in data:
                table.add(decoder.decode(p, "127.0.0.1"))
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
            n = table.counters.records
            print(
                f"decode+table v{version:<2d} {kind:16s}: {n / elapsed:9,.0f} records/s wall, "
                f"{n / cpu:9,.0f} per CPU s "
                f"({len(table.flows):,} flows, {len(table.hosts):,} hosts)"
            )


def _collector_child(port: int, conn: Connection) -> None:
    async def run() -> None:
        table = FlowTable()
        warm(table)
        collector = Collector(NetflowDecoder(), table, sweep_seconds=3600)
        await collector.start("127.0.0.1", port)
        loop = asyncio.get_running_loop()
        conn.send("ready")
        while True:
            command = await loop.run_in_executor(None, conn.recv)
            if command == "stop":
                break
            stats = collector.decoder.stats.get("127.0.0.1")
            wakeups = getattr(collector.counters, "wakeups", collector.counters.datagrams)
            conn.send((stats.records if stats else 0, collector.counters.datagrams, wakeups, time.process_time()))
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
    before = datagrams_before = wakeups_before = 0
    parent.send("stats")
    cpu_before = parent.recv()[3]
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
        step_wall = time.perf_counter() - start
        received, datagrams, wakeups, cpu = parent.recv()
        cpu_share = (cpu - cpu_before) / step_wall
        cpu_before = cpu
        got = received - before
        per_wakeup = (datagrams - datagrams_before) / max(1, wakeups - wakeups_before)
        before, datagrams_before, wakeups_before = received, datagrams, wakeups
        sent = total * RECORDS_PER_PACKET
        print(
            f"offered {rate:7,d} records/s for {seconds:g} s: received {got / sent:6.1%} ({got:,}/{sent:,}), "
            f"{per_wakeup:.1f} datagrams per socket wakeup, collector process had {cpu_share:.0%} of a core"
        )
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
    warm(source.table)
    base, _ = tracemalloc.get_traced_memory()
    for p in data:
        source.table.add(decoder.decode(p, "127.0.0.1"), now)
    current, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    table = source.table
    table.clock = lambda: now  # the throughput window as it was when the flows arrived
    print(
        f"memory: {current / 2**20:,.1f} MiB for {len(table.flows):,} flows and {len(table.hosts):,} hosts "
        f"(tables, geo/OUI data and decoder state); the flows and hosts alone {(current - base) / 2**20:,.1f} MiB, "
        f"{(current - base) / len(table.flows):,.0f} bytes per flow with its share of hosts"
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


def write_probe_pcap(path: Path, flows: int) -> int:
    """A pcap of `flows` HTTP exchanges (handshake, GET, reply, FIN both ways: 8 packets each); packet count.

    scapy builds one exchange; the others are copies with their addresses and ports rewritten in place
    (checksums are left as they are: NFStream and nDPI do not check them), which is ~100x faster.
    """
    from scapy.layers.inet import IP, TCP
    from scapy.layers.l2 import Ether
    from scapy.packet import Raw
    from scapy.utils import RawPcapWriter

    get = b"GET / HTTP/1.1\r\nHost: example.test\r\n\r\n"
    reply = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 512\r\n\r\n" + b"x" * 512
    c2s = Ether() / IP(src="10.0.0.1", dst="93.184.0.1") / TCP(sport=20000, dport=80)
    s2c = Ether() / IP(src="93.184.0.1", dst="10.0.0.1") / TCP(sport=80, dport=20000)
    g, r = len(get), len(reply)
    template = [
        (True, c2s / TCP(flags="S", seq=1)),
        (False, s2c / TCP(flags="SA", seq=100, ack=2)),
        (True, c2s / TCP(flags="A", seq=2, ack=101)),
        (True, c2s / TCP(flags="PA", seq=2, ack=101) / Raw(get)),
        (False, s2c / TCP(flags="PA", seq=101, ack=2 + g) / Raw(reply)),
        (True, c2s / TCP(flags="FA", seq=2 + g, ack=101 + r)),
        (False, s2c / TCP(flags="FA", seq=101 + r, ack=3 + g)),
        (True, c2s / TCP(flags="A", seq=3 + g, ack=102 + r)),
    ]
    frames = [(forward, bytearray(bytes(pkt))) for forward, pkt in template]
    t = time.time() - 60
    count = 0
    with RawPcapWriter(str(path), linktype=1, sync=False) as out:
        out.write_header(None)
        for i in range(flows):
            client = socket.inet_aton(f"10.{i // 60000}.{(i // 250) % 240}.{i % 250 + 1}")
            server = socket.inet_aton(f"93.184.{i % 200}.{i % 7 + 1}")
            port = (20000 + i % 40000).to_bytes(2, "big")
            for forward, frame in frames:
                frame[26:30], frame[30:34] = (client, server) if forward else (server, client)
                if forward:
                    frame[34:36] = port
                else:
                    frame[36:38] = port
                t += 0.0001
                out.write_packet(bytes(frame), sec=int(t), usec=int(t % 1 * 1e6))
                count += 1
    return count


def probe_throughput(flows: int) -> None:
    """NFStream (nDPI) metering a scapy-written pcap into the live table: packets/s and flows/s."""
    from netscope_live.probe.meter import MeterState, PacketMeter

    async def meter(path: Path) -> tuple[float, int, int]:
        table = FlowTable()
        warm(table)
        m = PacketMeter(table.add, pcap=path, idle_timeout=30, active_timeout=120)
        start = time.perf_counter()
        m.start()
        while m.state in (MeterState.STARTING, MeterState.RUNNING):  # noqa: ASYNC110 - the meter has no event
            await asyncio.sleep(0.01)
        await asyncio.sleep(0)  # the last batch handed to the loop
        elapsed = time.perf_counter() - start
        await m.stop()
        assert m.state is MeterState.FINISHED, m.error
        return elapsed, m.counters.flows, len(table.flows)

    with tempfile.TemporaryDirectory() as tmp:
        small, big = Path(tmp, "one.pcap"), Path(tmp, "many.pcap")
        write_probe_pcap(small, 1)
        start = time.perf_counter()
        n_packets = write_probe_pcap(big, flows)
        written = time.perf_counter() - start
        asyncio.run(meter(small))  # the first run also imports NFStream and loads nDPI
        startup, _, _ = asyncio.run(meter(small))
        elapsed, metered, tabled = asyncio.run(meter(big))
    work = max(1e-9, elapsed - startup)
    print(f"probe pcap: {n_packets:,} packets in {flows:,} flows written by scapy in {written:.1f} s")
    print(
        f"probe (NFStream+nDPI -> live table): {elapsed:.2f} s, {n_packets / elapsed:,.0f} packets/s, "
        f"{metered / elapsed:,.0f} flows/s; without the {startup:.2f} s start-up (one-flow pcap): "
        f"{n_packets / work:,.0f} packets/s, {metered / work:,.0f} flows/s "
        f"({metered:,} NFStream flows, {tabled:,} in the table)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller runs (CI smoke)")
    parser.add_argument("--only", default="decode,loss,query,probe", help="comma-separated parts to run")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    with open("/proc/cpuinfo") if os.path.exists("/proc/cpuinfo") else open(os.devnull) as cpu:
        model = next((line.split(":", 1)[1].strip() for line in cpu if line.startswith("model name")), "unknown")
    print(f"cpu: {model}, {os.cpu_count()} cores; one core per process; load average {os.getloadavg()}")
    print(f"netscope_live from {Path(netscope_live.__file__).parent}")
    if "decode" in parts:
        decode_and_table_rate(500 if args.quick else 4000)
    if "loss" in parts:
        loss_point(
            1.0 if args.quick else 3.0,
            [20_000, 50_000, 100_000]
            if args.quick
            else [20_000, 40_000, 60_000, 80_000, 100_000, 120_000, 150_000, 200_000],
        )
    if "query" in parts:
        query_latency_and_memory(10_000 if args.quick else 100_008)
    if "probe" in parts:
        probe_throughput(500 if args.quick else 10_000)
    print(f"load average at the end {os.getloadavg()}")


if __name__ == "__main__":
    main()
