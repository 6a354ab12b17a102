"""FlowsService over a ClickHouse store (server or embedded chdb)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import grpc

from netscope.flows.v1 import flows_pb2, flows_pb2_grpc
from netscope_common.errors import InvalidArgument
from netscope_common.timeutil import resolve_window, to_timestamp
from netscope_flows import analysis, chart, search, stats, timeseries
from netscope_flows.anomalies import find_anomalies
from netscope_flows.bottlenecks import detect_bottlenecks
from netscope_flows.clickhouse_sql import ClickHouseSql
from netscope_flows.filters import compile_filter
from netscope_flows.ingest import Ingestor, ingest_response
from netscope_flows.protocols import list_protocols
from netscope_flows.settings import FlowsSettings
from netscope_flows.store import ClickHouseStore
from netscope_flows.topk import build_topk_sql, render_key

MAX_STREAM_PAGES = 100


class FlowsServicer(flows_pb2_grpc.FlowsServiceServicer):
    """Answers flow RPCs; assistant SQL goes through the guard and the read-only session."""

    def __init__(self, store: ClickHouseStore, settings: FlowsSettings) -> None:
        self._store = store
        self._settings = settings
        self._sql = ClickHouseSql(store, settings)
        self._ingestor = Ingestor(store)

    async def Query(
        self, request: flows_pb2.QueryRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.QueryResponse:
        return await self._sql.query(request)

    async def ListTables(
        self, request: flows_pb2.ListTablesRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.ListTablesResponse:
        return await self._sql.list_tables(request)

    async def DescribeTable(
        self, request: flows_pb2.DescribeTableRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.DescribeTableResponse:
        return await self._sql.describe_table(request)

    async def TopK(self, request: flows_pb2.TopKRequest, context: grpc.aio.ServicerContext) -> flows_pb2.TopKResponse:
        start, end = resolve_window(request.window)
        ranked = await self._store.read(build_topk_sql(request, start, end))
        total = await self._store.read(
            f"SELECT sum(TOTAL_BYTES) FROM flows WHERE FIRST_SEEN >= toDateTime({int(start.timestamp())}) "
            f"AND FIRST_SEEN < toDateTime({int(end.timestamp())})"
        )
        return flows_pb2.TopKResponse(
            entries=[
                flows_pb2.TopKEntry(
                    key=render_key(request.dimension, k), bytes=int(b), packets=int(p), flows=int(f), score=int(s)
                )
                for k, b, p, f, s in ranked.rows
            ],
            window_start=to_timestamp(start),
            window_end=to_timestamp(end),
            total_bytes=int(total.rows[0][0] or 0) if total.rows else 0,
        )

    async def SearchFlows(
        self, request: flows_pb2.SearchFlowsRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.SearchFlowsResponse:
        flt = compile_filter(request.filter)
        size = search.page_size(request)
        offset = search.decode_token(request)
        result = await self._store.read(search.build_search_sql(request, flt, offset, size))
        more = len(result.rows) > size and offset + size <= search.MAX_OFFSET
        return flows_pb2.SearchFlowsResponse(
            flows=[search.to_record(r) for r in result.rows[:size]],
            next_page_token=search.encode_token(request, offset + size) if more else "",
            window_start=to_timestamp(flt.start),
            window_end=to_timestamp(flt.end),
        )

    async def StreamFlows(
        self, request: flows_pb2.SearchFlowsRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[flows_pb2.SearchFlowsResponse]:
        page = flows_pb2.SearchFlowsRequest()
        page.CopyFrom(request)
        for _ in range(MAX_STREAM_PAGES):
            answer = await self.SearchFlows(page, context)
            yield answer
            if not answer.next_page_token:
                return
            page.page_token = answer.next_page_token

    async def TimeSeries(
        self, request: flows_pb2.TimeSeriesRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.TimeSeriesResponse:
        flt = compile_filter(request.filter)
        width = timeseries.bucket_seconds(request, flt)
        result = await self._store.read(timeseries.build_series_sql(request, flt, width))
        series: dict[str, flows_pb2.Series] = {}
        for key, bucket, value in result.rows:
            name = render_key(request.group_by, key)
            entry = series.setdefault(name, flows_pb2.Series(key=name))
            entry.points.append(
                flows_pb2.TimePoint(time=to_timestamp(datetime.fromtimestamp(int(bucket), UTC)), value=float(value))
            )
        return flows_pb2.TimeSeriesResponse(
            series=list(series.values()),
            bucket_seconds=width,
            metric=request.metric or flows_pb2.METRIC_BYTES,
            window_start=to_timestamp(flt.start),
            window_end=to_timestamp(flt.end),
        )

    async def CountryStats(
        self, request: flows_pb2.CountryStatsRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.CountryStatsResponse:
        flt = compile_filter(request.filter)
        result = await self._store.read(stats.build_country_sql(request, flt))
        return flows_pb2.CountryStatsResponse(countries=[stats.to_country(r) for r in result.rows])

    async def ListProtocols(
        self, request: flows_pb2.ListProtocolsRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.ListProtocolsResponse:
        return list_protocols(request.name_contains)

    async def _device_stats(self, request: flows_pb2.DeviceStatsRequest) -> flows_pb2.DeviceStatsResponse:
        flt = compile_filter(request.filter)
        totals = await self._store.read(stats.build_exporter_sql(flt))
        interfaces = await self._store.read(stats.build_interface_sql(flt))
        return flows_pb2.DeviceStatsResponse(exporters=stats.to_exporters(totals.rows, interfaces.rows))

    async def FlowDeviceStats(
        self, request: flows_pb2.DeviceStatsRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.DeviceStatsResponse:
        return await self._device_stats(request)

    async def SflowDeviceStats(
        self, request: flows_pb2.DeviceStatsRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.DeviceStatsResponse:
        return await self._device_stats(request)

    async def FindAnomalies(
        self, request: flows_pb2.FindAnomaliesRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.FindAnomaliesResponse:
        return await find_anomalies(self._store, self._settings, request)

    async def DetectBottlenecks(
        self, request: flows_pb2.DetectBottlenecksRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.DetectBottlenecksResponse:
        return await detect_bottlenecks(self._store, self._settings, request)

    async def AnalyzeTraffic(
        self, request: flows_pb2.AnalyzeTrafficRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.AnalyzeTrafficResponse:
        return await analysis.analyze_traffic(self._store, request)

    async def InvestigateHost(
        self, request: flows_pb2.InvestigateHostRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.InvestigateHostResponse:
        return await analysis.investigate_host(self._store, self._settings, request)

    async def Recommendations(
        self, request: flows_pb2.RecommendationsRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.RecommendationsResponse:
        return await analysis.recommendations(
            lambda r: find_anomalies(self._store, self._settings, r),
            lambda r: detect_bottlenecks(self._store, self._settings, r),
            request,
        )

    async def IngestFlows(
        self, request_iterator: AsyncIterator[flows_pb2.IngestFlowsRequest], context: grpc.aio.ServicerContext
    ) -> flows_pb2.IngestFlowsResponse:
        return ingest_response(await self._ingestor.ingest(request_iterator))

    async def Chart(
        self, request: flows_pb2.ChartRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.ChartResponse:
        width, height = chart.size(request)
        loop = asyncio.get_running_loop()
        if request.HasField("time_series"):
            series = await self.TimeSeries(request.time_series, context)
            title = request.title or f"{flows_pb2.Metric.Name(series.metric).removeprefix('METRIC_').lower()} over time"
            png = await loop.run_in_executor(None, chart.series_png, series, title, width, height)
        elif request.HasField("top_k"):
            ranked = await self.TopK(request.top_k, context)
            dimension = flows_pb2.TopKDimension.Name(request.top_k.dimension or flows_pb2.TOP_K_DIMENSION_SRC_IP)
            title = request.title or f"top {dimension.removeprefix('TOP_K_DIMENSION_').lower()}"
            png = await loop.run_in_executor(None, chart.topk_png, ranked, request.top_k.metric, title, width, height)
        else:
            raise InvalidArgument("set time_series or top_k: the request the chart is drawn from", field="source")
        return flows_pb2.ChartResponse(png=png, title=title)
