"""The analysis RPCs of the flows service at scale, each against the raw scans it needs, in one process.

Usage: uv run python benchmarks/analysis_scale.py [--rows 1000000] [--runs 5] [--db DIR] [--tools a,b] [--profile]

Rows: the synthetic ntopng-schema flows of `benchmarks/flows_query.py` (24 h, 5,000 clients, 2,000 servers;
`--db DIR` keeps the store between runs). Each tool is called through the FlowsServicer over chdb (gRPC framing
is not in the figures); its raw scans are plain aggregate queries over the same rows (the reads the tool cannot
avoid: the same groupings and aggregates, no answer building), timed run one after the other ("alone", summed)
and all at once ("concurrent"). Tool, alone and concurrent runs are alternated run by run, so a loaded machine
weighs on each alike; the ratio is tool / concurrent. `--variants` also times InvestigateHost's reads three
ways (separate concurrent queries, -If combinators, GROUPING SETS). `get_asset_info` is InvestigateHost with
top_n 5 over 168 h; `network_health` calls no flows RPC (SNMP, alerts and live only). `--profile` times each read
of one InvestigateHost and one AnalyzeTraffic call alone.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from flows_query import END, START, fill

from netscope.flows.v1 import flows_pb2
from netscope_common.timeutil import make_window
from netscope_flows.clickhouse_backend import ClickHouseBackend
from netscope_flows.service_ports import ServicePorts
from netscope_flows.servicer import FlowsServicer
from netscope_flows.settings import FlowsSettings
from netscope_flows.store import ClickHouseStore

HOST = "10.0.0.7"  # one of the generator's 5,000 clients (167772160 + hash % 5000)
HOST_NUM = 167772167
W = f"FIRST_SEEN >= toDateTime({int(START.timestamp())}) AND FIRST_SEEN < toDateTime({int(END.timestamp())})"
HOST_W = f"{W} AND (IPV4_SRC_ADDR = {HOST_NUM} OR IPV4_DST_ADDR = {HOST_NUM})"
AGG = "sum(TOTAL_BYTES) AS bytes, sum(PACKETS), count(), sum(SCORE)"
PROBE = "PACKETS <= 4 AND TOTAL_BYTES <= 400"
KNOWN = ", ".join(map(str, ServicePorts(FlowsSettings().service_ports).known))
PORT = "concat(toString(IP_DST_PORT), '/', toString(PROTOCOL))"
SPREAD = (
    f"ARRAY JOIN range(intDiv(toUInt32(FIRST_SEEN), {{w}}) * {{w}}, least(toUInt32(LAST_SEEN), "
    f"{int(END.timestamp()) - 1}) + 1, {{w}}) AS b"
)
# the part of a flow's bytes in bucket b (each flow's bytes spread over the buckets its duration covers)
SHARE = (
    f"(least(b + {{w}}, least(toUInt32(LAST_SEEN), {int(END.timestamp()) - 1}) + 1) "
    "- greatest(b, toUInt32(FIRST_SEEN))) "
    "/ (greatest(toUInt32(LAST_SEEN), toUInt32(FIRST_SEEN)) - toUInt32(FIRST_SEEN) + 1)"
)


def rank(where: str, key: str) -> str:
    return f"SELECT {key} AS k, {AGG} FROM flows WHERE {where} GROUP BY k ORDER BY bytes DESC LIMIT 10"


def totals(where: str) -> str:
    return (
        "SELECT sum(TOTAL_BYTES), sum(PACKETS), count(), uniqExact(arrayJoin([IPV4_SRC_ADDR, IPV4_DST_ADDR])), "
        f"sum(SRC2DST_BYTES) FROM flows WHERE {where}"
    )


def detectors(where: str) -> list[str]:
    """The scans of the eight anomaly kinds (spike and drop share one): each detector's grouping, aggregates and
    conditions on the numeric IPv4 columns, nothing rendered."""
    span = "min(FIRST_SEEN), max(LAST_SEEN)"
    return [
        f"SELECT IPV4_SRC_ADDR, IP_DST_PORT, uniqExact(IPV4_DST_ADDR) AS t, count(), {span}, sum(TOTAL_BYTES) "
        f"FROM flows WHERE {where} AND {PROBE} GROUP BY 1, 2 HAVING t >= 50 ORDER BY t DESC LIMIT 100",
        f"SELECT IPV4_SRC_ADDR, IPV4_DST_ADDR, uniqExact(IP_DST_PORT) AS t, count(), {span}, min(IP_DST_PORT), "
        f"max(IP_DST_PORT) FROM flows WHERE {where} AND {PROBE} GROUP BY 1, 2 HAVING t >= 50 ORDER BY t DESC LIMIT 100",
        f"SELECT IPV4_SRC_ADDR, uniqExact(lower(INFO)) AS t, count(), {span}, groupUniqArray(5)(INFO) FROM flows "
        f"WHERE {where} AND L7_PROTO = 5 AND match(arrayElement(splitByChar('.', lower(INFO)), -2), "
        "'^[a-z0-9]{12,}$') GROUP BY 1 HAVING t >= 5 ORDER BY t DESC LIMIT 100",
        "SELECT IPV4_SRC_ADDR, IPV4_DST_ADDR, IP_DST_PORT, count() AS n, "
        "arrayPopFront(arrayDifference(arraySort(groupArray(toInt64(FIRST_SEEN))))) AS gaps, arrayAvg(gaps) AS m, "
        f"sqrt(arrayAvg(arrayMap(x -> (x - m) * (x - m), gaps))) AS sd, avg(TOTAL_BYTES) AS a, {span} FROM flows "
        f"WHERE {where} GROUP BY 1, 2, 3 HAVING n >= 10 AND n <= 100000 AND m >= 10 AND sd / m <= 0.2 "
        "AND a <= 20000 ORDER BY n DESC LIMIT 100",
        f"SELECT IPV4_SRC_ADDR, IPV4_DST_ADDR, sum(SRC2DST_BYTES) AS up, count(), {span}, any(DST_COUNTRY_CODE), "
        f"any(DST_ASN) FROM flows WHERE {where} AND CLIENT_LOCATION = 1 AND SERVER_LOCATION = 2 "
        "AND (toHour(FIRST_SEEN) < 7 OR toHour(FIRST_SEEN) >= 19) GROUP BY 1, 2 HAVING up >= 1000000000 "
        "ORDER BY up DESC LIMIT 100",
        f"SELECT b, sum(TOTAL_BYTES * {SHARE.format(w=300)}) FROM flows {SPREAD.format(w=300)} WHERE {where} "
        "GROUP BY b",
        f"SELECT IP_DST_PORT, uniqExact(IPV4_SRC_ADDR) AS c, groupUniqArray(10)(IPV4_SRC_ADDR), "
        f"groupUniqArray(10)(IPV4_DST_ADDR), count(), {span}, sum(TOTAL_BYTES) FROM flows WHERE {where} "
        f"AND NOT ({PROBE}) AND IP_DST_PORT != 0 AND IP_DST_PORT NOT IN ({KNOWN}) GROUP BY 1 HAVING c <= 2 "
        "ORDER BY 1 LIMIT 100",
    ]


INTERFACE_LOAD = (
    f"SELECT PROBE_IP, side.1, side.2, b, sum(side.3 * {SHARE.format(w=60)}) FROM flows {SPREAD.format(w=60)} "
    "ARRAY JOIN [(OUTPUT_SNMP, 'out', SRC2DST_BYTES), (INPUT_SNMP, 'out', DST2SRC_BYTES), "
    "(INPUT_SNMP, 'in', SRC2DST_BYTES), (OUTPUT_SNMP, 'in', DST2SRC_BYTES)] AS side "
    f"WHERE {W} AND PROBE_IP != 0 AND side.1 != 0 GROUP BY 1, 2, 3, 4"
)
SRC = f"IPV4_SRC_ADDR = {HOST_NUM}"
DST = f"IPV4_DST_ADDR = {HOST_NUM}"
HOST_RAW = [
    f"SELECT any(SRC_LABEL), countIf(STATUS != 0) FROM flows WHERE {HOST_W}",
    totals(f"{W} AND {SRC}"),
    totals(f"{W} AND {DST}"),
    rank(HOST_W, f"if({SRC}, IPV4_DST_ADDR, IPV4_SRC_ADDR)"),
    rank(f"{W} AND {SRC}", PORT),
    rank(f"{W} AND {DST}", PORT),
    rank(HOST_W, "L7_PROTO"),
    *detectors(HOST_W),
]
ANALYZE_RAW = [
    totals(W),
    rank(W, "L7_PROTO"),
    rank(W, "IPV4_SRC_ADDR"),
    rank(W, PORT),
    rank(W, "IPV4_DST_ADDR"),
]
# InvestigateHost's reads in one pass: -If combinators for the per-side totals, GROUPING SETS for the rankings.
HOST_IF = [
    "SELECT any(SRC_LABEL), countIf(STATUS != 0), "
    + ", ".join(
        f"sumIf(TOTAL_BYTES, {side}), sumIf(PACKETS, {side}), countIf({side}), sumIf(SRC2DST_BYTES, {side}), "
        f"uniqExactIf(arrayJoin([IPV4_SRC_ADDR, IPV4_DST_ADDR]), {side})"
        for side in (SRC, DST)
    )
    + f" FROM flows WHERE {HOST_W}",
]
HOST_SETS = [
    f"SELECT if({SRC}, IPV4_DST_ADDR, IPV4_SRC_ADDR) AS peer, L7_PROTO, {PORT} AS port, {SRC} AS client, {AGG} "
    f"FROM flows WHERE {HOST_W} GROUP BY GROUPING SETS ((peer), (L7_PROTO), (client, port))"
]


async def timed(fn: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await fn()
    return time.perf_counter() - started


def alone(store: ClickHouseStore, sqls: list[str]) -> Callable[[], Awaitable[object]]:
    async def run() -> None:
        for sql in sqls:
            await store.read(sql)

    return run


def concurrent(store: ClickHouseStore, sqls: list[str]) -> Callable[[], Awaitable[object]]:
    async def run() -> None:
        await asyncio.gather(*(store.read(sql) for sql in sqls))

    return run


async def compare(runs: int, cases: dict[str, Callable[[], Awaitable[object]]]) -> dict[str, float]:
    """Median seconds of each case, the cases alternated run by run (one warm-up round first)."""
    for fn in cases.values():
        await fn()
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, fn in cases.items():
            times[name].append(await timed(fn))
    return {name: statistics.median(t) for name, t in times.items()}


async def profile(store: ClickHouseStore, runs: int, name: str, call: Callable[[], Awaitable[object]]) -> None:
    """The reads one call makes, each timed alone (median of `runs`), beside the call and its reads run at once."""
    sqls: list[str] = []
    read = store.read

    async def recording(sql: str, parameters: Any = None) -> Any:
        sqls.append(sql)
        return await read(sql, parameters)

    store.read = recording
    try:
        await call()
    finally:
        store.read = read
    each = {sql: await compare(runs, {"read": alone(store, [sql])}) for sql in sqls}
    med = await compare(runs, {"call": call, "reads": concurrent(store, sqls)})
    print(f"\n{name}: {med['call'] * 1000:,.0f} ms; its {len(sqls)} reads at once {med['reads'] * 1000:,.0f} ms:")
    for sql, seconds in each.items():
        print(f"- {seconds['read'] * 1000:,.1f} ms {' '.join(sql.split())[:140]}")


async def run(dsn: str, runs: int, variants: bool, only: str, profiled: bool = False) -> None:
    settings = FlowsSettings(dsn=dsn, query_timeout_seconds=600)
    backend = ClickHouseBackend(settings)
    servicer = FlowsServicer(backend, settings)
    store = backend.store
    window = make_window(START, END)
    week = make_window(END - timedelta(hours=168), END)
    flt = flows_pb2.FlowFilter(window=window)
    tools: dict[str, tuple[Callable[[], Awaitable[object]], list[str]]] = {
        "InvestigateHost": (
            lambda: servicer.InvestigateHost(flows_pb2.InvestigateHostRequest(ip=HOST, window=window, top_n=10), None),
            HOST_RAW,
        ),
        "get_asset_info (InvestigateHost 168 h, top 5)": (
            lambda: servicer.InvestigateHost(flows_pb2.InvestigateHostRequest(ip=HOST, window=week, top_n=5), None),
            HOST_RAW,
        ),
        "FindAnomalies": (
            lambda: servicer.FindAnomalies(flows_pb2.FindAnomaliesRequest(filter=flt, max_findings=20), None),
            detectors(W),
        ),
        "AnalyzeTraffic": (
            lambda: servicer.AnalyzeTraffic(flows_pb2.AnalyzeTrafficRequest(filter=flt, top_n=10), None),
            ANALYZE_RAW,
        ),
        "DetectBottlenecks": (
            lambda: servicer.DetectBottlenecks(flows_pb2.DetectBottlenecksRequest(filter=flt), None),
            [INTERFACE_LOAD],
        ),
        "Recommendations": (
            lambda: servicer.Recommendations(flows_pb2.RecommendationsRequest(filter=flt, max_items=5), None),
            [*detectors(W), INTERFACE_LOAD],
        ),
    }
    await store.read("SELECT 1")
    print(
        "| tool | tool ms | raw scans | alone (sum) ms | concurrent ms | tool / concurrent |\n|---|---|---|---|---|---|"
    )
    for name, (tool, raw) in tools.items():
        if only and not any(part in name for part in only.split(",")):
            continue
        med = await compare(runs, {"tool": tool, "alone": alone(store, raw), "concurrent": concurrent(store, raw)})
        print(
            f"| {name} | {med['tool'] * 1000:,.0f} | {len(raw)} | {med['alone'] * 1000:,.0f} | "
            f"{med['concurrent'] * 1000:,.0f} | {med['tool'] / med['concurrent']:.2f} |",
            flush=True,
        )
    topk = flows_pb2.TopKRequest(window=window, dimension=flows_pb2.TOP_K_DIMENSION_SRC_IP, k=10)
    plain = f"SELECT IPV4_SRC_ADDR AS k, sum(TOTAL_BYTES) AS b FROM flows WHERE {W} GROUP BY k ORDER BY b DESC LIMIT 10"
    text = plain.replace("IPV4_SRC_ADDR AS k", "IPv4NumToString(IPV4_SRC_ADDR) AS k")
    med = await compare(
        runs,
        {"TopK": lambda: servicer.TopK(topk, None), "plain": alone(store, [plain]), "text": alone(store, [text])},
    )
    print(
        f"\nTopK src IP by bytes k=10: {med['TopK'] * 1000:,.0f} ms; plain GROUP BY on the number "
        f"{med['plain'] * 1000:,.0f} ms (ratio {med['TopK'] / med['plain']:.2f}), on IPv4NumToString "
        f"{med['text'] * 1000:,.0f} ms (ratio {med['TopK'] / med['text']:.2f})"
    )
    if profiled:
        for name in ("InvestigateHost", "AnalyzeTraffic"):
            await profile(store, runs, name, tools[name][0])
    if variants:
        host_reads = HOST_RAW[:7]
        med = await compare(
            runs,
            {
                "7 queries concurrent": concurrent(store, host_reads),
                "-If totals + 4 rankings, concurrent": concurrent(store, HOST_IF + host_reads[3:]),
                "-If totals + GROUPING SETS rankings": concurrent(store, HOST_IF + HOST_SETS),
            },
        )
        print("\nInvestigateHost profile reads (no detectors):")
        for name, seconds in med.items():
            print(f"- {name}: {seconds * 1000:,.0f} ms")
    await backend.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", help="keep the store in DIR (filled once, reused when it has flows)")
    parser.add_argument("--tools", default="", help="only the tools whose names contain one of these (a,b)")
    parser.add_argument("--variants", action="store_true", help="also time InvestigateHost's reads three ways")
    parser.add_argument(
        "--profile", action="store_true", help="also time each read of InvestigateHost and AnalyzeTraffic"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or f"{tmp}/db"
        if not Path(path).exists() or not os.listdir(path):
            print(f"loaded {args.rows:,} flows in {fill(f'chdb://{path}', args.rows):.1f} s")
        print(f"load average {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f}")
        asyncio.run(run(f"chdb://{path}", args.runs, args.variants, args.tools, args.profile))
        print(f"load average {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f}")


if __name__ == "__main__":
    main()
