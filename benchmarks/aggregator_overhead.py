"""Aggregator overhead: MCP tool call → aggregator → gRPC → flows, against baselines measured in the same run.

Baselines: (1) the same flows RPC called directly over gRPC; (2) a bare mcp SDK server (same transport,
same client) with a trivial tool. Reports p50/p99 per call and throughput with 16 concurrent clients: with the
official client, and with a light raw JSON-RPC client together with the CPU each process spends per call (SSE
answers, the default, and JSON answers, NETSCOPE_AGGREGATOR_JSON_RESPONSE). The fan-out figures are in
benchmarks/aggregator_fanout.py.

Run: uv run python -m benchmarks.aggregator_overhead [--calls 300]
"""

from __future__ import annotations

import argparse
import asyncio
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
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def light_throughput(
    url: str, tool: str, arguments: dict[str, object], clients: int, seconds: float, pids: dict[str, int]
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


def bare_server(port: int) -> uvicorn.Server:
    """A bare SDK server with one trivial tool (the baseline for MCP + HTTP cost)."""
    mcp = MCPServer("bare")

    @mcp.tool()
    def ping() -> dict[str, str]:
        return {"pong": "ok"}

    app = mcp.streamable_http_app(transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False))
    return uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))


async def light_table(args: argparse.Namespace, urls: dict[str, str], pids: dict[str, int]) -> None:
    """Server-side capacity with light clients: calls/s and CPU ms per call of each process."""
    print(f"\n{args.clients} light clients, {args.seconds:g} s each (CPU ms per call: aggregator / service):")
    cases: list[tuple[str, str, str, dict[str, object], dict[str, int]]] = [
        ("bare SDK trivial tool", urls["bare"], "ping", {}, {"server": pids["bare"]}),
        (
            "fetch_ntopng_all_ifids (live, in memory)",
            urls["sse"],
            "fetch_ntopng_all_ifids",
            {},
            {"aggregator": pids["sse"], "service": pids["live"]},
        ),
        (
            "  same, JSON answers",
            urls["json"],
            "fetch_ntopng_all_ifids",
            {},
            {"aggregator": pids["json"], "service": pids["live"]},
        ),
        (
            "list_tables_ntopng_database (flows, chdb)",
            urls["sse"],
            "list_tables_ntopng_database",
            {},
            {"aggregator": pids["sse"], "service": pids["flows"]},
        ),
    ]
    for label, url, tool, arguments, watched in cases:
        rate, cpu = await light_throughput(url, tool, arguments, args.clients, args.seconds, watched)
        shares = " / ".join(f"{name} {ms:.2f}" for name, ms in cpu.items())
        print(f"  {label:44s} {rate:6.0f} calls/s   CPU ms per call: {shares}")


async def measure(args: argparse.Namespace, targets: dict[str, str], aggregator_url: str, bare_url: str) -> None:
    """Sequential latency: trivial RPC (live ListInterfaces) and a chdb RPC (flows ListTables), direct and as tools."""
    async with (
        grpc.aio.insecure_channel(targets["flows"]) as flows_channel,
        grpc.aio.insecure_channel(targets["live"]) as live_channel,
    ):
        flows = flows_pb2_grpc.FlowsServiceStub(flows_channel)
        live = live_pb2_grpc.LiveServiceStub(live_channel)
        trivial = await timed(args.calls, lambda: live.ListInterfaces(live_pb2.ListInterfacesRequest(), timeout=10))
        tables = await timed(args.calls, lambda: flows.ListTables(flows_pb2.ListTablesRequest(), timeout=10))

    async def session_samples(url: str, tool: str) -> list[float]:
        http = httpx2.AsyncClient(headers={"Authorization": f"Token {TOKEN}"}, timeout=30)
        async with http, streamable_http_client(url, http_client=http) as (r, w), ClientSession(r, w) as session:
            await session.initialize()
            return await timed(args.calls, lambda: session.call_tool(tool, {}))

    bare = percentiles(await session_samples(bare_url, "ping"))
    print(f"{'bare SDK trivial tool (HTTP)':44s} p50 {bare[0]:6.2f} ms  p99 {bare[1]:6.2f} ms")
    for label, direct, tool in (
        ("live ListInterfaces (trivial RPC)", trivial, "fetch_ntopng_all_ifids"),
        ("flows ListTables (chdb)", tables, "list_tables_ntopng_database"),
    ):
        grpc_p = percentiles(direct)
        ours = percentiles(await session_samples(aggregator_url, tool))
        print(f"{'direct gRPC ' + label:44s} p50 {grpc_p[0]:6.2f} ms  p99 {grpc_p[1]:6.2f} ms")
        print(f"{'netscope ' + tool:44s} p50 {ours[0]:6.2f} ms  p99 {ours[1]:6.2f} ms")
        print(f"{'  aggregator overhead (netscope - bare - gRPC)':44s} p50 {ours[0] - bare[0] - grpc_p[0]:+6.2f} ms")
    bare_rate = await throughput(bare_url, TOKEN, "ping", {}, 16, args.seconds)
    local_rate = await throughput(aggregator_url, TOKEN, "search_docs", {"query": "token"}, 16, args.seconds)
    grpc_rate = await grpc_throughput(targets["flows"], 16, args.seconds)
    our_rate = await throughput(aggregator_url, TOKEN, "list_tables_ntopng_database", {}, 16, args.seconds)
    print(
        f"16 concurrent official clients: bare SDK {bare_rate:.0f} calls/s; netscope search_docs (no service) "
        f"{local_rate:.0f} calls/s; direct gRPC ListTables {grpc_rate:.0f} calls/s; "
        f"netscope list_tables {our_rate:.0f} calls/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        dsn = f"chdb://{root / 'flows'}"
        subprocess.run([sys.executable, "-m", "tests.support.seed_flows", dsn], check=True)
        flows_port, live_port, http_port, json_port, bare_port = (free_port() for _ in range(5))
        env = {"NETSCOPE_FLOWS_DSN": dsn, "NETSCOPE_FLOWS_PORT": str(flows_port), "NETSCOPE_FLOWS_LOG_LEVEL": "WARNING"}
        live_env = {
            "NETSCOPE_LIVE_PORT": str(live_port),
            "NETSCOPE_LIVE_COLLECTOR_PORT": "0",
            "NETSCOPE_LIVE_LOG_LEVEL": "WARNING",
        }
        agg_env = {
            "NETSCOPE_AGGREGATOR_PORT": str(http_port),
            "NETSCOPE_AGGREGATOR_FLOWS_TARGET": f"127.0.0.1:{flows_port}",
            "NETSCOPE_AGGREGATOR_LIVE_TARGET": f"127.0.0.1:{live_port}",
            "NETSCOPE_AGGREGATOR_TOKENS": f"bench:read:{TOKEN}",
            "NETSCOPE_AGGREGATOR_LOG_LEVEL": "WARNING",
            "NETSCOPE_AGGREGATOR_RATE_LIMIT_PER_MINUTE": "10000000",
        }
        json_env = {**agg_env, "NETSCOPE_AGGREGATOR_PORT": str(json_port), "NETSCOPE_AGGREGATOR_JSON_RESPONSE": "true"}
        bare_cmd = [sys.executable, "-m", "benchmarks.aggregator_overhead", "--bare", str(bare_port)]
        with (
            running("flows", [*NETSCOPE, "serve", "flows"], env, root) as flows,
            running("live", [*NETSCOPE, "serve", "live"], live_env, root) as live,
            running("aggregator", [*NETSCOPE, "serve", "aggregator"], agg_env, root) as agg,
            running("aggregator-json", [*NETSCOPE, "serve", "aggregator"], json_env, root) as agg_json,
            running("bare", bare_cmd, {}, root) as bare,
        ):
            wait_grpc_serving(f"127.0.0.1:{flows_port}", process=flows)
            wait_grpc_serving(f"127.0.0.1:{live_port}", process=live)
            wait_http_ok(f"http://127.0.0.1:{http_port}/healthz", process=agg)
            wait_http_ok(f"http://127.0.0.1:{json_port}/healthz", process=agg_json)
            time.sleep(2)
            urls = {
                "sse": f"http://127.0.0.1:{http_port}/mcp/",
                "json": f"http://127.0.0.1:{json_port}/mcp/",
                "bare": f"http://127.0.0.1:{bare_port}/mcp",
            }
            pids = {
                "sse": agg.popen.pid,
                "json": agg_json.popen.pid,
                "bare": bare.popen.pid,
                "flows": flows.popen.pid,
                "live": live.popen.pid,
            }
            targets = {"flows": f"127.0.0.1:{flows_port}", "live": f"127.0.0.1:{live_port}"}
            asyncio.run(measure(args, targets, urls["sse"], urls["bare"]))
            asyncio.run(light_table(args, urls, pids))
            print(f"(load average {Path('/proc/loadavg').read_text().split()[0]})")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--bare":
        asyncio.run(bare_server(int(sys.argv[2])).serve())
    else:
        main()
