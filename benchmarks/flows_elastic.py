"""TopK, TimeSeries and analytics latency on the Elasticsearch backend (osmem-server) next to chdb, same flows.

Usage: uv run python benchmarks/flows_elastic.py [--flows-per-hour 280] [--runs 7] [--raw]

Both stores get the same scenario world (seed 7, 24 h; ~10k flows at the default rate): ECS documents rendered by
the scenario package and bulk-indexed into osmem through the `opensearch` flavor, and ntopng rows loaded into a
temporary chdb directory. Each request goes through the servicers (the gRPC layer is not in the figures).
osmem is an in-memory OpenSearch re-implementation, not Elasticsearch: its figures say nothing about a real cluster.
`--raw` then times each osmem call against its own searches (recorded from one call), sent to osmem one after the
other and all at once.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import clickhouse_connect
from osmem_server import OsmemServer

from netscope.flows.v1 import flows_pb2
from netscope_common.timeutil import make_window
from netscope_flows.clickhouse_backend import ClickHouseBackend
from netscope_flows.elastic.backend import ElasticBackend
from netscope_flows.elastic.loader import load_ecs
from netscope_flows.servicer import FlowsServicer
from netscope_flows.settings import FlowsSettings
from netscope_scenario.load import load_clickhouse
from netscope_scenario.output import generate
from netscope_scenario.world import World, build_world

END = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def requests(world: World) -> dict[str, tuple[str, Any]]:
    window = make_window(world.start, world.end)
    flt = flows_pb2.FlowFilter(window=window)
    return {
        "TopK src_ip by bytes, k=10": ("TopK", flows_pb2.TopKRequest(window=window, k=10)),
        "TopK ip pair by flows, k=10": (
            "TopK",
            flows_pb2.TopKRequest(
                window=window, dimension=flows_pb2.TOP_K_DIMENSION_IP_PAIR, metric=flows_pb2.METRIC_FLOWS, k=10
            ),
        ),
        "TimeSeries 24 h total (30 min buckets)": ("TimeSeries", flows_pb2.TimeSeriesRequest(filter=flt)),
        "TimeSeries 24 h by L7, top 5": (
            "TimeSeries",
            flows_pb2.TimeSeriesRequest(filter=flt, group_by=flows_pb2.TOP_K_DIMENSION_L7_PROTO, top_n=5),
        ),
        "FindAnomalies 24 h, all detectors": ("FindAnomalies", flows_pb2.FindAnomaliesRequest(filter=flt)),
        "DetectBottlenecks 24 h (60 s buckets)": ("DetectBottlenecks", flows_pb2.DetectBottlenecksRequest(filter=flt)),
        "Recommendations 24 h": ("Recommendations", flows_pb2.RecommendationsRequest(filter=flt)),
        "AnalyzeTraffic 24 h, top 10": ("AnalyzeTraffic", flows_pb2.AnalyzeTrafficRequest(filter=flt, top_n=10)),
        "InvestigateHost 24 h, a local host": (
            "InvestigateHost",
            flows_pb2.InvestigateHostRequest(
                ip=next(h.ip for h in world.hosts.values() if h.site), window=window, top_n=10
            ),
        ),
    }


async def call(servicer: object, rpc: str, request: object) -> object:
    """One servicer method call, as the gRPC layer would make it (the context is unused)."""
    return await getattr(servicer, rpc)(request, None)


async def timed(fn: Callable[[], Awaitable[object]], runs: int) -> tuple[float, float]:
    await fn()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), max(times)


async def recorded(backend: ElasticBackend, servicer: FlowsServicer, rpc: str, request: object) -> list[dict[str, Any]]:
    """The osmem search bodies one servicer call sends."""
    index = backend.index
    bodies: list[dict[str, Any]] = []
    search = index.search

    async def recording(**body: Any) -> dict[str, Any]:
        bodies.append(body)
        return await search(**body)

    index.search = recording
    try:
        await call(servicer, rpc, request)
    finally:
        index.search = search
    return bodies


async def against_raw(
    backend: ElasticBackend, servicer: FlowsServicer, reqs: dict[str, tuple[str, Any]], runs: int
) -> None:
    """Each osmem call beside its own searches (recorded from one call) sent one after the other and all at once."""
    client, name_of_index = backend.client, backend.index.index
    print("\n| request (osmem) | tool ms | searches | alone (sum) ms | at once ms | tool / at once |")
    print("|---|---|---|---|---|---|")
    for name, (rpc, request) in reqs.items():
        bodies = await recorded(backend, servicer, rpc, request)
        send = [functools.partial(client.search, index=name_of_index, ignore_unavailable=True, **b) for b in bodies]

        async def alone(send: list[functools.partial[Any]] = send) -> None:
            for fn in send:
                await fn()

        async def at_once(send: list[functools.partial[Any]] = send) -> None:
            await asyncio.gather(*(fn() for fn in send))

        tool = functools.partial(call, servicer, rpc, request)
        med = {case: (await timed(fn, runs))[0] for case, fn in (("tool", tool), ("alone", alone), ("once", at_once))}
        print(f"| {name} | {med['tool'] * 1000:,.0f} | {len(bodies)} | {med['alone'] * 1000:,.0f} | "
              f"{med['once'] * 1000:,.0f} | {med['tool'] / med['once']:.2f} |", flush=True)  # fmt: skip


async def main(flows_per_hour: int, runs: int, raw: bool) -> None:
    world = build_world(7, 24.0, END, flows_per_hour)
    with tempfile.TemporaryDirectory() as tmp, OsmemServer.start(japanese=False) as server:
        counts = generate(world, Path(tmp) / "out", renderings=("ecs",))
        es_settings = FlowsSettings(backend="elasticsearch", es_url=server.url, es_flavor="opensearch")
        backend = ElasticBackend(es_settings)
        started = time.perf_counter()
        indexed = await load_ecs(backend.client, Path(tmp) / "out")
        es_load = time.perf_counter() - started

        dsn = f"chdb://{Path(tmp) / 'chdb'}"
        started = time.perf_counter()
        load_clickhouse(clickhouse_connect.get_client(dsn=dsn), world)
        ch_load = time.perf_counter() - started
        ch_settings = FlowsSettings(dsn=dsn)
        chdb = ClickHouseBackend(ch_settings)
        await chdb.open()

        servicers = {
            "osmem": FlowsServicer(backend, es_settings),
            "chdb": FlowsServicer(chdb, ch_settings),
        }
        print(f"{counts['flows']} flows; osmem bulk index {indexed} docs in {es_load:.1f} s "
              f"({indexed / es_load:.0f} docs/s); chdb load {ch_load:.2f} s; median / max of {runs} runs")  # fmt: skip
        print(f"{'request':42} {'osmem median':>13} {'max':>8} {'chdb median':>12} {'max':>8}")
        for name, (rpc, request) in requests(world).items():
            row: list[float] = []
            for servicer in servicers.values():
                row.extend(await timed(functools.partial(call, servicer, rpc, request), runs))
            print(f"{name:42} {row[0] * 1000:11.1f}ms {row[1] * 1000:6.1f}ms {row[2] * 1000:10.1f}ms "
                  f"{row[3] * 1000:6.1f}ms")  # fmt: skip
        if raw:
            await against_raw(backend, servicers["osmem"], requests(world), runs)
        await backend.close()
        await chdb.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows-per-hour", type=int, default=280)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--raw", action="store_true", help="also each osmem call against its own searches")
    args = parser.parse_args()
    asyncio.run(main(args.flows_per_hour, args.runs, args.raw))
