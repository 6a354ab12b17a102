"""FlowsService over ECS NetFlow indices in Elasticsearch (or OpenSearch)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc

from netscope.flows.v1 import flows_pb2, flows_pb2_grpc
from netscope_common.errors import FailedPrecondition, InvalidArgument
from netscope_flows import chart
from netscope_flows.analysis import recommendations
from netscope_flows.elastic.anomalies import find_anomalies
from netscope_flows.elastic.backend import ElasticBackend
from netscope_flows.elastic.bottlenecks import detect_bottlenecks
from netscope_flows.elastic.ingest import ElasticIngestor
from netscope_flows.elastic.investigate import investigate_host
from netscope_flows.ingest import ingest_response
from netscope_flows.protocols import list_protocols
from netscope_flows.settings import FlowsSettings

MAX_STREAM_PAGES = 100
SQL_ERROR = (
    "SQL needs the ClickHouse backend; this service is configured for Elasticsearch "
    "(NETSCOPE_FLOWS_BACKEND=elasticsearch): use TopK, SearchFlows, TimeSeries, CountryStats or AnalyzeTraffic"
)


class ElasticFlowsServicer(flows_pb2_grpc.FlowsServiceServicer):
    """Answers flow RPCs with Elasticsearch aggregations (and indexes ingested flows); SQL RPCs say why they cannot."""

    def __init__(self, backend: ElasticBackend, settings: FlowsSettings) -> None:
        self._backend = backend
        self._settings = settings
        self._ingestor = ElasticIngestor(backend)

    async def Query(
        self, request: flows_pb2.QueryRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.QueryResponse:
        raise FailedPrecondition(SQL_ERROR, field="sql")

    async def ListTables(
        self, request: flows_pb2.ListTablesRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.ListTablesResponse:
        raise FailedPrecondition(SQL_ERROR)

    async def DescribeTable(
        self, request: flows_pb2.DescribeTableRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.DescribeTableResponse:
        raise FailedPrecondition(SQL_ERROR, field="table")

    async def TopK(self, request: flows_pb2.TopKRequest, context: grpc.aio.ServicerContext) -> flows_pb2.TopKResponse:
        return await self._backend.top_k(request)

    async def SearchFlows(
        self, request: flows_pb2.SearchFlowsRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.SearchFlowsResponse:
        return await self._backend.search_flows(request)

    async def StreamFlows(
        self, request: flows_pb2.SearchFlowsRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[flows_pb2.SearchFlowsResponse]:
        page = flows_pb2.SearchFlowsRequest()
        page.CopyFrom(request)
        for _ in range(MAX_STREAM_PAGES):
            answer = await self._backend.search_flows(page)
            yield answer
            if not answer.next_page_token:
                return
            page.page_token = answer.next_page_token

    async def TimeSeries(
        self, request: flows_pb2.TimeSeriesRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.TimeSeriesResponse:
        return await self._backend.time_series(request)

    async def CountryStats(
        self, request: flows_pb2.CountryStatsRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.CountryStatsResponse:
        return await self._backend.country_stats(request)

    async def ListProtocols(
        self, request: flows_pb2.ListProtocolsRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.ListProtocolsResponse:
        return list_protocols(request.name_contains)

    async def FlowDeviceStats(
        self, request: flows_pb2.DeviceStatsRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.DeviceStatsResponse:
        return await self._backend.device_stats(request)

    async def SflowDeviceStats(
        self, request: flows_pb2.DeviceStatsRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.DeviceStatsResponse:
        return await self._backend.device_stats(request)

    async def FindAnomalies(
        self, request: flows_pb2.FindAnomaliesRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.FindAnomaliesResponse:
        return await find_anomalies(self._backend, self._settings, request)

    async def AnalyzeTraffic(
        self, request: flows_pb2.AnalyzeTrafficRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.AnalyzeTrafficResponse:
        return await self._backend.analyze_traffic(request)

    async def DetectBottlenecks(
        self, request: flows_pb2.DetectBottlenecksRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.DetectBottlenecksResponse:
        return await detect_bottlenecks(self._backend, self._settings, request)

    async def InvestigateHost(
        self, request: flows_pb2.InvestigateHostRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.InvestigateHostResponse:
        return await investigate_host(self._backend, self._settings, request)

    async def Recommendations(
        self, request: flows_pb2.RecommendationsRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.RecommendationsResponse:
        return await recommendations(
            lambda r: find_anomalies(self._backend, self._settings, r),
            lambda r: detect_bottlenecks(self._backend, self._settings, r),
            request,
        )

    async def IngestFlows(
        self, request_iterator: AsyncIterator[flows_pb2.IngestFlowsRequest], context: grpc.aio.ServicerContext
    ) -> flows_pb2.IngestFlowsResponse:
        result = await self._ingestor.ingest(request_iterator)
        return ingest_response(result)

    async def Chart(
        self, request: flows_pb2.ChartRequest, context: grpc.aio.ServicerContext
    ) -> flows_pb2.ChartResponse:
        width, height = chart.size(request)
        loop = asyncio.get_running_loop()
        if request.HasField("time_series"):
            series = await self._backend.time_series(request.time_series)
            title = request.title or f"{flows_pb2.Metric.Name(series.metric).removeprefix('METRIC_').lower()} over time"
            png = await loop.run_in_executor(None, chart.series_png, series, title, width, height)
        elif request.HasField("top_k"):
            ranked = await self._backend.top_k(request.top_k)
            dimension = flows_pb2.TopKDimension.Name(request.top_k.dimension or flows_pb2.TOP_K_DIMENSION_SRC_IP)
            title = request.title or f"top {dimension.removeprefix('TOP_K_DIMENSION_').lower()}"
            png = await loop.run_in_executor(None, chart.topk_png, ranked, request.top_k.metric, title, width, height)
        else:
            raise InvalidArgument("set time_series or top_k: the request the chart is drawn from", field="source")
        return flows_pb2.ChartResponse(png=png, title=title)


def build_servicer(settings: FlowsSettings) -> tuple[ElasticFlowsServicer, ElasticBackend]:
    """The servicer and the backend whose open/ping/close the service kit drives."""
    backend = ElasticBackend(settings)
    return ElasticFlowsServicer(backend, settings), backend
