"""mcp-ntopng's alert tools: per-entity alert stats and the SNMP device alert list, with its exact arguments.

Each tool takes what mcp-ntopng's tool of the same name takes (`ifid`, integer epochs, the entity's filters
in ntopng's `value;op[,value;op...]` syntax, `format`, and `start`/`length` on the list), so calls written for
mcp-ntopng work unchanged: an empty filter is no filter, as in ntopng. Unlike upstream, every argument is
optional. The filters are applied by the alerts service to the alert tables' columns (`ntopng_filters`).
"""

import inspect
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from mcp.server.mcpserver import Context
from pydantic import BaseModel, Field

from netscope.alerts.v1 import alerts_pb2
from netscope_aggregator import contracts
from netscope_aggregator.backends import Backends
from netscope_aggregator.catalog import Catalog
from netscope_aggregator.confirmations import Confirmations
from netscope_aggregator.declare import composite
from netscope_aggregator.render import to_plain
from netscope_common.timeutil import make_window

Ifid = Annotated[
    int | None, Field(ge=0, le=65535, description="ntopng interface id (fetch_ntopng_all_ifids); default: all")
]
EpochBegin = Annotated[int | None, Field(ge=0, description="window start, UNIX seconds (default: 24 h ago)")]
EpochEnd = Annotated[int | None, Field(ge=0, description="window end, UNIX seconds (default: now)")]
TopN = Annotated[int, Field(ge=1, le=100, description="entries per breakdown")]

_SYNTAX = "ntopng filter 'value;op[,value;op...]', op eq|neq|lt|lte|gt|gte|in|nin; '' = no filter"
FILTER_HELP: dict[str, str] = {
    "alert_id": "alert type id",
    "severity": "severity id (3 notice, 4 warning, 5 error, 6 critical, 8 emergency) or name",
    "score": "alert score (score items are ANDed: '50;gte,200;lt')",
    "ip_version": "4 or 6",
    "ip": "IP address (flow alerts: client or server; ip@vlan allowed)",
    "cli_ip": "client IP",
    "srv_ip": "server IP",
    "cli_name": "client host name",
    "srv_name": "server host name",
    "cli_port": "client port",
    "srv_port": "server port",
    "vlan_id": "VLAN id",
    "l7proto": "nDPI protocol id or name (application or master protocol)",
    "cli_country": "client country, two letters",
    "srv_country": "server country, two letters",
    "probe_ip": "exporter (probe) IPv4",
    "input_snmp": "input ifIndex, or <probe_ip>_<ifIndex>",
    "output_snmp": "output ifIndex, or <probe_ip>_<ifIndex>",
    "snmp_interface": "ifIndex (input or output), or <device_ip>_<ifIndex>",
    "cli_host_pool_id": "client host pool id",
    "srv_host_pool_id": "server host pool id",
    "cli_network": "client local network id",
    "srv_network": "server local network id",
    "l7_error_id": "application-layer error code of the alert",
    "traffic_direction": "0 remote only, 1 local only, 2 remote to local, 3 local to remote",
    "name": "host name",
    "host_pool_id": "host pool id",
    "network": "local network id",
    "subtype": "interface alert subtype",
    "network_name": "network CIDR",
}
FORMAT_HELP = "json (answers are always structured; txt/csv are accepted and answered the same way)"

# Filters per tool, in mcp-ntopng's argument order (marcoeg/mcp-server-ntopng mcp_server.py).
_FLOW_FILTERS = (
    "alert_id", "severity", "score", "ip_version", "ip", "cli_ip", "srv_ip", "cli_name", "srv_name", "cli_port",
    "srv_port", "vlan_id", "l7proto", "cli_country", "srv_country", "probe_ip", "input_snmp", "output_snmp",
    "snmp_interface", "cli_host_pool_id", "srv_host_pool_id", "cli_network", "srv_network", "l7_error_id",
    "traffic_direction", "format",
)  # fmt: skip
_BASIC = ("alert_id", "severity", "score")
STATS_TOOLS: dict[str, tuple[alerts_pb2.EntityKind.ValueType, str, tuple[str, ...]]] = {
    "all": (alerts_pb2.ENTITY_KIND_UNSPECIFIED, "all alerts", ()),
    "flow": (alerts_pb2.ENTITY_KIND_FLOW, "flow alerts", _FLOW_FILTERS),
    "host": (
        alerts_pb2.ENTITY_KIND_HOST,
        "host alerts",
        (*_BASIC, "vlan_id", "ip_version", "ip", "name", "host_pool_id", "network"),
    ),
    "interface": (alerts_pb2.ENTITY_KIND_INTERFACE, "interface alerts", (*_BASIC, "subtype")),
    "mac": (alerts_pb2.ENTITY_KIND_MAC, "MAC address alerts", _BASIC),
    "network": (alerts_pb2.ENTITY_KIND_NETWORK, "local network alerts", (*_BASIC, "network_name")),
    "system": (alerts_pb2.ENTITY_KIND_SYSTEM, "system alerts", _BASIC),
    "user": (alerts_pb2.ENTITY_KIND_USER, "user alerts", _BASIC),
    "snmp_device": (alerts_pb2.ENTITY_KIND_SNMP_DEVICE, "SNMP device alerts", (*_BASIC, "ip", "snmp_interface")),
}
SNMP_LIST_FILTERS = (*_BASIC, "ip", "snmp_interface", "format")


class Count(BaseModel):
    """One bucket of a breakdown."""

    key: str
    count: int


class AlertStatsAnswer(BaseModel):
    """Alert counts over a window: per type, per severity and per entity."""

    window_start: str
    window_end: str
    ifid: int | None = None
    filters: dict[str, str] = Field(default_factory=dict)
    total: int
    by_type: list[Count]
    by_severity: list[Count]
    by_entity: list[Count]
    note: str = ""


class AlertListAnswer(BaseModel):
    """A page of alerts (`start`/`length` as in ntopng), the total matching, and the page counts."""

    alerts: list[dict[str, Any]]
    total: int
    start: int = 0
    length: int = 0
    by_type: list[Count] = Field(default_factory=list)
    by_severity: list[Count] = Field(default_factory=list)
    next_page_token: str = ""


def _window(epoch_begin: int | None, epoch_end: int | None) -> Any:
    end = datetime.fromtimestamp(epoch_end, UTC) if epoch_end else datetime.now(UTC)
    start = datetime.fromtimestamp(epoch_begin, UTC) if epoch_begin else end - timedelta(hours=24)
    return make_window(start, end)


def _filter_parameter(name: str) -> inspect.Parameter:
    help_text = FORMAT_HELP if name == "format" else f"{FILTER_HELP[name]}: {_SYNTAX}"
    annotation = Annotated[str, Field(max_length=1000, description=help_text)]
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default="", annotation=annotation)


def _with_filters(fn: Callable[..., Any], head: list[inspect.Parameter], names: tuple[str, ...]) -> Any:
    """`fn(ctx, **arguments)` presented with the signature mcp-ntopng's tool has (the argument model)."""
    ctx = inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Context)
    params = [ctx, *head, *(_filter_parameter(n) for n in names)]
    fn.__signature__ = inspect.Signature(params, return_annotation=fn.__annotations__["return"])  # type: ignore[attr-defined]
    return fn


def _keyword(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


_COMMON_HEAD = [
    _keyword("ifid", Ifid, None),
    _keyword("epoch_begin", EpochBegin, None),
    _keyword("epoch_end", EpochEnd, None),
]


def _split(arguments: dict[str, Any], names: tuple[str, ...]) -> dict[str, str]:
    return {n: str(arguments[n]) for n in names if str(arguments.get(n, "")).strip()}


def register(catalog: Catalog, backends: Backends, confirmations: Confirmations) -> None:
    """Add mcp-ntopng's alert stats tools and its SNMP device alert list."""

    def stats_tool(
        entity: alerts_pb2.EntityKind.ValueType, names: tuple[str, ...]
    ) -> Callable[..., Awaitable[AlertStatsAnswer]]:
        async def tool(ctx: Context, **arguments: Any) -> AlertStatsAnswer:
            filters = _split(arguments, names)
            request = alerts_pb2.AlertStatsRequest(
                window=_window(arguments.get("epoch_begin"), arguments.get("epoch_end")),
                entity=entity,
                top_n=arguments.get("top_n", 10),
                ntopng_filters=filters,
            )
            if arguments.get("ifid") is not None:
                request.interface_id = arguments["ifid"]
            reply = await backends.call(contracts.alerts.AlertStats, request)
            return AlertStatsAnswer(
                window_start=reply.window.start.ToDatetime(tzinfo=UTC).isoformat(),
                window_end=reply.window.end.ToDatetime(tzinfo=UTC).isoformat(),
                ifid=arguments.get("ifid"),
                filters=filters,
                total=reply.total,
                by_type=[Count(key=c.key, count=c.count) for c in reply.by_type],
                by_severity=[Count(key=c.key, count=c.count) for c in reply.by_severity],
                by_entity=[Count(key=c.key, count=c.count) for c in reply.by_entity],
                note="flow alerts were not counted: the flow store is not reachable"
                if reply.flow_alerts_unavailable
                else "",
            )

        head = [*_COMMON_HEAD, _keyword("top_n", TopN, 10)]
        return _with_filters(tool, head, names)

    for key, (entity, label, names) in STATS_TOOLS.items():
        catalog.declare(
            composite(
                stats_tool(entity, names),
                name=f"get_ntopng_{key}_alert_stats",
                description=f"Statistics of {label} over a window: total, top alert types, severities and entities"
                + ("; filters in ntopng's 'value;op' syntax, '' = none (mcp-ntopng arguments)." if names else "."),
                toolsets=("alerts", "ntopng-compat"),
                rpcs=(contracts.alerts.AlertStats,),
            )
        )

    async def get_ntopng_snmp_device_alert_list(ctx: Context, **arguments: Any) -> AlertListAnswer:
        filters = _split(arguments, SNMP_LIST_FILTERS)
        window = _window(arguments.get("epoch_begin"), arguments.get("epoch_end"))
        request = alerts_pb2.ListAlertsRequest(
            window=window, entity=alerts_pb2.ENTITY_KIND_SNMP_DEVICE, ntopng_filters=filters
        )
        stats = alerts_pb2.AlertStatsRequest(
            window=window, entity=alerts_pb2.ENTITY_KIND_SNMP_DEVICE, ntopng_filters=filters
        )
        if arguments.get("ifid") is not None:
            request.interface_id = stats.interface_id = arguments["ifid"]
        request.page.page_size = arguments["length"]
        request.page.page_token = arguments["page_token"]
        request.offset = 0 if arguments["page_token"] else arguments["start"]
        reply = await backends.call(contracts.alerts.ListAlerts, request)
        counts = await backends.call(contracts.alerts.AlertStats, stats)
        return AlertListAnswer(
            alerts=[_alert(a) for a in reply.alerts],
            total=reply.total,
            start=request.offset,
            length=arguments["length"],
            by_type=[Count(key=c.key, count=c.count) for c in counts.by_type],
            by_severity=[Count(key=c.key, count=c.count) for c in counts.by_severity],
            next_page_token=reply.next_page_token,
        )

    list_head = [
        _keyword("ifid", Ifid, None),
        _keyword("start", Annotated[int, Field(ge=0, le=1_000_000, description="alerts to skip")], 0),
        _keyword("length", Annotated[int, Field(ge=1, le=200, description="alerts per page")], 20),
        _keyword("epoch_begin", EpochBegin, None),
        _keyword("epoch_end", EpochEnd, None),
        _keyword("page_token", Annotated[str, Field(max_length=512, description="instead of start")], ""),
    ]
    catalog.declare(
        composite(
            _with_filters(get_ntopng_snmp_device_alert_list, list_head, SNMP_LIST_FILTERS),
            name="get_ntopng_snmp_device_alert_list",
            description="List SNMP device alerts (newest first) over a window, paged with start/length, with "
            "counts per type and severity; filters in ntopng's 'value;op' syntax (alert_id, severity, score, ip, "
            "snmp_interface).",
            toolsets=("alerts", "snmp", "ntopng-compat"),
            rpcs=(contracts.alerts.ListAlerts, contracts.alerts.AlertStats),
        )
    )


def _alert(a: alerts_pb2.Alert) -> dict[str, Any]:
    plain = to_plain(a)
    plain["description"] = a.description[:500]
    plain.pop("details_json", None)
    return plain
