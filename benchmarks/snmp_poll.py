"""Benchmark the snmp poller against Debian snmpd agents; compare with net-snmp `snmpbulkwalk`.

  uv run python benchmarks/snmp_poll.py [--devices 100] [--interfaces 12] [--large 1000]

As root it creates a network namespace with `--interfaces` veth interfaces and re-runs itself
inside it, so each snmpd reports that many interfaces (all traffic stays inside the namespace's own
loopback). Part 1 polls N devices (one snmpd each) with three pollers, two cycles each (the first meets
and probes every device, the second is steady state): v2c through pysnmp's codec with full walks (the
former path), the native codec with full walks, and the native codec with light walks between full ones
(the default); then it walks the same devices and tables with `snmpbulkwalk` processes in parallel, in
the same run. Part 2 polls `--large` devices of which 10% are closed ports (answering ports spread over
the same snmpd processes), three cycles, with the default poller, after
polling the answering devices alone (the difference is what the dead devices cost).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from netscope_snmp.inventory import DeviceConfig, parse_device
from netscope_snmp.lab import LabAgent, start_snmpd, wait_answering
from netscope_snmp.poller import Poller
from netscope_snmp.sample import PollResult, Reachability
from netscope_snmp.transport import SnmpClient

TABLES = ["1.3.6.1.2.1.1", "1.3.6.1.2.1.2.2", "1.3.6.1.2.1.31.1.1", "1.3.6.1.2.1.25.3.3.1.2", "1.3.6.1.2.1.25.2.3"]
NETNS = "netscope-snmp-bench"
V3_USER = ("netops", "authpass123", "privpass123")  # SHA/AES authPriv on every bench snmpd


def in_namespace(args: argparse.Namespace) -> None:
    """Re-run this script inside a fresh namespace with dummy interfaces, then delete it."""
    subprocess.run(["ip", "netns", "add", NETNS], check=True)
    try:
        run = ["ip", "netns", "exec", NETNS]
        subprocess.run([*run, "ip", "link", "set", "lo", "up"], check=True)
        for i in range(0, args.interfaces, 2):  # veth pairs: both ends stay inside the namespace
            subprocess.run(
                [*run, "ip", "link", "add", f"bench{i}", "type", "veth", "peer", "name", f"bench{i + 1}"], check=True
            )
            for name in (f"bench{i}", f"bench{i + 1}"):
                subprocess.run([*run, "ip", "link", "set", name, "up"], check=True)
        argv = [a for a in sys.argv[1:] if a != "--netns"]
        subprocess.run([*run, sys.executable, __file__, "--inside", *argv], check=True)
    finally:
        subprocess.run(["ip", "netns", "del", NETNS], check=False)


def reserve_ports(count: int) -> list[int]:
    """Distinct free UDP ports (all sockets held until every port is chosen)."""
    socks = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind(("127.0.0.1", 0))
            socks.append(sock)
        return [s.getsockname()[1] for s in socks]
    finally:
        for sock in socks:
            sock.close()


def start_agents(work: Path, ports: list[int], count: int, ports_each: int) -> list[LabAgent]:
    agents: list[LabAgent] = []
    try:
        for i in range(count):
            ports_i = ports[i * ports_each : (i + 1) * ports_each]
            agents.append(start_snmpd(work / f"snmpd{i}", ports_i, v3_user=V3_USER, sys_name=f"bench-{i}"))
        for agent in agents:
            wait_answering(agent, "public", timeout_s=60)
    except BaseException:
        for agent in agents:
            agent.stop()
        raise
    return agents


def devices_for(ports: list[int], prefix: str, v3: bool = False) -> list[DeviceConfig]:
    user, auth, priv = V3_USER
    creds = {"version": "v3", "user": user, "auth_key": auth, "priv_key": priv} if v3 else {"community": "public"}
    return [parse_device({"id": f"{prefix}-{p}", "address": "127.0.0.1", "port": p, **creds}) for p in ports]


@dataclass
class Cycle:
    """One full poll of every device."""

    seconds: float
    cpu_seconds: float
    results: list[PollResult]


async def poll_cycles(
    devices: list[DeviceConfig],
    concurrency: int,
    timeout: float,
    retries: int,
    native: bool,
    cycles: int = 2,
    full_walk_every: int = 10,
) -> tuple[list[Cycle], Poller]:
    """`cycles` full cycles on one poller: the first meets every device, the next ones are steady state."""
    client = SnmpClient(native_v2c=native)
    try:
        poller = Poller(
            client, concurrency=concurrency, timeout_seconds=timeout, retries=retries, full_walk_every=full_walk_every
        )
        await Poller(client).poll_many(devices[:5])  # warm-up of the client (sockets, pysnmp engine), not the poller
        out = []
        for _ in range(cycles):
            cpu, started = time.process_time(), time.perf_counter()
            results = await poller.poll_many(devices)
            out.append(Cycle(time.perf_counter() - started, time.process_time() - cpu, results))
        return out, poller
    finally:
        client.close()


def rss_mib() -> float:
    """Current resident set size of this process."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


async def bulkwalk_cycle(ports: list[int], parallel: int) -> tuple[float, int]:
    limit = asyncio.Semaphore(parallel)
    lines = 0

    async def walk(port: int, oid: str) -> None:
        nonlocal lines
        async with limit:
            proc = await asyncio.create_subprocess_exec(
                "snmpbulkwalk",
                "-v2c",
                "-c",
                "public",
                "-On",
                "-Cr25",
                "-t",
                "2",
                "-r",
                "1",
                f"127.0.0.1:{port}",
                oid,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            out, _ = await proc.communicate()
            lines += out.count(b"\n")

    started = time.perf_counter()
    await asyncio.gather(*(walk(p, oid) for p in ports for oid in TABLES))
    return time.perf_counter() - started, lines


def summary(results: list[PollResult]) -> str:
    up = [r for r in results if r.status is Reachability.UP]
    ifaces = sum(len(r.interfaces) for r in up)
    requests = sum(r.requests for r in results)
    return f"{len(up)}/{len(results)} up, {ifaces} interfaces, {requests} requests"


def best(cycles: list[Cycle]) -> Cycle:
    return min(cycles, key=lambda c: c.seconds)


def describe(name: str, cycles: list[Cycle]) -> str:
    b = best(cycles)
    runs = [round(c.seconds, 2) for c in cycles]
    return f"    {name}: best {b.seconds:.2f}s (CPU {b.cpu_seconds:.2f}s), runs {runs}; {summary(b.results)}"


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print(f"machine: {os.cpu_count()} CPUs; starting {args.devices} snmpd processes ...", flush=True)
        ports_each = max(1, -(-args.large * 9 // 10 // args.devices))
        ports = reserve_ports(args.devices * ports_each + args.large)
        agents = start_agents(work, ports, args.devices, ports_each)
        spare = ports[args.devices * ports_each :]
        try:
            first_ports = [a.ports[0] for a in agents]
            devices = devices_for(first_ports, "dev")
            runs: dict[str, list[Cycle]] = {}
            walk_times = []
            print(f"load average before: {os.getloadavg()}", flush=True)
            for _ in range(args.rounds):
                for codec, every, steady in (("pysnmp", 1, "full"), ("native", 1, "full"), ("native", 10, "light")):
                    cycles, _ = await poll_cycles(devices, args.concurrency, 2.0, 1, codec == "native", 2, every)
                    runs.setdefault(f"{codec} first", []).append(cycles[0])
                    runs.setdefault(f"{codec} steady {steady}-walk", []).append(cycles[1])
                if args.v3:
                    v3_devices = devices_for(first_ports, "v3", v3=True)
                    for every, steady in ((1, "full"), (10, "light")):
                        cycles, _ = await poll_cycles(v3_devices, args.concurrency, 2.0, 1, True, 2, every)
                        runs.setdefault("v3 (pysnmp) first", []).append(cycles[0])
                        runs.setdefault(f"v3 (pysnmp) steady {steady}-walk", []).append(cycles[1])
                t_walk, lines = await bulkwalk_cycle(first_ports, args.parallel)
                walk_times.append(t_walk)
            print(f"[1] {args.devices} devices, concurrency {args.concurrency}, {args.rounds} rounds")
            for name, cycles in runs.items():
                print(describe(f"poller {name} cycle", cycles))
            print(
                f"    snmpbulkwalk x{len(TABLES)} tables/device, {args.parallel} in parallel: best "
                f"{min(walk_times):.2f}s ({lines} varbinds), runs {[round(t, 2) for t in walk_times]}"
            )
            for name, cycles in runs.items():
                print(
                    f"    ratio poller {name} / snmpbulkwalk (best of each): "
                    f"{best(cycles).seconds / min(walk_times):.2f}"
                )
            if args.large:
                answering = [p for a in agents for p in a.ports][: args.large * 9 // 10]
                dead = spare[: args.large - len(answering)]
                large = devices_for(answering, "dev") + devices_for(dead, "dead")
                live_only, _ = await poll_cycles(
                    large[: len(answering)], args.large_concurrency, 1.0, 1, True, cycles=2
                )
                print(
                    f"[2a] the {len(answering)} answering devices alone (same run): "
                    f"cycle 1 {live_only[0].seconds:.2f}s, "
                    f"cycle 2 {live_only[1].seconds:.2f}s; {summary(live_only[1].results)}",
                    flush=True,
                )
                rss_before = rss_mib()
                cycles, poller = await poll_cycles(large, args.large_concurrency, 1.0, 1, True, cycles=3)
                print(
                    f"[2b] {len(large)} devices ({len(dead)} closed ports), timeout 1s x 2 attempts, "
                    f"concurrency {args.large_concurrency} (adaptive, ended at {poller.limit.limit:.0f}, "
                    f"{poller.limit.decreases} decreases); RSS {rss_before:.0f} -> {rss_mib():.0f} MiB, "
                    f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
                )
                for number, cycle in enumerate(cycles, 1):
                    live_lost = sum(
                        r.status is not Reachability.UP for r in cycle.results if r.device_id.startswith("dev-")
                    )
                    dead_up = sum(r.status is Reachability.UP for r in cycle.results if r.device_id.startswith("dead-"))
                    slowest_dead = max(r.duration_seconds for r in cycle.results if r.device_id.startswith("dead-"))
                    print(
                        f"    cycle {number}: {cycle.seconds:.2f}s (CPU {cycle.cpu_seconds:.2f}s); "
                        f"{summary(cycle.results)}; live devices not up: {live_lost}, dead devices up: {dead_up}; "
                        f"slowest dead device {slowest_dead:.2f}s"
                    )
            print(f"load average after: {os.getloadavg()}")
        finally:
            for agent in agents:
                agent.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--interfaces", type=int, default=12, help="veth interfaces in the namespace")
    parser.add_argument("--large", type=int, default=1000, help="devices in part 2 (0 = skip)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--large-concurrency", type=int, default=32)
    parser.add_argument("--parallel", type=int, default=32, help="snmpbulkwalk processes at once")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--v3", action="store_true", help="also poll the same devices over SNMPv3 authPriv")
    parser.add_argument("--no-netns", action="store_true", help="run on the host's interfaces")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    ns = parser.parse_args()
    if not ns.inside and not ns.no_netns and os.geteuid() == 0:
        in_namespace(ns)
    else:
        asyncio.run(main(ns))
