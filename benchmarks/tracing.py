"""Tracing overhead: the cost of an instrumented call with tracing off (the default) and on (OTLP export).

Two measurements in one run:
1. in process, per instrumentation point: `span()` untraced (the shared no-op), then traced with a batch
   processor exporting to a discarding exporter, against an empty loop as the baseline;
2. end to end, per MCP tool call: two stacks (flows on a seeded chdb + an aggregator) run side by side, one
   untraced and one exporting every span over OTLP/gRPC to a receiver in this process; calls alternate between
   them round by round so both see the same machine load. Tools: `list_tables_ntopng_database` (one RPC, one
   store query) and `query_ntopng_database` (one RPC, an SQL check and a store query over the seeded flows).

Run: uv run python -m benchmarks.tracing [--calls 300]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from netscope_common import tracing
from tests.support.otlp import SpanStore, otlp_receiver
from tests.support.processes import NETSCOPE, free_port, running, wait_grpc_serving, wait_http_ok
from tests.support.stack import READ_TOKEN, mcp_session

TOOLS: list[tuple[str, dict[str, object]]] = [
    ("list_tables_ntopng_database", {}),
    ("query_ntopng_database", {"query": "SELECT PROTOCOL, count() FROM flows GROUP BY PROTOCOL"}),
]


class Discard(SpanExporter):
    """Drops every span (the cost of recording and batching, without a network)."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def per_point_ns(iterations: int) -> float:
    """Nanoseconds per `with span(...)` of a store query, as the services instrument them."""
    started = time.perf_counter()
    for _ in range(iterations):
        with tracing.span("flows.store read", db_system="clickhouse", db_query_text="SELECT 1"):
            pass
    return (time.perf_counter() - started) / iterations * 1e9


def empty_loop_ns(iterations: int) -> float:
    """Nanoseconds per iteration of the same loop with nothing in it."""
    started = time.perf_counter()
    for _ in range(iterations):
        pass
    return (time.perf_counter() - started) / iterations * 1e9


def micro(iterations: int) -> None:
    """Per instrumentation point: off, then on (a tool span around it, as inside a traced call)."""
    baseline = min(empty_loop_ns(iterations) for _ in range(3))
    off = min(per_point_ns(iterations) for _ in range(3))
    recorded = iterations // 20  # each round stays within the batch queue, so no span is dropped
    tracing.configure_tracing("bench", BatchSpanProcessor(Discard(), max_queue_size=recorded * 2))
    with tracing.span("tools/call bench", new_trace=True):
        on = min(per_point_ns(recorded) for _ in range(3))
    print(f"per instrumentation point (best of 3 rounds of {iterations} untraced, {recorded} traced):")
    print(f"  empty loop                  {baseline:8.0f} ns")
    print(f"  span() with tracing off     {off:8.0f} ns  (+{off - baseline:.0f} ns)")
    print(f"  span() with tracing on      {on:8.0f} ns  (+{on - baseline:.0f} ns)")


@contextlib.contextmanager
def stack(name: str, dsn: str, logs: Path, env: dict[str, str]) -> Iterator[str]:
    """flows on `dsn` and an aggregator in front of it, with extra environment `env`; yields the MCP URL."""
    flows_port, http_port = free_port(), free_port()
    flows_env = {"NETSCOPE_FLOWS_DSN": dsn, "NETSCOPE_FLOWS_PORT": str(flows_port), **env}
    agg_env = {
        "NETSCOPE_AGGREGATOR_PORT": str(http_port),
        "NETSCOPE_AGGREGATOR_FLOWS_TARGET": f"127.0.0.1:{flows_port}",
        "NETSCOPE_AGGREGATOR_TOKENS": f"reader:read:{READ_TOKEN}",
        "NETSCOPE_AGGREGATOR_RATE_LIMIT_PER_MINUTE": "1000000",
        **env,
    }
    with running(f"flows-{name}", [*NETSCOPE, "serve", "flows"], flows_env, logs) as flows:
        wait_grpc_serving(f"127.0.0.1:{flows_port}", process=flows, timeout=120)
        with running(f"aggregator-{name}", [*NETSCOPE, "serve", "aggregator"], agg_env, logs) as aggregator:
            wait_http_ok(f"http://127.0.0.1:{http_port}/healthz", process=aggregator, timeout=120)
            yield f"http://127.0.0.1:{http_port}/mcp/"


def p50_p99(samples: list[float]) -> tuple[float, float]:
    """Milliseconds."""
    ordered = sorted(samples)
    return statistics.median(ordered) * 1e3, ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e3


async def end_to_end(urls: dict[str, str], calls: int, spans: SpanStore) -> None:
    """Sequential calls, alternating between the untraced and the traced stack."""
    async with mcp_session(urls["off"]) as off, mcp_session(urls["on"]) as on:
        sessions = {"off": off, "on": on}
        for tool, arguments in TOOLS:
            samples: dict[str, list[float]] = {"off": [], "on": []}
            for round_ in range(calls + 20):
                for mode in ("off", "on") if round_ % 2 else ("on", "off"):
                    started = time.perf_counter()
                    result = await sessions[mode].call_tool(tool, arguments)
                    elapsed = time.perf_counter() - started
                    assert not result.is_error, result.content
                    if round_ >= 20:  # warm-up
                        samples[mode].append(elapsed)
            (off50, off99), (on50, on99) = p50_p99(samples["off"]), p50_p99(samples["on"])
            print(
                f"  {tool:30s} off p50 {off50:6.2f} ms p99 {off99:6.2f} ms | on p50 {on50:6.2f} ms p99 {on99:6.2f} ms"
                f" | on/off p50 {on50 / off50:.3f}"
            )
    await asyncio.sleep(1)  # the last batch of spans
    print(f"  spans received from the traced stack: {len(spans.spans)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--iterations", type=int, default=200_000)
    args = parser.parse_args()
    micro(args.iterations)
    with tempfile.TemporaryDirectory() as tmp, otlp_receiver() as (endpoint, spans):
        root = Path(tmp)
        dsns = {mode: f"chdb://{root / f'flows-{mode}'}" for mode in ("off", "on")}
        for dsn in dsns.values():
            subprocess.run([sys.executable, "-m", "tests.support.seed_flows", dsn], check=True, timeout=300)
        traced = {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}
        with (
            stack("off", dsns["off"], root / "logs", {}) as off_url,
            stack("on", dsns["on"], root / "logs", traced) as on_url,
        ):
            print(f"\nper MCP tool call ({args.calls} calls each, alternating untraced / traced stack):")
            asyncio.run(end_to_end({"off": off_url, "on": on_url}, args.calls, spans))


if __name__ == "__main__":
    main()
