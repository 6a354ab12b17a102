"""Aggregator overhead: MCP tool call → aggregator → gRPC → flows, against baselines measured in the same run.

Baselines: (1) the same flows RPC called directly over gRPC; (2) a bare mcp SDK server (same transport,
same client, same answer mode) whose tool `ifids` makes the same trivial gRPC call (live ListInterfaces) and
answers its interfaces, the equivalent of netscope's `fetch_ntopng_all_ifids`. Reports p50/p99 per call and
throughput with 16 concurrent clients: with the official client, and with a light raw JSON-RPC client together
with the CPU each process spends per call, for SSE answers (the default) and JSON answers
(NETSCOPE_AGGREGATOR_JSON_RESPONSE), baseline and netscope alternated round by round; then one and two
aggregator workers (stateless HTTP, JSON answers). The fan-out figures are in benchmarks/aggregator_fanout.py.

Run: uv run python -m benchmarks.aggregator_overhead [--calls 300] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import grpc
import httpx
import httpx2
import uvicorn
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings

from netscope.flows.v1 import flows_pb2, flows_pb2_grpc
from netscope.live.v1 import live_pb2, live_pb2_grpc
from tests.support.processes import NETSCOPE, free_port, running, wait_grpc_serving, wait_http_ok

TOKEN = "bench-token-0123456789"


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    ordered = sorted(samples)
    return statistics.median(ordered) * 1e3, ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e3


async def timed(calls: int, fn: Callable[[], Awaitable[object]]) -> list[float]:
    """Latency of `calls` sequential calls (after 20 warm-up calls)."""
    for _ in range(20):
        await fn()
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - started)
    return samples


async def throughput(
    url: str, token: str, tool: str, arguments: dict[str, object], clients: int, seconds: float
) -> float:
    """Calls per second with `clients` concurrent sessions for `seconds`."""
    done = 0
    stop = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        http = httpx2.AsyncClient(headers={"Authorization": f"Token {token}"}, timeout=30)
        async with http, streamable_http_client(url, http_client=http) as (r, w), ClientSession(r, w) as session:
            await session.initialize()
            while time.perf_counter() < stop:
                result = await session.call_tool(tool, arguments)
                assert not result.is_error, result.content
                done += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return done / (time.perf_counter() - started)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children (uvicorn workers) so far."""
    total = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            total += cpu_seconds(int(child))
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return total + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def light_throughput(
    url: str,
    tool: str,
    arguments: dict[str, object],
    clients: int,
    seconds: float,
    pids: dict[str, int],
) -> tuple[float, dict[str, float]]:
    """Calls/s of `clients` raw JSON-RPC clients (one session each, no SDK client), and CPU ms per call per pid.

    The official client costs about as much CPU per call as the server; this client is light so that the
    figure says what the server side can take on this machine.
    """
    headers = {
        "Authorization": f"Token {TOKEN}",
        "Accept": "application/json, text/event-stream",
        "Content-Type": "application/json",
    }
    done = 0
    stop = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        async with httpx.AsyncClient(timeout=30) as http:
            init = {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "bench", "version": "1"},
            }
            reply = await http.post(
                url, headers=headers, json={"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": init}
            )
            session = {**headers, "mcp-protocol-version": "2025-06-18"}
            if reply.headers.get("mcp-session-id"):
                session["mcp-session-id"] = reply.headers["mcp-session-id"]
            await http.post(url, headers=session, json={"jsonrpc": "2.0", "method": "notifications/initialized"})
            call_id = 1
            while time.perf_counter() < stop:
                body = {
                    "jsonrpc": "2.0",
                    "id": call_id,
                    "method": "tools/call",
                    "params": {"name": tool, "arguments": arguments},
                }
                answer = await http.post(url, headers=session, json=body)
                assert answer.status_code == 200 and '"isError":true' not in answer.text, answer.text[:300]
                done += 1
                call_id += 1

    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    cpu = {name: (cpu_seconds(pid) - before[name]) * 1e3 / max(1, done) for name, pid in pids.items()}
    return done / elapsed, cpu


async def grpc_throughput(target: str, clients: int, seconds: float) -> float:
    """ListTables calls per second over gRPC alone with `clients` concurrent callers."""
    done = 0
    stop = time.perf_counter() + seconds
    async with grpc.aio.insecure_channel(target) as channel:
        stub = flows_pb2_grpc.FlowsServiceStub(channel)

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < stop:
                await stub.ListTables(flows_pb2.ListTablesRequest(), timeout=10)
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
    return done / (time.perf_counter() - started)


def bare_server(port: int, live_target: str = "", json_response: bool = False) -> uvicorn.Server:
    """A bare SDK server: `ping` (no call) and `ifids` (the live ListInterfaces call, as fetch_ntopng_all_ifids)."""
    mcp = MCPServer("bare")
    stubs: list[live_pb2_grpc.LiveServiceStub] = []  # made on first call, inside the server's event loop

    @mcp.tool()
    def ping() -> dict[str, str]:
        return {"pong": "ok"}

    @mcp.tool()
    async def ifids() -> dict[str, object]:
        if not stubs:
            stubs.append(live_pb2_grpc.LiveServiceStub(grpc.aio.insecure_channel(live_target)))
        reply = await stubs[0].ListInterfaces(live_pb2.ListInterfacesRequest(), timeout=10)
        items = [
            {"ifid": i.ifid, "name": i.name, "description": i.description, "source": i.source} for i in reply.interfaces
        ]
        names = ", ".join(f"{i.ifid}={i.name}" for i in reply.interfaces)
        return {"interfaces": items, "summary": f"{len(items)} interface(s): {names}"}

    app = mcp.streamable_http_app(
        json_response=json_response,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    return uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", loop="asyncio"))


Case = tuple[str, str, str, dict[str, int]]


def _client_process(url: str, tool: str, clients: int, seconds: float) -> float:
    """Calls/s of `clients` light clients in this (child) process."""
    return asyncio.run(light_throughput(url, tool, {}, clients, seconds, {}))[0]


async def spread_throughput(
    url: str, tool: str, clients: int, seconds: float, pids: dict[str, int], processes: int
) -> tuple[float, dict[str, float]]:
    """Like light_throughput, with the clients spread over `processes` client processes."""
    loop = asyncio.get_running_loop()
    with concurrent.futures.ProcessPoolExecutor(processes) as pool:
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        share = clients // processes
        rates = await asyncio.gather(
            *(loop.run_in_executor(pool, _client_process, url, tool, share, seconds) for _ in range(processes))
        )
        after = {name: cpu_seconds(pid) for name, pid in pids.items()}
    rate = sum(rates)
    calls = max(1.0, rate * seconds)
    return rate, {name: (after[name] - before[name]) * 1e3 / calls for name in pids}


async def alternated(
    args: argparse.Namespace, cases: list[Case], client_processes: int = 1
) -> list[tuple[float, dict[str, float]]]:
    """Median calls/s and CPU ms per call of each case, the cases alternated round by round."""
    rounds: list[list[tuple[float, dict[str, float]]]] = [[] for _ in cases]
    for _ in range(args.rounds):
        for index, (_, url, tool, watched) in enumerate(cases):
            if client_processes == 1:
                sample = await light_throughput(url, tool, {}, args.clients, args.seconds, watched)
            else:
                sample = await spread_throughput(url, tool, args.clients, args.seconds, watched, client_processes)
            rounds[index].append(sample)
    medians = []
    for samples in rounds:
        rate = statistics.median(rate for rate, _ in samples)
        cpu = {name: statistics.median(s[1][name] for s in samples) for name in samples[0][1]}
        medians.append((rate, cpu))
    return medians


async def light_table(args: argparse.Namespace, urls: dict[str, str], pids: dict[str, int]) -> None:
    """Server-side capacity with light clients: calls/s, ratio to the bare SDK, CPU ms per call of each process."""
    print(
        f"\n{args.clients} light clients, {args.seconds:g} s per case, median of {args.rounds} alternated rounds "
        "(CPU ms per call: server / service):"
    )
    for mode in ("sse", "json"):
        cases: list[Case] = [
            (f"bare SDK ifids ({mode})", urls[f"bare-{mode}"], "ifids", {"server": pids[f"bare-{mode}"]}),
            (
                f"netscope fetch_ntopng_all_ifids ({mode})",
                urls[mode],
                "fetch_ntopng_all_ifids",
                {"server": pids[mode], "live": pids["live"]},
            ),
        ]
        results = await alternated(args, cases)
        for (label, *_), (rate, cpu) in zip(cases, results, strict=True):
            shares = " / ".join(f"{name} {ms:.2f}" for name, ms in cpu.items())
            print(f"  {label:48s} {rate:6.0f} calls/s   CPU ms per call: {shares}")
        print(f"  {'  netscope / bare SDK':48s} {results[1][0] / results[0][0]:6.2f}x")
    print(f"  the clients in {args.client_processes} processes (one client process cannot load two workers):")
    cases = [
        (
            f"netscope, {n} worker(s), stateless, JSON",
            urls[f"w{n}"],
            "fetch_ntopng_all_ifids",
            {"server": pids[f"w{n}"]},
        )
        for n in (1, 2)
    ]
    results = await alternated(args, cases, client_processes=args.client_processes)
    for (label, *_), (rate, cpu) in zip(cases, results, strict=True):
        print(f"  {label:48s} {rate:6.0f} calls/s   CPU ms per call: server {cpu['server']:.2f}")
    print(f"  {'  2 workers / 1 worker':48s} {results[1][0] / results[0][0]:6.2f}x")


async def session_samples(url: str, tool: str, calls: int) -> list[float]:
    """Latency of sequential calls of `tool` in one official-client session."""
    http = httpx2.AsyncClient(headers={"Authorization": f"Token {TOKEN}"}, timeout=30)
    async with http, streamable_http_client(url, http_client=http) as (r, w), ClientSession(r, w) as session:
        await session.initialize()

        async def call() -> None:
            result = await session.call_tool(tool, {})
            assert not result.is_error, result.content

        return await timed(calls, call)


async def measure(args: argparse.Namespace, targets: dict[str, str], urls: dict[str, str]) -> None:
    """Sequential latency: the trivial RPC direct, as the bare SDK's tool and as netscope's, per answer mode."""
    async with (
        grpc.aio.insecure_channel(targets["flows"]) as flows_channel,
        grpc.aio.insecure_channel(targets["live"]) as live_channel,
    ):
        flows = flows_pb2_grpc.FlowsServiceStub(flows_channel)
        live = live_pb2_grpc.LiveServiceStub(live_channel)
        trivial = await timed(args.calls, lambda: live.ListInterfaces(live_pb2.ListInterfacesRequest(), timeout=10))
        tables = await timed(args.calls, lambda: flows.ListTables(flows_pb2.ListTablesRequest(), timeout=10))
    grpc_p = percentiles(trivial)
    print(f"{'direct gRPC live ListInterfaces (trivial)':48s} p50 {grpc_p[0]:6.2f} ms  p99 {grpc_p[1]:6.2f} ms")
    for mode in ("sse", "json"):
        bare: list[float] = []
        ours: list[float] = []
        for _ in range(args.rounds):  # alternated, so both see the same load
            bare += await session_samples(urls[f"bare-{mode}"], "ifids", args.calls // args.rounds)
            ours += await session_samples(urls[mode], "fetch_ntopng_all_ifids", args.calls // args.rounds)
        bare_p, ours_p = percentiles(bare), percentiles(ours)
        print(f"{'bare SDK ifids (' + mode + ')':48s} p50 {bare_p[0]:6.2f} ms  p99 {bare_p[1]:6.2f} ms")
        print(
            f"{'netscope fetch_ntopng_all_ifids (' + mode + ')':48s} p50 {ours_p[0]:6.2f} ms  p99 {ours_p[1]:6.2f} ms"
        )
        print(f"{'  aggregator overhead (netscope - bare SDK)':48s} p50 {ours_p[0] - bare_p[0]:+6.2f} ms")
    tables_p = percentiles(tables)
    ours_tables = percentiles(await session_samples(urls["sse"], "list_tables_ntopng_database", args.calls))
    print(f"{'direct gRPC flows ListTables (chdb)':48s} p50 {tables_p[0]:6.2f} ms  p99 {tables_p[1]:6.2f} ms")
    print(f"{'netscope list_tables_ntopng_database':48s} p50 {ours_tables[0]:6.2f} ms  p99 {ours_tables[1]:6.2f} ms")
    bare_rate = await throughput(urls["bare-sse"], TOKEN, "ifids", {}, 16, args.seconds)
    our_rate = await throughput(urls["sse"], TOKEN, "fetch_ntopng_all_ifids", {}, 16, args.seconds)
    print(
        f"16 concurrent official clients (SSE): bare SDK ifids {bare_rate:.0f} calls/s; "
        f"netscope fetch_ntopng_all_ifids {our_rate:.0f} calls/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--client-processes", type=int, default=3, help="client processes of the workers' case")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        dsn = f"chdb://{root / 'flows'}"
        subprocess.run([sys.executable, "-m", "tests.support.seed_flows", dsn], check=True)
        ports = {name: free_port() for name in ("flows", "live", "sse", "json", "w1", "w2", "bare-sse", "bare-json")}
        env = {
            "NETSCOPE_FLOWS_DSN": dsn,
            "NETSCOPE_FLOWS_PORT": str(ports["flows"]),
            "NETSCOPE_FLOWS_LOG_LEVEL": "WARNING",
        }
        live_env = {
            "NETSCOPE_LIVE_PORT": str(ports["live"]),
            "NETSCOPE_LIVE_COLLECTOR_PORT": "0",
            "NETSCOPE_LIVE_LOG_LEVEL": "WARNING",
        }
        agg_env = {
            "NETSCOPE_AGGREGATOR_FLOWS_TARGET": f"127.0.0.1:{ports['flows']}",
            "NETSCOPE_AGGREGATOR_LIVE_TARGET": f"127.0.0.1:{ports['live']}",
            "NETSCOPE_AGGREGATOR_TOKENS": f"bench:read:{TOKEN}",
            "NETSCOPE_AGGREGATOR_LOG_LEVEL": "WARNING",
            "NETSCOPE_AGGREGATOR_RATE_LIMIT_PER_MINUTE": "10000000",
        }
        json_env = {"NETSCOPE_AGGREGATOR_JSON_RESPONSE": "true"}
        stateless = {**json_env, "NETSCOPE_AGGREGATOR_STATELESS_HTTP": "true"}
        aggregators = {
            "sse": {},
            "json": json_env,
            "w1": stateless,
            "w2": {**stateless, "NETSCOPE_AGGREGATOR_WORKERS": "2"},
        }
        live_target = f"127.0.0.1:{ports['live']}"
        with contextlib.ExitStack() as stack:
            flows = stack.enter_context(running("flows", [*NETSCOPE, "serve", "flows"], env, root))
            live = stack.enter_context(running("live", [*NETSCOPE, "serve", "live"], live_env, root))
            procs = {"flows": flows, "live": live}
            for name, extra in aggregators.items():
                agg = {**agg_env, **extra, "NETSCOPE_AGGREGATOR_PORT": str(ports[name])}
                procs[name] = stack.enter_context(
                    running(f"aggregator-{name}", [*NETSCOPE, "serve", "aggregator"], agg, root)
                )
            for mode in ("sse", "json"):
                cmd = [
                    sys.executable,
                    "-m",
                    "benchmarks.aggregator_overhead",
                    "--bare",
                    str(ports[f"bare-{mode}"]),
                    live_target,
                    mode,
                ]
                procs[f"bare-{mode}"] = stack.enter_context(running(f"bare-{mode}", cmd, {}, root))
            wait_grpc_serving(f"127.0.0.1:{ports['flows']}", timeout=300, process=flows)
            wait_grpc_serving(live_target, timeout=300, process=live)
            for name in aggregators:
                wait_http_ok(f"http://127.0.0.1:{ports[name]}/healthz", timeout=300, process=procs[name])
            time.sleep(2)
            urls = {name: f"http://127.0.0.1:{ports[name]}/mcp/" for name in aggregators}
            urls |= {f"bare-{mode}": f"http://127.0.0.1:{ports[f'bare-{mode}']}/mcp" for mode in ("sse", "json")}
            pids = {name: process.popen.pid for name, process in procs.items()}
            targets = {"flows": f"127.0.0.1:{ports['flows']}", "live": live_target}
            print(f"(load average at start {Path('/proc/loadavg').read_text().split()[0]})")
            asyncio.run(measure(args, targets, urls))
            asyncio.run(light_table(args, urls, pids))
            print(f"(load average at end {Path('/proc/loadavg').read_text().split()[0]})")


if __name__ == "__main__":
    if len(sys.argv) in (3, 5) and sys.argv[1] == "--bare":  # --bare PORT [LIVE_TARGET sse|json]
        live_target, mode = sys.argv[3:5] if len(sys.argv) == 5 else ("", "sse")
        asyncio.run(bare_server(int(sys.argv[2]), live_target, mode == "json").serve())
    else:
        main()
