"""The ClickHouse backend: ntopng's flows table on a ClickHouse server or in embedded chdb, by SQL.

Every statement here is built from checked values (enums, integers, re-rendered addresses); assistant SQL
has its own path (`clickhouse_sql`), the only one that takes text from a caller.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from netscope.common.v1 import common_pb2
from netscope.flows.v1 import flows_pb2
from netscope_common.errors import FailedPrecondition
from netscope_common.timeutil import to_timestamp
from netscope_flows import analysis, anomalies, search, stats, timeseries
from netscope_flows.backend import InterfaceKey, LoadRow, SqlAccess
from netscope_flows.buckets import share, spread_join
from netscope_flows.clickhouse_sql import ClickHouseSql
from netscope_flows.filters import DST_IP_SQL, SRC_IP_SQL, CompiledFilter, compile_filter
from netscope_flows.ingest import Ingestor, IngestResult
from netscope_flows.settings import READS_ONLY, FlowsSettings
from netscope_flows.store import ClickHouseStore
from netscope_flows.topk import D, IpRanking, build_ip_ranking, build_topk_sql, render_key

# metric -> its column in a ranked row (key, bytes, packets, flows, score)
_METRIC_INDEX: dict[int, int] = {
    flows_pb2.METRIC_UNSPECIFIED: 1,
    flows_pb2.METRIC_BYTES: 1,
    flows_pb2.METRIC_PACKETS: 2,
    flows_pb2.METRIC_FLOWS: 3,
    flows_pb2.METRIC_SCORE: 4,
}


def _entry(key: str, nbytes: int, packets: int, flows: int, score: int) -> flows_pb2.TopKEntry:
    return flows_pb2.TopKEntry(key=key, bytes=int(nbytes), packets=int(packets), flows=int(flows), score=int(score))


class ClickHouseBackend:
    """FlowsBackend over a ClickHouseStore, with SQL access (`sql`)."""

    name = "ClickHouse"
    setting = "NETSCOPE_FLOWS_BACKEND=clickhouse"
    load_bucket_seconds = 60

    def __init__(self, settings: FlowsSettings, store: ClickHouseStore | None = None) -> None:
        self._settings = settings
        self.store = store or ClickHouseStore(settings)
        self.sql: SqlAccess | None = ClickHouseSql(self.store, settings)
        self._ingestor = Ingestor(self.store)

    async def open(self) -> None:
        """Open the store (and create the flows table and the ingest ledger when missing)."""
        await self.store.open()

    async def ping(self) -> None:
        """Raise Unavailable unless the store answers."""
        await self.store.ping()

    async def close(self) -> None:
        """Close the store."""
        await self.store.close()

    def compile(self, flt: flows_pb2.FlowFilter, default_span: timedelta = timedelta(hours=1)) -> CompiledFilter:
        """The filter as a WHERE clause (every field checked)."""
        return compile_filter(flt, default_span=default_span)

    async def top_k(
        self, request: flows_pb2.TopKRequest, start: datetime, end: datetime, k: int
    ) -> tuple[list[flows_pb2.TopKEntry], int]:
        """The ranking and the window's total bytes (from the ranking's own scans unless the request narrows it by
        interface_id or locality; the HOST ranking counts each flow twice, so it never does). IP rankings read
        as `IpRanking` says, the other dimensions in one query."""
        ip_ranking = build_ip_ranking(request, start, end)
        if ip_ranking is None:
            ranked = (await self.store.read(build_topk_sql(request, start, end))).rows
            window_bytes = int(ranked[0][5] or 0) if ranked else 0
        else:
            ranked, window_bytes = await self._ip_top_k(ip_ranking, request.metric, k)
        entries = [_entry(render_key(request.dimension, key), *rest[:4]) for key, *rest in ranked]
        narrowed = request.HasField("interface_id") or request.locality or request.dimension == D.TOP_K_DIMENSION_HOST
        if not narrowed:
            return entries, window_bytes
        total = await self.store.read(
            f"SELECT sum(TOTAL_BYTES) FROM flows WHERE FIRST_SEEN >= toDateTime({int(start.timestamp())}) "
            f"AND FIRST_SEEN < toDateTime({int(end.timestamp())})"
        )
        return entries, int(total.rows[0][0] or 0) if total.rows else 0

    async def _ip_top_k(self, ranking: IpRanking, metric: int, k: int) -> tuple[list[tuple[Any, ...]], int]:
        """An IP ranking's rows (key, bytes, packets, flows, score; ordered by the metric, then key) and the bytes
        of both address families: the IPv4 ranking and the IPv6 part read together, then the IPv4 winners'
        aggregates."""
        v4, v6 = await asyncio.gather(self.store.read(ranking.v4_ranking), self.store.read(ranking.v6_part))
        winners = await self.store.read(ranking.details([g for g, *_ in v4.rows])) if v4.rows else None
        rows = [*(winners.rows if winners else []), *(tuple(row[:5]) for row in v6.rows)]
        column = _METRIC_INDEX[metric]
        rows.sort(key=lambda row: (-int(row[column]), str(row[0])))
        window_bytes = sum(int(part.rows[0][-1] or 0) for part in (v4, v6) if part.rows)
        return rows[:k], window_bytes

    async def search_flows(
        self, request: flows_pb2.SearchFlowsRequest, flt: CompiledFilter, size: int
    ) -> tuple[list[flows_pb2.FlowRecord], str]:
        """A page by LIMIT/OFFSET; the token carries the next offset."""
        offset = search.decode_token(request)
        result = await self.store.read(search.build_search_sql(request, flt, offset, size))
        more = len(result.rows) > size and offset + size <= search.MAX_OFFSET
        token = search.encode_token(request, offset + size) if more else ""
        return [search.to_record(r) for r in result.rows[:size]], token

    async def time_series(
        self, request: flows_pb2.TimeSeriesRequest, flt: CompiledFilter, width: int, n: int
    ) -> list[flows_pb2.Series]:
        """Rows (key, bucket, value) folded into one series per key."""
        result = await self.store.read(timeseries.build_series_sql(request, flt, width, n))
        series: dict[str, flows_pb2.Series] = {}
        for key, bucket, value in result.rows:
            name = render_key(request.group_by, key)
            entry = series.setdefault(name, flows_pb2.Series(key=name))
            entry.points.append(
                flows_pb2.TimePoint(time=to_timestamp(datetime.fromtimestamp(int(bucket), UTC)), value=float(value))
            )
        return list(series.values())

    async def country_stats(self, flt: CompiledFilter, k: int) -> list[flows_pb2.CountryStat]:
        """Both sides of every flow by ntopng's country codes."""
        result = await self.store.read(stats.build_country_sql(flt, k))
        return [stats.to_country(r) for r in result.rows]

    async def device_stats(self, flt: CompiledFilter) -> list[flows_pb2.ExporterStat]:
        """Per PROBE_IP, with INPUT_SNMP/OUTPUT_SNMP interfaces nested."""
        totals = await self.store.read(stats.build_exporter_sql(flt))
        interfaces = await self.store.read(stats.build_interface_sql(flt))
        return stats.to_exporters(totals.rows, interfaces.rows)

    async def analyze_traffic(self, flt: CompiledFilter, n: int) -> flows_pb2.AnalyzeTrafficResponse:
        """Totals and rankings, one query each."""
        return await analysis.analyze_traffic(self.store, flt, n)

    async def host_profile(
        self, ip: str, window: common_pb2.TimeWindow, n: int, direction: int
    ) -> flows_pb2.InvestigateHostResponse:
        """Both sides of the host, its label and its alerted flows."""
        return await analysis.host_profile(self.store, ip, window, n, direction)

    async def detect(
        self, flt: CompiledFilter, request: flows_pb2.FindAnomaliesRequest, kinds: frozenset[int]
    ) -> list[flows_pb2.Finding]:
        """The SQL detectors of `anomalies`."""
        return await anomalies.detect(self.store, self._settings, flt, request, kinds)

    def unavailable(self, kinds: frozenset[int]) -> dict[int, str]:
        """None: ntopng's flows table has every column a detector reads."""
        return {}

    def load_caveats(self) -> list[str]:
        """None: ntopng's flows name their exporter (PROBE_IP; flows without one are left out of the load)."""
        return []

    async def interface_load(self, flt: CompiledFilter, width: int) -> list[LoadRow]:
        """Bytes per interface, direction and bucket.

        ntopng flows are bidirectional with INPUT_SNMP/OUTPUT_SNMP taken in the client-to-server direction,
        so an interface sends SRC2DST bytes when it is the output interface and DST2SRC bytes when it is the
        input one; each flow's bytes are spread exactly over the buckets its duration covers.
        """
        rows = await self.store.read(
            "SELECT IPv4NumToString(PROBE_IP) AS exporter, side.1 AS if_index, side.2 AS direction, b, "
            f"sum(side.3 * {share(flt, width)}) AS bytes FROM flows {spread_join(flt, width)} "
            "ARRAY JOIN [(OUTPUT_SNMP, 'out', SRC2DST_BYTES), (INPUT_SNMP, 'out', DST2SRC_BYTES), "
            "(INPUT_SNMP, 'in', SRC2DST_BYTES), (OUTPUT_SNMP, 'in', DST2SRC_BYTES)] AS side "
            f"WHERE {flt.where} AND PROBE_IP != 0 AND side.1 != 0 GROUP BY exporter, if_index, direction, b"
        )
        return [(str(e), int(i), str(d), int(b), float(v)) for e, i, d, b, v in rows.rows]

    async def top_pairs(
        self, flt: CompiledFilter, key: InterfaceKey, first: int, last: int
    ) -> list[flows_pb2.TopKEntry]:
        """Pairs by bytes through the interface (its OUTPUT_SNMP side for "out", INPUT_SNMP for "in")."""
        exporter, if_index, direction = key
        side = "OUTPUT_SNMP" if direction == "out" else "INPUT_SNMP"
        pairs = await self.store.read(
            f"SELECT concat({SRC_IP_SQL}, ' -> ', {DST_IP_SQL}) AS k, sum(TOTAL_BYTES) AS bytes, sum(PACKETS), "
            f"count(), sum(SCORE) FROM flows WHERE {flt.where} AND PROBE_IP = {int(ipaddress.IPv4Address(exporter))} "
            f"AND {side} = {if_index} AND LAST_SEEN >= toDateTime({first}) AND FIRST_SEEN < toDateTime({last}) "
            "GROUP BY k ORDER BY bytes DESC LIMIT 5"
        )
        return [_entry(*row) for row in pairs.rows]

    async def ingest(self, batches: AsyncIterator[flows_pb2.IngestFlowsRequest]) -> IngestResult:
        """Batches into the flows table, each once (the ledger remembers batch ids); refused without a writer."""
        if not self.store.can_write:
            raise FailedPrecondition(READS_ONLY)
        return await self._ingestor.ingest(batches)
