"""FlowsService: one servicer over any FlowsBackend (ClickHouse/chdb or Elasticsearch/OpenSearch).

Every RPC checks its request here (`arguments`), has the backend compile the filter and query its store, and
builds the answer; what is the same on every backend (streaming, charts, the findings policy, recommendations,
bottleneck judging, the protocol catalogue) lives here or in the modules it calls, once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc

from netscope.flows.v1 import flows_pb2, flows_pb2_grpc
from netscope_common.errors import FailedPrecondition, InvalidArgument
from netscope_common.timeutil import resolve_window, to_timestamp
from netscope_flows import arguments, findings
from netscope_flows.backend import FlowsBackend, SqlAccess
from netscope_flows.bottlenecks import detect_bottlenecks
from netscope_flows.ingest import ingest_response
from netscope_flows.protocols import list_protocols
from netscope_flows.recommendations import recommendations
from netscope_flows.service_ports import ServicePorts
from netscope_flows.settings import FlowsSettings

MAX_STREAM_PAGES = 100


class FlowsServicer(flows_pb2_grpc.FlowsServiceServicer):
    """Answers every flow RPC from one backend; SQL RPCs need a backend with SQL access and say so otherwise."""

    def __init__(self, backend: FlowsBackend[Any], settings: FlowsSettings) -> None:
        self._backend = backend
        self._settings = settings
        self._services = ServicePorts(settings.service_ports)

    def _sql(self, field: str = "") -> SqlAccess:
        if self._backend.sql is None:
            raise FailedPrecondition(
                f"SQL needs the ClickHouse backend; this service is configured for {self._backend.name} "
                f"({self._backend.setting}): use TopK, SearchFlows, TimeSeries, CountryStats or AnalyzeTraffic",
                field=field,
            )
        return self._backend.sql

    async def Query(
        self, request: flows_pb2.QueryRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.QueryResponse:
        return await self._sql("sql").query(request)

    async def ListTables(
        self, request: flows_pb2.ListTablesRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.ListTablesResponse:
        return await self._sql().list_tables(request)

    async def DescribeTable(
        self, request: flows_pb2.DescribeTableRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.DescribeTableResponse:
        return await self._sql("table").describe_table(request)

    async def TopK(
        self, request: flows_pb2.TopKRequest, context: grpc.aio.ServicerContext | None = None
    ) -> flows_pb2.TopKResponse:
        start, end = resolve_window(request.window)
        k = arguments.top_k(request.k)
        arguments.dimension(request.dimension)
        arguments.metric(request.metric)
        arguments.locality(request.locality)
        entries, total = await self._backend.top_k(request, start, end, k)
        if request.dimension == flows_pb2.TOP_K_DIMENSION_DST_PORT:
            for entry in entries:
                entry.name = self._services.key_name(entry.key)
        return flows_pb2.TopKResponse(
            entries=entries, window_start=to_timestamp(start), window_end=to_timestamp(end), total_bytes=total
        )

    async def SearchFlows(
        self, request: flows_pb2.SearchFlowsRequest, context: grpc.aio.ServicerContext | None = None
    ) -> flows_pb2.SearchFlowsResponse:
        flt = self._backend.compile(request.filter)
        size = arguments.page_size(request)
        arguments.sort(request.sort)
        flows, token = await self._backend.search_flows(request, flt, size)
        return flows_pb2.SearchFlowsResponse(
            flows=flows, next_page_token=token, window_start=to_timestamp(flt.start), window_end=to_timestamp(flt.end)
        )

    async def StreamFlows(
        self, request: flows_pb2.SearchFlowsRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[flows_pb2.SearchFlowsResponse]:
        page = flows_pb2.SearchFlowsRequest()
        page.CopyFrom(request)
        for _ in range(MAX_STREAM_PAGES):
            answer = await self.SearchFlows(page)
            yield answer
            if not answer.next_page_token:
                return
            page.page_token = answer.next_page_token

    async def TimeSeries(
        self, request: flows_pb2.TimeSeriesRequest, context: grpc.aio.ServicerContext | None = None
    ) -> flows_pb2.TimeSeriesResponse:
        flt = self._backend.compile(request.filter)
        arguments.metric(request.metric)
        width = arguments.bucket_seconds(request, flt)
        n = arguments.series(request)
        if request.group_by:
            arguments.group_by(request.group_by)
        return flows_pb2.TimeSeriesResponse(
            series=await self._backend.time_series(request, flt, width, n),
            bucket_seconds=width,
            metric=request.metric or flows_pb2.METRIC_BYTES,
            window_start=to_timestamp(flt.start),
            window_end=to_timestamp(flt.end),
        )

    async def CountryStats(
        self, request: flows_pb2.CountryStatsRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.CountryStatsResponse:
        k = arguments.countries(request.k)
        flt = self._backend.compile(request.filter)
        return flows_pb2.CountryStatsResponse(countries=await self._backend.country_stats(flt, k))

    async def ListProtocols(
        self, request: flows_pb2.ListProtocolsRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.ListProtocolsResponse:
        return list_protocols(request.name_contains)

    async def _device_stats(self, request: flows_pb2.DeviceStatsRequest) -> flows_pb2.DeviceStatsResponse:
        flt = self._backend.compile(request.filter)
        return flows_pb2.DeviceStatsResponse(exporters=await self._backend.device_stats(flt))

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
        return await findings.find_anomalies(self._backend, request)

    async def DetectBottlenecks(
        self, request: flows_pb2.DetectBottlenecksRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.DetectBottlenecksResponse:
        return await detect_bottlenecks(self._backend, self._settings, request)

    async def AnalyzeTraffic(
        self, request: flows_pb2.AnalyzeTrafficRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.AnalyzeTrafficResponse:
        n = arguments.top_n(request.top_n)
        flt = self._backend.compile(request.filter)
        answer = await self._backend.analyze_traffic(flt, n)
        for entry in answer.top_services:
            entry.name = self._services.key_name(entry.key)
        answer.window_start.CopyFrom(to_timestamp(flt.start))
        answer.window_end.CopyFrom(to_timestamp(flt.end))
        return answer

    async def InvestigateHost(
        self, request: flows_pb2.InvestigateHostRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.InvestigateHostResponse:
        ip = arguments.host(request.ip)
        n = arguments.top_n(request.top_n)
        direction = arguments.host_direction(request.direction)
        window = arguments.window_of(request.window, request.time_range)
        answer, found = await asyncio.gather(
            self._backend.host_profile(ip, window, n, direction),
            findings.about_host(self._backend, ip, window, direction),
        )
        for entry in (*answer.services_used, *answer.services_offered):
            entry.name = self._services.key_name(entry.key)
        answer.findings.extend(found)
        return answer

    async def Recommendations(
        self, request: flows_pb2.RecommendationsRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.RecommendationsResponse:
        return await recommendations(self._backend, self._settings, request)

    async def IngestFlows(
        self, request_iterator: AsyncIterator[flows_pb2.IngestFlowsRequest], context: grpc.aio.ServicerContext
    ) -> flows_pb2.IngestFlowsResponse:
        return ingest_response(await self._backend.ingest(request_iterator))

    async def Chart(
        self, request: flows_pb2.ChartRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.ChartResponse:
        width, height = arguments.chart_size(request)
        # imported on the first chart, so the service starts (and answers everything else) without matplotlib
        from netscope_flows import chart

        loop = asyncio.get_running_loop()
        if request.HasField("time_series"):
            series = await self.TimeSeries(request.time_series)
            title = request.title or f"{flows_pb2.Metric.Name(series.metric).removeprefix('METRIC_').lower()} over time"
            png = await loop.run_in_executor(None, chart.series_png, series, title, width, height)
        elif request.HasField("top_k"):
            ranked = await self.TopK(request.top_k)
            dimension = flows_pb2.TopKDimension.Name(request.top_k.dimension or flows_pb2.TOP_K_DIMENSION_SRC_IP)
            title = request.title or f"top {dimension.removeprefix('TOP_K_DIMENSION_').lower()}"
            png = await loop.run_in_executor(None, chart.topk_png, ranked, request.top_k.metric, title, width, height)
        else:
            raise InvalidArgument("set time_series or top_k: the request the chart is drawn from", field="source")
        return flows_pb2.ChartResponse(png=png, title=title)
