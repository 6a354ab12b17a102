"""Policy tools (ntopng's create_ai_policy as structured rules with a dry-run preview) and expected servers."""

from datetime import timedelta
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from netscope.alerts.v1 import alerts_pb2
from netscope_aggregator import contracts
from netscope_aggregator.auth import Role
from netscope_aggregator.backends import Backends
from netscope_aggregator.caller import caller_name
from netscope_aggregator.catalog import Catalog
from netscope_aggregator.confirmations import Confirmations
from netscope_aggregator.declare import composite, unary
from netscope_aggregator.render import to_plain
from netscope_aggregator.writes import Write, WriteAnswer
from netscope_common.timeutil import last

Cidrs = Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=50, description="IPs or CIDRs")]


def _spec(
    name: str,
    description: str,
    rule: str,
    severity: str,
    lookback_hours: float,
    host_cidrs: list[str],
    countries: list[str],
    min_flows: int,
    min_bytes: int,
    business_start_hour: int,
    business_end_hour: int,
    alert_type: str,
    min_count: int,
) -> alerts_pb2.PolicySpec:
    spec = alerts_pb2.PolicySpec(
        name=name, description=description, severity=severity, lookback_seconds=int(lookback_hours * 3600)
    )
    if rule == "host_country":
        if not countries:
            raise ToolError('rule host_country needs countries, e.g. ["RU", "KP"]')
        spec.host_country.CopyFrom(
            alerts_pb2.HostCountryRule(host_cidrs=host_cidrs, countries=countries, min_flows=min_flows)
        )
    elif rule == "upload_volume":
        spec.upload_volume.CopyFrom(
            alerts_pb2.UploadVolumeRule(
                host_cidrs=host_cidrs,
                min_bytes=min_bytes,
                business_start_hour=business_start_hour,
                business_end_hour=business_end_hour,
            )
        )
    else:
        if not alert_type:
            raise ToolError("rule alert_count needs alert_type (an ntopng alert type name, see list_alerts)")
        spec.alert_count.CopyFrom(alerts_pb2.AlertCountRule(alert_type=alert_type, min_count=min_count))
    return spec


def list_alert_policies() -> alerts_pb2.ListPoliciesRequest:
    """The request of list_alert_policies."""
    return alerts_pb2.ListPoliciesRequest()


def policies_answer(reply: alerts_pb2.ListPoliciesResponse) -> dict[str, Any]:
    """Alert policies with their rule, state and last run."""
    answer: dict[str, Any] = to_plain(reply)
    answer.setdefault("policies", [])
    return answer


def list_expected_servers() -> alerts_pb2.ListExpectedServersRequest:
    """The request of list_expected_servers."""
    return alerts_pb2.ListExpectedServersRequest()


def servers_answer(reply: alerts_pb2.ListExpectedServersResponse) -> dict[str, Any]:
    """The approved infrastructure servers (DNS, NTP, DHCP, SMTP, gateways)."""
    answer: dict[str, Any] = to_plain(reply)
    answer.setdefault("servers", [])
    return answer


def register(catalog: Catalog, backends: Backends, confirmations: Confirmations) -> None:
    """Add create_ai_policy, list_alert_policies and list_expected_servers."""

    async def create_ai_policy(
        ctx: Context,
        name: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")],
        rule: Literal["host_country", "upload_volume", "alert_count"],
        description: Annotated[str, Field(max_length=500)] = "",
        severity: Literal["info", "notice", "warning", "error", "critical"] = "warning",
        lookback_hours: Annotated[float, Field(gt=0, le=168)] = 24,
        host_cidrs: Cidrs = [],  # noqa: B006
        countries: Annotated[list[Annotated[str, Field(min_length=2, max_length=2)]], Field(max_length=50)] = [],  # noqa: B006
        min_flows: Annotated[int, Field(ge=1)] = 1,
        min_bytes: Annotated[int, Field(ge=1)] = 1_000_000_000,
        business_start_hour: Annotated[int, Field(ge=0, le=23)] = 8,
        business_end_hour: Annotated[int, Field(ge=1, le=24)] = 18,
        alert_type: Annotated[str, Field(max_length=128)] = "",
        min_count: Annotated[int, Field(ge=1)] = 10,
        enabled: bool = True,
        confirm_id: Annotated[str | None, Field(max_length=64)] = None,
    ) -> WriteAnswer:
        """Create an alert policy from a structured rule. The first call dry-runs it over history."""
        principal = caller_name()
        arguments = {k: v for k, v in locals().items() if k not in ("ctx", "confirm_id", "principal")}
        spec = _spec(
            name,
            description,
            rule,
            severity,
            lookback_hours,
            host_cidrs,
            countries,
            min_flows,
            min_bytes,
            business_start_hour,
            business_end_hour,
            alert_type,
            min_count,
        )
        preview = f"create policy {name!r} ({rule})"
        if not confirm_id:  # the dry run over history is the preview, in both confirmation styles
            dry = alerts_pb2.DryRunPolicyRequest(spec=spec, window=last(timedelta(hours=lookback_hours)), limit=10)
            reply = await backends.call(contracts.alerts.DryRunPolicy, dry)
            would = [f"{f.entity_value}: {f.description}" for f in reply.findings]
            preview = (
                f"policy {name!r} ({rule}) would have raised {len(would)}{'+' if reply.truncated else ''} "
                f"alerts over the last {lookback_hours:g} h" + (": " + "; ".join(would[:5]) if would else "")
            )
        write = Write("create_ai_policy", principal, arguments, preview)
        waiting = await write.gate(confirmations, ctx, confirm_id, WriteAnswer)
        if waiting is not None:
            return waiting
        request = alerts_pb2.CreatePolicyRequest(spec=spec, enabled=enabled)
        created = await write.execute(
            backends.call(contracts.alerts.CreatePolicy, request),
            lambda r: "created" if r.created else "already existed",
        )
        return WriteAnswer(
            status="done",
            preview=f"policy {name!r} ({rule})",
            result={"created": created.created, "enabled": created.policy.enabled},
        )

    catalog.declare(
        composite(
            create_ai_policy,
            name="create_ai_policy",
            toolsets=("alerts",),
            role=Role.WRITE,
            writes=True,
            description="Create an alert policy (rules: host_country — hosts in host_cidrs talking to countries; "
            "upload_volume — hosts uploading more than min_bytes outside business hours; alert_count — more "
            "than min_count alerts of alert_type). The first call dry-runs it over history and returns what it "
            "would have raised plus a confirm_id; call again with confirm_id to create it.",
            rpcs=(contracts.alerts.DryRunPolicy, contracts.alerts.CreatePolicy),
        )
    )
    catalog.declare(
        unary(
            backends,
            name="list_alert_policies",
            toolsets=("alerts",),
            description="List the alert policies and whether they are enabled.",
            rpc=contracts.alerts.ListPolicies,
            request=list_alert_policies,
            render=policies_answer,
        )
    )
    catalog.declare(
        unary(
            backends,
            name="list_expected_servers",
            toolsets=("alerts",),
            description="Return the IP addresses of the expected/approved infrastructure servers (DNS, NTP, "
            "DHCP, SMTP, gateways).",
            rpc=contracts.alerts.ListExpectedServers,
            request=list_expected_servers,
            render=servers_answer,
        )
    )
