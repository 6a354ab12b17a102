"""Historical flow tools beyond raw SQL: search, top-k, time series, charts, protocols.

mcp-ntopng's historical flow tools are in ntopng_flows.
"""

from datetime import timedelta
from typing import Annotated, Any, Literal, TypeAlias

from mcp.server.mcpserver import Context, Image
from pydantic import Field

from netscope.flows.v1 import flows_pb2
from netscope_aggregator import contracts
from netscope_aggregator.backends import Backends
from netscope_aggregator.catalog import Catalog
from netscope_aggregator.confirmations import Confirmations
from netscope_aggregator.contracts import Rpc
from netscope_aggregator.declare import composite
from netscope_aggregator.render import human_bytes, to_plain
from netscope_aggregator.tools.shared.flow_filter import Hours, flow_filter, narrowed, parse_evidence_filter
from netscope_common.timeutil import last

Ip = Annotated[str, Field(max_length=64, description="IPv4/IPv6 address or CIDR")]
Dimension = Literal[
    "src_ip",
    "dst_ip",
    "ip_pair",
    "dst_port",
    "l7_proto",
    "src_country",
    "dst_country",
    "dst_asn",
    "exporter_interface",
    "host",
]
TimeClause = Annotated[
    str,
    Field(
        max_length=200,
        description="a time: '2026-11-24 00:00:00' (UTC unless an offset is given), epoch seconds, "
        "or a SQL expression such as now() - 3600",
    ),
]
MetricName = Literal["bytes", "packets", "flows", "score"]
DeviceStatsRpc: TypeAlias = Rpc[flows_pb2.DeviceStatsRequest, flows_pb2.DeviceStatsResponse]
SortName = Literal["newest", "oldest", "bytes", "packets", "score", "duration"]


def _enum(enum_type: Any, prefix: str, name: str) -> Any:
    return enum_type.Value(f"{prefix}_{name.upper()}")


def register(catalog: Catalog, backends: Backends, confirmations: Confirmations) -> None:
    """Add the historical flow tools."""

    async def get_historical_flow(
        ctx: Context,
        hours: Hours = 24,
        src_ip: Ip = "",
        dst_ip: Ip = "",
        host: Annotated[Ip, Field(description="either side of the flow")] = "",
        port: Annotated[int | None, Field(ge=0, le=65535)] = None,
        l4_proto: Literal["", "tcp", "udp", "icmp"] = "",
        l7_proto: Annotated[str, Field(max_length=64, description="nDPI name, e.g. DNS, TLS (see list_protos)")] = "",
        country: Annotated[str, Field(max_length=2, description="two-letter country of either side")] = "",
        min_bytes: Annotated[int, Field(ge=0)] = 0,
        sort: SortName = "newest",
        limit: Annotated[int, Field(ge=1, le=200)] = 20,
        page_token: Annotated[str, Field(max_length=512)] = "",
        evidence_filter: Annotated[
            dict[str, Any] | None,
            Field(
                description="a finding's evidence_filter (find_anomalies, investigate_host) as given: its window "
                "replaces `hours`; the other filters narrow it"
            ),
        ] = None,
    ) -> dict[str, Any]:
        """Search historical flows with filters (newest first by default), paginated."""
        explicit = flow_filter(
            hours,
            src_ip=src_ip,
            dst_ip=dst_ip,
            host=host,
            port=port,
            l4_proto=l4_proto,
            l7_proto=l7_proto,
            country=country,
            min_bytes=min_bytes,
        )
        request = flows_pb2.SearchFlowsRequest(
            filter=explicit if evidence_filter is None else narrowed(parse_evidence_filter(evidence_filter), explicit),
            sort=_enum(flows_pb2.FlowSort, "FLOW_SORT", sort),
            page_size=limit,
            page_token=page_token,
        )
        reply = await backends.call(contracts.flows.SearchFlows, request)
        answer = to_plain(reply)
        answer.setdefault("flows", [])
        answer["returned"] = len(reply.flows)
        return answer

    async def get_flow_top_k(
        ctx: Context,
        dimension: Dimension = "src_ip",
        metric: MetricName = "bytes",
        k: Annotated[int, Field(ge=1, le=100)] = 10,
        hours: Hours = 24,
        locality: Literal["any", "local", "remote"] = "any",
    ) -> dict[str, Any]:
        request = flows_pb2.TopKRequest(
            window=last(timedelta(hours=hours)),
            dimension=_enum(flows_pb2.TopKDimension, "TOP_K_DIMENSION", dimension),
            metric=_enum(flows_pb2.Metric, "METRIC", metric),
            k=k,
        )
        if locality != "any":
            request.locality = _enum(flows_pb2.Locality, "LOCALITY", locality)
        reply = await backends.call(contracts.flows.TopK, request)
        answer = to_plain(reply)
        answer["summary"] = (
            f"top {len(reply.entries)} by {metric} over {hours:g} h of {human_bytes(reply.total_bytes)} in total"
        )
        return answer

    async def get_flow_time_series(
        ctx: Context,
        metric: MetricName = "bytes",
        hours: Hours = 24,
        bucket_seconds: Annotated[int, Field(ge=60, le=86_400)] = 3600,
        group_by: Literal["none", "src_ip", "dst_ip", "dst_port", "l7_proto", "dst_country"] = "none",
        top_n: Annotated[int, Field(ge=1, le=10)] = 5,
        host: Ip = "",
    ) -> dict[str, Any]:
        request = flows_pb2.TimeSeriesRequest(
            filter=flow_filter(hours, host=host),
            metric=_enum(flows_pb2.Metric, "METRIC", metric),
            bucket_seconds=bucket_seconds,
            top_n=top_n,
        )
        if group_by != "none":
            request.group_by = _enum(flows_pb2.TopKDimension, "TOP_K_DIMENSION", group_by)
        return to_plain(await backends.call(contracts.flows.TimeSeries, request))

    async def chart(
        ctx: Context,
        kind: Literal["time_series", "top_k"] = "time_series",
        metric: MetricName = "bytes",
        hours: Hours = 24,
        bucket_seconds: Annotated[int, Field(ge=60, le=86_400)] = 3600,
        dimension: Dimension = "src_ip",
        k: Annotated[int, Field(ge=1, le=30)] = 10,
        host: Ip = "",
        title: Annotated[str, Field(max_length=120)] = "",
    ) -> Image:
        """A PNG chart of a time series or a top-k ranking of historical flows."""
        request = flows_pb2.ChartRequest(title=title)
        if kind == "time_series":
            request.time_series.CopyFrom(
                flows_pb2.TimeSeriesRequest(
                    filter=flow_filter(hours, host=host),
                    metric=_enum(flows_pb2.Metric, "METRIC", metric),
                    bucket_seconds=bucket_seconds,
                )
            )
        else:
            request.top_k.CopyFrom(
                flows_pb2.TopKRequest(
                    window=last(timedelta(hours=hours)),
                    dimension=_enum(flows_pb2.TopKDimension, "TOP_K_DIMENSION", dimension),
                    metric=_enum(flows_pb2.Metric, "METRIC", metric),
                    k=k,
                )
            )
        reply = await backends.call(contracts.flows.Chart, request)
        return Image(data=reply.png, format="png")

    async def list_protos(ctx: Context, name_contains: Annotated[str, Field(max_length=64)] = "") -> dict[str, Any]:
        """nDPI application protocols (ids and names) as stored in flows.L7_PROTO."""
        reply = await backends.call(
            contracts.flows.ListProtocols, flows_pb2.ListProtocolsRequest(name_contains=name_contains)
        )
        return {
            "protocols": [{"id": p.id, "name": p.name} for p in reply.protocols][:500],
            "count": len(reply.protocols),
        }

    for fn, name, description, toolsets, rpcs in (
        (
            get_historical_flow,
            "get_historical_flow",
            "Search historical flows by host, IPs, port, protocol, country, size, or a finding's evidence_filter; "
            "sorted and paginated.",
            ("flows",),
            (contracts.flows.SearchFlows,),
        ),
        (
            get_flow_top_k,
            "get_flow_top_k",
            "Rank hosts, pairs, ports, protocols, countries, ASNs or exporter "
            "interfaces by bytes, packets, flows or score over a window (local/remote talkers too).",
            ("flows",),
            (contracts.flows.TopK,),
        ),
        (
            get_flow_time_series,
            "get_flow_time_series",
            "A metric per time bucket, optionally split by the top-N values of a dimension.",
            ("flows",),
            (contracts.flows.TimeSeries,),
        ),
        (
            chart,
            "chart",
            "A PNG chart (time series or top-k) of historical flows.",
            ("flows", "analysis"),
            (contracts.flows.Chart,),
        ),
        (
            list_protos,
            "list_protos",
            "List the nDPI application protocols (id ↔ name).",
            ("flows",),
            (contracts.flows.ListProtocols,),
        ),
    ):
        catalog.declare(composite(fn, name=name, description=description, toolsets=toolsets, rpcs=rpcs))
