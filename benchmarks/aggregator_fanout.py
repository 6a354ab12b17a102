"""Fan-out latency against its slowest part, and bytes per answer against the raw rows behind it.

Starts `netscope demo` (24 h of simulated history, all four services) on free ports, then:
1. investigate_host fans out to flows InvestigateHost, alerts ListAlerts and live GetHost. Each part is timed
   alone over gRPC with the same request; the tool is timed over MCP; a bare mcp SDK server with a trivial tool
   gives the MCP transport's own cost. Fan-out overhead = tool − bare SDK − slowest part (p50s; target ≤ 2 ms).
2. For the mcp-ntopng tools, the bytes an assistant receives (text + structured content) against the JSON of the
   raw rows the answer summarises (rows in the window × the mean JSON size of a flow/alert row).

Run: uv run python -m benchmarks.aggregator_fanout [--calls 100] [--hours 24]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import grpc
from mcp import ClientSession

from benchmarks.aggregator_overhead import TOKEN as BARE_TOKEN
from benchmarks.aggregator_overhead import percentiles
from netscope.alerts.v1 import alerts_pb2, alerts_pb2_grpc
from netscope.flows.v1 import flows_pb2, flows_pb2_grpc
from netscope.live.v1 import live_pb2, live_pb2_grpc
from netscope_common.timeutil import last
from tests.support.demo import running_demo
from tests.support.processes import free_port, running
from tests.support.stack import mcp_session

TOKEN = "fanout-bench-token-0123456789"


async def p50_p99(calls: int, fn: Callable[[], Awaitable[object]]) -> tuple[float, float]:
    """p50/p99 in ms of `calls` sequential calls after 10 warm-up calls."""
    for _ in range(10):
        await fn()
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - started)
    return percentiles(samples)


def answer_bytes(result: Any) -> int:
    """What the assistant receives: every text block plus the structured content as JSON."""
    text = sum(len(getattr(c, "text", "").encode()) for c in result.content)
    structured = len(json.dumps(result.structured_content).encode()) if result.structured_content else 0
    return text + structured


async def fan_out(session: ClientSession, targets: dict[str, str], host: str, calls: int) -> tuple[float, float, float]:
    """Print each part, the parts at once and the tool; return p50s of (slowest part, parts at once, tool)."""
    window = last(timedelta(hours=24))
    alerts_request = alerts_pb2.ListAlertsRequest(window=window, entity_value=host)
    alerts_request.page.page_size = 20
    async with (
        grpc.aio.insecure_channel(targets["flows"]) as flows_channel,
        grpc.aio.insecure_channel(targets["alerts"]) as alerts_channel,
        grpc.aio.insecure_channel(targets["live"]) as live_channel,
    ):
        flows = flows_pb2_grpc.FlowsServiceStub(flows_channel)
        alerts = alerts_pb2_grpc.AlertsServiceStub(alerts_channel)
        live = live_pb2_grpc.LiveServiceStub(live_channel)
        parts = {
            "flows InvestigateHost": lambda: flows.InvestigateHost(
                flows_pb2.InvestigateHostRequest(ip=host, window=window, top_n=10), timeout=30
            ),
            "alerts ListAlerts": lambda: alerts.ListAlerts(alerts_request, timeout=30),
            "live GetHost": lambda: live.GetHost(live_pb2.GetHostRequest(ip=host), timeout=30),
        }
        timings = {name: await p50_p99(calls, fn) for name, fn in parts.items()}

        async def together() -> None:
            await asyncio.gather(*(fn() for fn in parts.values()))

        timings["all three at once over gRPC"] = await p50_p99(calls, together)
    tool = await p50_p99(calls, lambda: session.call_tool("investigate_host", {"ip": host}))
    for name, (p50, p99) in timings.items():
        print(f"  {name:32s} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms")
    print(f"  {'investigate_host over MCP':32s} p50 {tool[0]:7.1f} ms  p99 {tool[1]:7.1f} ms")
    slowest = max(p50 for name, (p50, _) in timings.items() if name != "all three at once over gRPC")
    return slowest, timings["all three at once over gRPC"][0], tool[0]


async def bare_p50(port: int, calls: int) -> float:
    async with mcp_session(f"http://127.0.0.1:{port}/mcp", BARE_TOKEN) as session:
        p50, _ = await p50_p99(calls, lambda: session.call_tool("ping", {}))
    return p50


async def raw_row_bytes(session: ClientSession, table: str) -> float:
    """Mean JSON size of one raw row of `table` (from 1,000 rows)."""
    result = await session.call_tool("query_ntopng_database", {"query": f"SELECT * FROM {table} LIMIT 1000"})
    rows = result.structured_content["rows"]
    columns = result.structured_content["columns"]
    return len(json.dumps([dict(zip(columns, row, strict=False)) for row in rows]).encode()) / max(1, len(rows))


async def count(session: ClientSession, sql: str) -> int:
    result = await session.call_tool("query_ntopng_database", {"query": sql})
    return int(result.structured_content["rows"][0][0])


async def sizes(session: ClientSession, host: str) -> None:
    flow_row = await raw_row_bytes(session, "flows")
    day = "FIRST_SEEN >= now() - INTERVAL 24 HOUR"
    flows_day = await count(session, f"SELECT count() FROM flows WHERE {day}")
    address = f"IPv4StringToNum('{host}')"
    host_day = await count(
        session, f"SELECT count() FROM flows WHERE {day} AND (IPV4_SRC_ADDR = {address} OR IPV4_DST_ADDR = {address})"
    )
    alerts_result = await session.call_tool("list_alerts", {"limit": 100})
    alert_rows = alerts_result.structured_content["alerts"]
    alert_row = len(json.dumps(alert_rows).encode()) / max(1, len(alert_rows))
    alerts_total = int(alerts_result.structured_content.get("total", len(alert_rows)))
    cases: list[tuple[str, dict[str, Any], int, float]] = [
        ("get_ntopng_top-k_flows", {}, flows_day, flow_row),
        ("fetch_ntopng_top_local_talkers", {}, flows_day, flow_row),
        ("get_ntopng_flow_devices_stats", {}, flows_day, flow_row),
        ("query_ntopng_flows_data", {"select_clause": "*"}, flows_day, flow_row),
        ("query_ntopng_database", {"query": "SELECT * FROM flows"}, flows_day, flow_row),
        ("get_ntopng_all_alert_stats", {}, alerts_total, alert_row),
        ("get_ntopng_host_alert_stats", {}, alerts_total, alert_row),
        ("investigate_host", {"ip": host}, host_day, flow_row),
    ]
    print(f"\n  {'tool':34s} {'answer bytes':>12s} {'raw rows':>9s} {'raw JSON bytes':>15s} {'ratio':>8s}")
    for name, arguments, rows, row_bytes in cases:
        result = await session.call_tool(name, arguments)
        size = answer_bytes(result)
        raw = rows * row_bytes
        print(f"  {name:34s} {size:12,d} {rows:9,d} {raw:15,.0f} {raw / max(1, size):7.0f}x")


async def measure(args: argparse.Namespace, url: str, targets: dict[str, str], bare_port: int) -> None:
    async with mcp_session(url, TOKEN) as session:
        talkers = await session.call_tool("fetch_ntopng_top_local_talkers", {})
        host = talkers.structured_content["hosts"][0]["ip"]
        print(f"investigate_host({host}) and its parts, {args.calls} sequential calls each:")
        slowest, together, tool = await fan_out(session, targets, host, args.calls)
        bare = await bare_p50(bare_port, args.calls)
        print(f"  {'bare SDK trivial tool':32s} p50 {bare:7.1f} ms")
        print(f"  fan-out overhead = tool - bare SDK - slowest part: {tool - bare - slowest:+.1f} ms (target <= 2 ms)")
        print(f"  same against the three parts run at once: {tool - bare - together:+.1f} ms")
        await sizes(session, host)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--hours", type=float, default=24.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bare_port = free_port()
        bare = [sys.executable, "-m", "benchmarks.aggregator_overhead", "--bare", str(bare_port)]
        with (
            running_demo(root / "demo", root, TOKEN, hours=args.hours, ready_timeout=600) as demo,
            running("bare", bare, {}, root),
        ):
            asyncio.run(measure(args, demo.url, demo.grpc_targets, bare_port))
            load = Path("/proc/loadavg").read_text().split()[0]
            print(f"(load average {load}; p50 = median of the calls above)")


if __name__ == "__main__":
    main()
