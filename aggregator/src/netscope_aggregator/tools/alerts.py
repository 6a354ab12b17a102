"""Alert tools: alert search and exclusions (confirmed writes); mcp-ntopng's alert tools are in ntopng_alerts."""

from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from google.protobuf.json_format import MessageToDict
from mcp.server.mcpserver import Context
from pydantic import BaseModel, Field

from netscope.alerts.v1 import alerts_pb2
from netscope_aggregator import contracts
from netscope_aggregator.auth import Role
from netscope_aggregator.backends import Backends
from netscope_aggregator.caller import caller_name
from netscope_aggregator.catalog import Catalog
from netscope_aggregator.confirmations import Confirmations
from netscope_aggregator.declare import composite, unary
from netscope_aggregator.writes import Write, WriteAnswer
from netscope_common.timeutil import make_window

EpochBegin = Annotated[int | None, Field(ge=0, description="window start, UNIX seconds (default: 24 h ago)")]
EpochEnd = Annotated[int | None, Field(ge=0, description="window end, UNIX seconds (default: now)")]
Limit = Annotated[int, Field(ge=1, le=200, description="alerts per page")]
ConfirmId = Annotated[str | None, Field(max_length=64, description="id from the preview, to execute the write")]

EntityName = Literal[
    "all", "flow", "host", "interface", "mac", "network", "system", "user", "snmp_device", "active_monitoring"
]
_ENTITY_BY_NAME = {
    "all": alerts_pb2.ENTITY_KIND_UNSPECIFIED,
    "flow": alerts_pb2.ENTITY_KIND_FLOW,
    "host": alerts_pb2.ENTITY_KIND_HOST,
    "interface": alerts_pb2.ENTITY_KIND_INTERFACE,
    "mac": alerts_pb2.ENTITY_KIND_MAC,
    "network": alerts_pb2.ENTITY_KIND_NETWORK,
    "system": alerts_pb2.ENTITY_KIND_SYSTEM,
    "user": alerts_pb2.ENTITY_KIND_USER,
    "snmp_device": alerts_pb2.ENTITY_KIND_SNMP_DEVICE,
    "active_monitoring": alerts_pb2.ENTITY_KIND_ACTIVE_MONITORING,
}


class AlertItem(BaseModel):
    """One alert, readable."""

    id: str
    time: str
    entity: str
    entity_value: str
    entity_name: str = ""
    type: str
    severity: str
    score: int
    description: str
    status: str
    details: dict[str, Any] = Field(default_factory=dict)


class AlertListAnswer(BaseModel):
    """A page of alerts."""

    alerts: list[AlertItem]
    total: int
    next_page_token: str = ""


class ExclusionItem(BaseModel):
    """One alert exclusion."""

    kind: str
    value: str
    alert_type: str = ""
    comment: str = ""
    host: str = ""  # a domain exclusion for one host's alerts only


class ExclusionList(BaseModel):
    """The exclusions in force, with a one-line count (an empty list still says so)."""

    summary: str
    result: list[ExclusionItem]


def _window(epoch_begin: int | None, epoch_end: int | None) -> Any:
    end = datetime.fromtimestamp(epoch_end, UTC) if epoch_end else datetime.now(UTC)
    start = datetime.fromtimestamp(epoch_begin, UTC) if epoch_begin else end - timedelta(hours=24)
    return make_window(start, end)


def _entity_name(kind: alerts_pb2.EntityKind.ValueType) -> str:
    return alerts_pb2.EntityKind.Name(kind).removeprefix("ENTITY_KIND_").lower()


def _alert(a: alerts_pb2.Alert) -> AlertItem:
    return AlertItem(
        id=a.id,
        time=a.time.ToDatetime(tzinfo=UTC).isoformat(),
        entity=_entity_name(a.entity),
        entity_value=a.entity_value,
        entity_name=a.entity_name,
        type=a.alert_name,
        severity=a.severity,
        score=a.score,
        description=a.description[:500],
        status=a.status,
        details=MessageToDict(a.details) if a.HasField("details") else {},
    )


def list_alert_exclusions() -> alerts_pb2.ListExclusionsRequest:
    """The request of list_alert_exclusions."""
    return alerts_pb2.ListExclusionsRequest()


def exclusion_list(reply: alerts_pb2.ListExclusionsResponse) -> ExclusionList:
    """The exclusions in force, with a one-line count."""
    items = [
        ExclusionItem(
            kind=alerts_pb2.ExclusionKind.Name(e.kind).removeprefix("EXCLUSION_KIND_").lower(),
            value=e.value,
            alert_type=e.alert_type,
            comment=e.comment,
            host=e.host,
        )
        for e in reply.exclusions
    ]
    kinds = Counter(i.kind for i in items)
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
    return ExclusionList(
        summary=f"{len(items)} exclusion{'s' if len(items) != 1 else ''} in force ({summary})"
        if items
        else "no exclusion in force",
        result=items,
    )


def register(catalog: Catalog, backends: Backends, confirmations: Confirmations) -> None:
    """Add the alert tools."""

    async def list_page(
        ctx: Context,
        entity: alerts_pb2.EntityKind.ValueType,
        entity_value: str,
        alert_type: str,
        min_severity: str,
        epoch_begin: int | None,
        epoch_end: int | None,
        limit: int,
        page_token: str,
    ) -> AlertListAnswer:
        request = alerts_pb2.ListAlertsRequest(
            window=_window(epoch_begin, epoch_end),
            entity=entity,
            entity_value=entity_value,
            alert_type=alert_type,
            min_severity=min_severity,
        )
        request.page.page_size = limit
        request.page.page_token = page_token
        reply = await backends.call(contracts.alerts.ListAlerts, request)
        return AlertListAnswer(
            alerts=[_alert(a) for a in reply.alerts], total=reply.total, next_page_token=reply.next_page_token
        )

    async def list_alerts(
        ctx: Context,
        entity: EntityName = "all",
        entity_value: Annotated[str, Field(max_length=255, description="host IP, device, interface, ...")] = "",
        alert_type: Annotated[str, Field(max_length=128, description="ntopng alert type name")] = "",
        min_severity: Literal["", "debug", "info", "notice", "warning", "error", "critical", "emergency"] = "",
        epoch_begin: EpochBegin = None,
        epoch_end: EpochEnd = None,
        limit: Limit = 20,
        page_token: Annotated[str, Field(max_length=512)] = "",
    ) -> AlertListAnswer:
        return await list_page(
            ctx,
            _ENTITY_BY_NAME[entity],
            entity_value,
            alert_type,
            min_severity,
            epoch_begin,
            epoch_end,
            limit,
            page_token,
        )

    catalog.declare(
        composite(
            list_alerts,
            name="list_alerts",
            description="Search alerts by entity kind and value (e.g. a host IP), alert type, minimum severity and "
            "window.",
            toolsets=("alerts",),
            rpcs=(contracts.alerts.ListAlerts,),
        )
    )

    catalog.declare(
        unary(
            backends,
            name="list_alert_exclusions",
            description="List the host, domain and certificate alert exclusions in force.",
            toolsets=("alerts",),
            rpc=contracts.alerts.ListExclusions,
            request=list_alert_exclusions,
            render=exclusion_list,
        )
    )

    def exclusion_tool(kind: alerts_pb2.ExclusionKind.ValueType, noun: str) -> Callable[..., Awaitable[WriteAnswer]]:
        tool_name = f"add_{noun}_alert_exclusion"

        async def add(
            ctx: Context, value: str, alert_type: str, comment: str, confirm_id: str | None, host: str
        ) -> WriteAnswer:
            arguments = {"value": value, "alert_type": alert_type, "comment": comment} | (
                {"host": host} if host else {}
            )
            request = alerts_pb2.AddExclusionRequest(
                kind=kind, value=value, alert_type=alert_type, comment=comment, host=host
            )
            principal = caller_name()
            who = f" for host {host}" if host else ""
            preview = f"exclude {noun} {value!r}{who} from {alert_type or 'all'} alerts"
            if not confirm_id:  # a bad value is refused now, not after the user confirmed it
                checked = alerts_pb2.AddExclusionRequest()
                checked.CopyFrom(request)
                checked.validate_only = True
                normal = await backends.call(contracts.alerts.AddExclusion, checked)
                if normal.exclusion.value != value:
                    preview += f" (stored as {normal.exclusion.value!r})"
                if normal.exclusion.HasField("created_at"):
                    preview += f"; it exists already (added by {normal.exclusion.created_by or 'unknown'})"
            write = Write(tool_name, principal, arguments, preview)
            waiting = await write.gate(confirmations, ctx, confirm_id, WriteAnswer)
            if waiting is not None:
                return waiting
            reply = await write.execute(
                backends.call(contracts.alerts.AddExclusion, request),
                lambda r: "created" if r.created else "already existed",
            )
            return WriteAnswer(
                status="done",
                preview=preview,
                result={"created": reply.created, "ntopng_result": reply.ntopng_result},
            )

        async def tool(
            ctx: Context,
            value: Annotated[str, Field(min_length=1, max_length=255, description=f"the {noun} to exclude")],
            alert_type: Annotated[str, Field(max_length=128, description="only this alert type (empty = all)")] = "",
            comment: Annotated[str, Field(max_length=500)] = "",
            confirm_id: ConfirmId = None,
        ) -> WriteAnswer:
            return await add(ctx, value, alert_type, comment, confirm_id, "")

        async def domain_tool(
            ctx: Context,
            value: Annotated[str, Field(min_length=1, max_length=255, description="the domain to exclude")],
            host: Annotated[
                str,
                Field(max_length=64, description="only this host's alerts toward the domain (IP or CIDR; empty = all)"),
            ] = "",
            alert_type: Annotated[str, Field(max_length=128, description="only this alert type (empty = all)")] = "",
            comment: Annotated[str, Field(max_length=500)] = "",
            confirm_id: ConfirmId = None,
        ) -> WriteAnswer:
            return await add(ctx, value, alert_type, comment, confirm_id, host)

        return domain_tool if noun == "domain" else tool

    for kind, noun in (
        (alerts_pb2.EXCLUSION_KIND_HOST, "host"),
        (alerts_pb2.EXCLUSION_KIND_DOMAIN, "domain"),
        (alerts_pb2.EXCLUSION_KIND_CERTIFICATE, "certificate"),
    ):
        catalog.declare(
            composite(
                exclusion_tool(kind, noun),
                name=f"add_{noun}_alert_exclusion",
                description=(
                    f"Stop alerts for a {noun}"
                    + (" (or, with host, for one host-domain pair)" if noun == "domain" else "")
                    + " (write; needs role write). The first call returns a preview and a "
                    "confirm_id; call again with the same arguments and confirm_id to apply it."
                ),
                toolsets=("alerts",),
                role=Role.WRITE,
                writes=True,
                rpcs=(contracts.alerts.AddExclusion,),
            )
        )
