"""Policy tools (ntopng's create_ai_policy: a structured rule, or a description the client's model turns into one
through MCP sampling; a dry-run preview either way) and expected servers."""

import json
from datetime import timedelta
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ClientCapabilities, SamplingCapability, SamplingMessage, TextContent
from pydantic import BaseModel, ConfigDict, Field, ValidationError

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


STRUCTURED_FIELDS = (
    "name, rule (host_country: hosts in host_cidrs talking to countries, at least min_flows flows; upload_volume: "
    "hosts in host_cidrs uploading more than min_bytes outside business_start_hour-business_end_hour; alert_count: "
    "more than min_count alerts of alert_type), severity, lookback_hours"
)


class PolicyDraft(BaseModel):
    """The structured rule the client's model is asked to write from a description (validated like the arguments)."""

    model_config = ConfigDict(extra="forbid", validate_default=True)

    name: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
    rule: Literal["host_country", "upload_volume", "alert_count"]
    severity: Literal["info", "notice", "warning", "error", "critical"] = "warning"
    lookback_hours: Annotated[float, Field(gt=0, le=168)] = 24
    host_cidrs: list[Annotated[str, Field(max_length=64)]] = []
    countries: list[Annotated[str, Field(min_length=2, max_length=2)]] = []
    min_flows: Annotated[int, Field(ge=1)] = 1
    min_bytes: Annotated[int, Field(ge=1)] = 1_000_000_000
    business_start_hour: Annotated[int, Field(ge=0, le=23)] = 8
    business_end_hour: Annotated[int, Field(ge=1, le=24)] = 18
    alert_type: Annotated[str, Field(max_length=128)] = ""
    min_count: Annotated[int, Field(ge=1)] = 10


DRAFT_PROMPT = (
    "Turn the user's description of a network alert policy into ONE JSON object that validates against this JSON "
    "schema, and answer with the JSON object only. Rules: " + STRUCTURED_FIELDS + ". Countries are ISO 3166 alpha-2 "
    "codes. Schema: " + json.dumps(PolicyDraft.model_json_schema())
)


def can_sample(ctx: Context) -> bool:
    """Whether the calling client offers MCP sampling on a channel that can carry the request."""
    try:
        session = ctx.request_context.session
    except ValueError:
        return False
    return session.can_send_request and session.check_client_capability(
        ClientCapabilities(sampling=SamplingCapability())
    )


async def draft_policy(ctx: Context, description: str) -> PolicyDraft:
    """The client's model's structured rule for `description` (MCP sampling), validated against PolicyDraft."""
    if not can_sample(ctx):
        raise ToolError(
            "create_ai_policy: turning a description into a rule asks your model through MCP sampling, which this "
            f"client does not offer; send the structured fields instead: {STRUCTURED_FIELDS}"
        )
    message = SamplingMessage(role="user", content=TextContent(type="text", text=description))
    reply = await ctx.request_context.session.create_message([message], max_tokens=800, system_prompt=DRAFT_PROMPT)
    text = reply.content.text if isinstance(reply.content, TextContent) else ""
    start, end = text.find("{"), text.rfind("}")
    try:
        return PolicyDraft.model_validate_json(text[start : end + 1] if start >= 0 else text)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'answer'}: {e['msg']}" for e in error.errors())
        raise ToolError(
            f"create_ai_policy: your model's rule for the description does not validate ({problems}); "
            f"send the structured fields instead: {STRUCTURED_FIELDS}"
        ) from None


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
        name: Annotated[str, Field(max_length=64, pattern=r"^([A-Za-z0-9_.-]+)?$")] = "",
        rule: Literal["host_country", "upload_volume", "alert_count", ""] = "",
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
        """Create an alert policy from a structured rule, or from a description the client's model turns into one
        (MCP sampling). The first call dry-runs it over history."""
        principal = caller_name()
        given = locals()
        fields = {k: given[k] for k in [*PolicyDraft.model_fields, "description"]}
        drafted = ""
        if not rule:
            if not description:
                raise ToolError(f"create_ai_policy: send a description, or the structured fields: {STRUCTURED_FIELDS}")
            draft = await draft_policy(ctx, description)
            fields = {**draft.model_dump(), "description": description}
            drafted = f" (drafted from the description by your model: {draft.model_dump_json(exclude_defaults=True)})"
        elif not name:
            raise ToolError("create_ai_policy: name is required with rule (letters, digits, '_', '.', '-')")
        arguments = {**fields, "enabled": enabled}
        name, rule, lookback_hours = fields["name"], fields["rule"], fields["lookback_hours"]
        spec = _spec(**fields)
        preview = f"create policy {name!r} ({rule}){drafted}"
        if not confirm_id:  # the dry run over history is the preview, in both confirmation styles
            dry = alerts_pb2.DryRunPolicyRequest(spec=spec, window=last(timedelta(hours=lookback_hours)), limit=10)
            reply = await backends.call(contracts.alerts.DryRunPolicy, dry)
            would = [f"{f.entity_value}: {f.description}" for f in reply.findings]
            preview = (
                f"policy {name!r} ({rule}){drafted} would have raised {len(would)}{'+' if reply.truncated else ''} "
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
            description="Create an alert policy from a description (your model drafts the rule through MCP "
            "sampling; the draft is shown in the dry-run preview) or from a structured rule (rules: host_country — "
            "hosts in host_cidrs talking to countries; upload_volume — hosts uploading more than min_bytes outside "
            "business hours; alert_count — more "
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
