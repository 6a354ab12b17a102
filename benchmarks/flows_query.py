"""TopK, SearchFlows, TimeSeries latency over N synthetic flows in chdb, and IngestFlows throughput.

Usage: uv run python benchmarks/flows_query.py [--rows 10000000] [--runs 7] [--ingest 300000]
(--rows 0 measures the ingest only)

Rows are made by INSERT ... SELECT from numbers() (24 h, 5,000 clients, 2,000 servers, 12 ports, 8 L7 protocols)
and queried through the backend's and the servicer's own SQL builders and store (the gRPC layer is not in the figures).
Ingest goes through the Ingestor (validation, column building, writer inserts, ledger) in 10,000-flow batches
(sustained rate: one warm-up batch first; each batch is parsed in the loop from the wire bytes of one 10,000-flow
template, as the gRPC server parses a request, so parsing is in the figure but the network is not).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import clickhouse_connect
from google.protobuf.timestamp_pb2 import Timestamp

from netscope.flows.v1 import flows_pb2
from netscope_common.timeutil import make_window
from netscope_flows.arguments import bucket_seconds
from netscope_flows.clickhouse_backend import ClickHouseBackend
from netscope_flows.filters import compile_filter
from netscope_flows.ingest import Ingestor
from netscope_flows.search import build_search_sql
from netscope_flows.settings import FlowsSettings
from netscope_flows.store import ClickHouseStore
from netscope_flows.timeseries import build_series_sql
from netscope_ntopng import schema

END = datetime(2026, 11, 20, tzinfo=UTC)
START = END - timedelta(hours=24)


def fill(dsn: str, rows: int) -> float:
    client = clickhouse_connect.get_client(dsn=dsn)
    client.command(schema.flows_ddl())
    started = time.perf_counter()
    client.command(
        "INSERT INTO flows (FLOW_ID, IP_PROTOCOL_VERSION, FIRST_SEEN, LAST_SEEN, PACKETS, TOTAL_BYTES, SRC2DST_BYTES, "
        "DST2SRC_BYTES, PROTOCOL, IPV4_SRC_ADDR, IP_SRC_PORT, IPV4_DST_ADDR, IP_DST_PORT, L7_PROTO, SCORE, "
        "PROBE_IP, INPUT_SNMP, OUTPUT_SNMP, CLIENT_LOCATION, SERVER_LOCATION, DST_COUNTRY_CODE) "
        f"SELECT number, 4, toDateTime({int(START.timestamp())} + intDiv(number * 86400, {rows})), "
        f"toDateTime({int(START.timestamp())} + intDiv(number * 86400, {rows}) + number % 60), 10 + number % 50, "
        "1000 + cityHash64(number) % 100000, 400 + number % 1000, 600 + number % 99000, if(number % 5 = 0, 17, 6), "
        "167772160 + cityHash64(number, 1) % 5000, 30000 + number % 30000, 3405803776 + cityHash64(number, 2) % 2000, "
        "[443, 80, 53, 22, 25, 993, 3389, 445, 8080, 123, 5060, 1194][number % 12 + 1], "
        "[91, 7, 5, 92, 3, 51, 88, 41][number % 8 + 1], number % 7 * 10, 167837697 + number % 3, 1 + number % 4, "
        f"1 + number % 2, 1, 2, 21843 FROM numbers({rows})"
    )
    return time.perf_counter() - started


async def timed(fn: Callable[[], Awaitable[object]], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), max(times)


def _ts(dt: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(dt)
    return out


def template(size: int) -> list[flows_pb2.IngestFlow]:
    now = datetime.now(UTC).replace(microsecond=0)
    return [
        flows_pb2.IngestFlow(
            exporter="192.0.2.1",
            protocol=6,
            client_ip=f"10.9.{i // 250 % 250}.{1 + i % 250}",
            client_port=40000,
            server_ip="198.51.100.7",
            server_port=443,
            application="TLS",
            first_seen=_ts(now - timedelta(seconds=30)),
            last_seen=_ts(now),
            src2dst_bytes=1000 + i,
            dst2src_bytes=5000,
            src2dst_packets=5,
            dst2src_packets=6,
            input_if=3,
            output_if=1,
        )
        for i in range(size)
    ]


async def batches(
    flows: list[flows_pb2.IngestFlow], count: int, prefix: str = "bench"
) -> AsyncIterator[flows_pb2.IngestFlowsRequest]:
    wire = flows_pb2.IngestFlowsRequest(flows=flows).SerializeToString()
    for n in range(count):
        batch = flows_pb2.IngestFlowsRequest.FromString(wire)  # as the gRPC server hands it to the servicer
        batch.batch_id = f"{prefix}-{n}"
        yield batch


async def ingest_rate(store: ClickHouseStore, total: int) -> None:
    flows = template(10_000)
    await Ingestor(store).ingest(batches(flows, 1, "warm-up"))
    started, cpu = time.perf_counter(), time.process_time()
    result = await Ingestor(store).ingest(batches(flows, total // len(flows)))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nIngest: {result.accepted} flows in {elapsed:.2f} s = {result.accepted / elapsed:,.0f} flows/s; "
          f"process CPU {cpu:.2f} s; peak RSS {rss:.0f} MiB")  # fmt: skip


async def run(dsn: str, rows: int, runs: int, ingest: int) -> None:
    settings = FlowsSettings(dsn=dsn, query_timeout_seconds=300)
    store = ClickHouseStore(settings)
    backend = ClickHouseBackend(settings, store)
    window = make_window(START, END)
    topk = flows_pb2.TopKRequest(window=window, dimension=flows_pb2.TOP_K_DIMENSION_SRC_IP, k=10)
    pair = flows_pb2.TopKRequest(window=window, dimension=flows_pb2.TOP_K_DIMENSION_IP_PAIR, k=10)
    flt = compile_filter(flows_pb2.FlowFilter(window=window))
    search_first = flows_pb2.SearchFlowsRequest(filter=flows_pb2.FlowFilter(window=window))
    search_port = flows_pb2.FlowFilter(window=window, dst_port=3389, min_bytes=50000)
    series = flows_pb2.TimeSeriesRequest(filter=flows_pb2.FlowFilter(window=window))
    grouped = flows_pb2.TimeSeriesRequest(
        filter=flows_pb2.FlowFilter(window=window), group_by=flows_pb2.TOP_K_DIMENSION_L7_PROTO, top_n=5
    )
    cases: dict[str, Callable[[], Awaitable[object]]] = {
        "TopK src IP by bytes, k=10": lambda: backend.top_k(topk, START, END, 10),
        "TopK IP pair by bytes, k=10": lambda: backend.top_k(pair, START, END, 10),
        "SearchFlows first page (100, newest)": lambda: store.read(build_search_sql(search_first, flt, 0, 100)),
        "SearchFlows first page, port + min bytes": lambda: store.read(
            build_search_sql(search_first, compile_filter(search_port), 0, 100)
        ),
        "TimeSeries 24 h total (30 min buckets)": lambda: store.read(
            build_series_sql(series, flt, bucket_seconds(series, flt), 5)
        ),
        "TimeSeries 24 h by L7, top 5": lambda: store.read(
            build_series_sql(grouped, flt, bucket_seconds(grouped, flt), 5)
        ),
    }
    await store.read("SELECT 1")
    if rows:
        print("| query | median s | max s |\n|---|---|---|")
        for name, fn in cases.items():
            median, worst = await timed(fn, runs)
            print(f"| {name} | {median:.3f} | {worst:.3f} |")
    await ingest_rate(store, ingest)
    await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--ingest", type=int, default=300_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        dsn = f"chdb://{tmp}/db"
        if args.rows:
            print(f"loaded {args.rows:,} flows in {fill(dsn, args.rows):.1f} s")
        else:
            clickhouse_connect.get_client(dsn=dsn).command(schema.flows_ddl())
        asyncio.run(run(dsn, args.rows, args.runs, args.ingest))


if __name__ == "__main__":
    main()
