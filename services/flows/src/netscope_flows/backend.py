"""What a flows backend answers (FlowsBackend), and the optional raw-SQL capability (SqlAccess).

The servicer checks every request (`arguments`), compiles its filter with the backend, and hands the backend
only checked values; the backend queries its store. ClickHouse/chdb (`clickhouse_backend`) and
Elasticsearch/OpenSearch (`elastic.backend`) implement it. What a backend's data cannot answer (ntopng's score
in ECS documents, say) it refuses itself with FailedPrecondition, naming the backend.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from netscope.common.v1 import common_pb2
from netscope.flows.v1 import flows_pb2
from netscope_flows.arguments import Window
from netscope_flows.ingest import IngestResult
from netscope_flows.settings import FlowsSettings

# (exporter, ifIndex, direction "in"/"out", bucket start in epoch seconds, bytes in that bucket)
LoadRow = tuple[str, int, str, int, float]
# (exporter, ifIndex, direction)
InterfaceKey = tuple[str, int, str]

F = TypeVar("F", bound=Window)


class SqlAccess(Protocol):
    """Raw SQL over the store: only a backend with a SQL engine has it."""

    async def query(self, request: flows_pb2.QueryRequest) -> flows_pb2.QueryResponse:
        """One guarded, read-only statement."""
        ...

    async def list_tables(self, request: flows_pb2.ListTablesRequest) -> flows_pb2.ListTablesResponse:
        """The tables SQL may read."""
        ...

    async def describe_table(self, request: flows_pb2.DescribeTableRequest) -> flows_pb2.DescribeTableResponse:
        """One table's columns."""
        ...


class FlowsBackend(Protocol[F]):
    """One store of flow records; `F` is its compiled filter (a checked window plus the store's condition)."""

    name: str  # as messages name it: "ClickHouse", "Elasticsearch"
    setting: str  # the setting that chose it, for messages: "NETSCOPE_FLOWS_BACKEND=..."
    sql: SqlAccess | None

    @property
    def load_bucket_seconds(self) -> int:
        """DetectBottlenecks' default bucket width: 60 s when flows have durations to spread their bytes over."""
        ...

    async def open(self) -> None:
        """Connect (the first health check proves the store answers)."""
        ...

    async def ping(self) -> None:
        """Raise Unavailable unless the store answers."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...

    def compile(self, flt: flows_pb2.FlowFilter, default_span: timedelta = timedelta(hours=1)) -> F:
        """Check every field of `flt`; raises InvalidArgument or FailedPrecondition naming the field."""
        ...

    async def top_k(
        self, request: flows_pb2.TopKRequest, start: datetime, end: datetime, k: int
    ) -> tuple[list[flows_pb2.TopKEntry], int]:
        """The k best keys of request.dimension by request.metric, and the window's total bytes."""
        ...

    async def search_flows(
        self, request: flows_pb2.SearchFlowsRequest, flt: F, size: int
    ) -> tuple[list[flows_pb2.FlowRecord], str]:
        """One sorted page and the token of the next one ('' on the last)."""
        ...

    async def time_series(
        self, request: flows_pb2.TimeSeriesRequest, flt: F, width: int, n: int
    ) -> list[flows_pb2.Series]:
        """The metric per `width`-second bucket: one 'total' series, or one per top-n key of group_by."""
        ...

    async def country_stats(self, flt: F, k: int) -> list[flows_pb2.CountryStat]:
        """The k countries with most bytes sent and received."""
        ...

    async def device_stats(self, flt: F) -> list[flows_pb2.ExporterStat]:
        """Per exporter and interface: flows, bytes and packets."""
        ...

    async def analyze_traffic(self, flt: F, n: int) -> flows_pb2.AnalyzeTrafficResponse:
        """Totals and the protocol, talker, service and destination rankings (window set by the caller)."""
        ...

    async def host_profile(
        self, ip: str, window: common_pb2.TimeWindow, n: int, direction: int
    ) -> flows_pb2.InvestigateHostResponse:
        """One host's traffic both ways, peers, services and protocols (findings added by the caller)."""
        ...

    async def detect(
        self, flt: F, request: flows_pb2.FindAnomaliesRequest, kinds: frozenset[int]
    ) -> list[flows_pb2.Finding]:
        """Every finding of the detectors of `kinds`, unsorted and without sample flows."""
        ...

    def unavailable(self, kinds: frozenset[int]) -> dict[int, str]:
        """The detectors of `kinds` this backend's data cannot run, each with the reason (detect skips them)."""
        ...

    def load_caveats(self) -> list[str]:
        """What interface_load cannot tell apart on this backend's data, each naming the field it needs."""
        ...

    async def interface_load(self, flt: F, width: int) -> Iterable[LoadRow]:
        """Bytes per exporter interface, direction and bucket, each flow spread over the buckets it covers."""
        ...

    async def top_pairs(self, flt: F, key: InterfaceKey, first: int, last: int) -> list[flows_pb2.TopKEntry]:
        """The five address pairs that sent the most through an interface between two epoch seconds."""
        ...

    async def ingest(self, batches: AsyncIterator[flows_pb2.IngestFlowsRequest]) -> IngestResult:
        """Store flow batches (each batch once, whatever the retries)."""
        ...


def build_backend(settings: FlowsSettings) -> FlowsBackend[Any]:
    """The backend the settings choose: Elasticsearch, or ClickHouse (a server, or chdb in this process)."""
    if settings.backend == "elasticsearch":
        # imported here so the ClickHouse path does not load the Elasticsearch client
        from netscope_flows.elastic.backend import ElasticBackend

        return ElasticBackend(settings)
    from netscope_flows.clickhouse_backend import ClickHouseBackend

    return ClickHouseBackend(settings)
