"""The gRPC AlertsService: request validation and mapping onto the domain modules."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

import grpc
from google.protobuf import json_format

from netscope.alerts.v1 import alerts_pb2 as pb
from netscope.alerts.v1 import alerts_pb2_grpc
from netscope_alerts.alerts import AlertFilter, AlertRepository
from netscope_alerts.audit import AuditLog
from netscope_alerts.exclusions import HOST_DOMAIN, Exclusion, ExclusionStore, normalise
from netscope_alerts.expected import ExpectedServers, parse_role
from netscope_alerts.ntopng import push_exclusion
from netscope_alerts.policies import PolicyEngine
from netscope_common.errors import InvalidArgument
from netscope_common.interceptors import PRINCIPAL_KEY
from netscope_common.timeutil import make_window, resolve_window, to_timestamp
from netscope_ntopng.alert_types import ALERT_SEVERITIES, alert_types
from netscope_ntopng.rest import NtopngClient

EXCLUSION_KINDS = {pb.EXCLUSION_KIND_HOST: "host", pb.EXCLUSION_KIND_DOMAIN: "domain"}
EXCLUSION_KINDS[pb.EXCLUSION_KIND_CERTIFICATE] = "certificate"
EXCLUSION_KIND_IDS = {v: k for k, v in EXCLUSION_KINDS.items()}


def principal_of(context: grpc.aio.ServicerContext) -> str:
    """The caller named in the `x-netscope-principal` metadata (default 'anonymous')."""
    for key, value in context.invocation_metadata() or ():
        if key == PRINCIPAL_KEY and value:
            return str(value)[:256]
    return "anonymous"


def _limit(value: int, default: int, field: str, maximum: int = 1000) -> int:
    if value > maximum:
        raise InvalidArgument(f"{field} {value} is above the maximum {maximum}", field=field)
    return value or default


def _exclusion_kind(kind: pb.ExclusionKind.ValueType) -> str:
    if kind not in EXCLUSION_KINDS:
        raise InvalidArgument("kind must be EXCLUSION_KIND_HOST, _DOMAIN or _CERTIFICATE", field="kind")
    return EXCLUSION_KINDS[kind]


def _exclusion_pb(ex: Exclusion) -> pb.Exclusion:
    out = pb.Exclusion(
        kind=EXCLUSION_KIND_IDS["domain" if ex.kind == HOST_DOMAIN else ex.kind],
        value=ex.target,
        host=ex.host,
        alert_type=ex.alert_type,
        comment=ex.comment,
        created_by=ex.created_by,
    )
    if ex.created_at is not None:
        out.created_at.CopyFrom(to_timestamp(ex.created_at))
    return out


def _target(request: Any) -> dict[str, Any]:
    return json_format.MessageToDict(request, preserving_proto_field_name=True)


class AlertsServicer(alerts_pb2_grpc.AlertsServiceServicer):
    """AlertsService over the alert store."""

    def __init__(
        self,
        alerts: AlertRepository,
        exclusions: ExclusionStore,
        policies: PolicyEngine,
        expected: ExpectedServers,
        audit: AuditLog,
        ntopng: NtopngClient | None = None,
    ) -> None:
        self._alerts = alerts
        self._exclusions = exclusions
        self._policies = policies
        self._expected = expected
        self._audit = audit
        self._ntopng = ntopng

    async def AlertStats(self, request: pb.AlertStatsRequest, context: Any) -> pb.AlertStatsResponse:
        start, end = resolve_window(request.window, default_span=timedelta(days=1))
        flt = AlertFilter(
            start=start,
            end=end,
            kind=request.entity,
            entity_value=request.entity_value,
            alert_type=request.alert_type,
            min_severity=request.min_severity,
            acknowledged=request.acknowledged,
            ntopng_filters=dict(request.ntopng_filters),
            interface_id=request.interface_id if request.HasField("interface_id") else None,
        )
        stats = await self._alerts.stats(flt, request.top_n)
        resp = pb.AlertStatsResponse(total=stats.total, flow_alerts_unavailable=stats.flow_alerts_unavailable)
        resp.window.CopyFrom(make_window(start, end))
        resp.by_type.extend(pb.CountEntry(key=k, count=n) for k, n in stats.by_type)
        resp.by_severity.extend(pb.CountEntry(key=k, count=n) for k, n in stats.by_severity)
        resp.by_entity.extend(pb.CountEntry(key=v, count=n, entity=kind) for kind, v, n in stats.by_entity)
        return resp

    async def ListAlerts(self, request: pb.ListAlertsRequest, context: Any) -> pb.ListAlertsResponse:
        start, end = resolve_window(request.window, default_span=timedelta(days=1))
        flt = AlertFilter(
            start=start,
            end=end,
            kind=request.entity,
            entity_value=request.entity_value,
            alert_type=request.alert_type,
            min_severity=request.min_severity,
            acknowledged=request.acknowledged,
            ntopng_filters=dict(request.ntopng_filters),
            interface_id=request.interface_id if request.HasField("interface_id") else None,
        )
        alerts, token, total, flows_missing = await self._alerts.list_alerts(
            flt,
            sort=request.sort,
            page_size=request.page.page_size,
            page_token=request.page.page_token,
            offset=request.offset,
        )
        return pb.ListAlertsResponse(
            alerts=alerts, next_page_token=token, total=total, flow_alerts_unavailable=flows_missing
        )

    async def ListAlertTypes(self, request: pb.ListAlertTypesRequest, context: Any) -> pb.ListAlertTypesResponse:
        return pb.ListAlertTypesResponse(
            types=[pb.AlertType(name=t.name, id=t.key, family=t.family) for t in alert_types()],
            severities=[ALERT_SEVERITIES[i] for i in sorted(ALERT_SEVERITIES)],
        )

    async def RaiseAlert(self, request: pb.RaiseAlertRequest, context: Any) -> pb.RaiseAlertResponse:
        async with self._audit.audited(principal_of(context), "alert.raise", _target(request)):
            alert, dedup = await self._alerts.raise_alert(request)
        return pb.RaiseAlertResponse(alert=alert, deduplicated=dedup)

    async def AcknowledgeAlert(self, request: pb.AcknowledgeAlertRequest, context: Any) -> pb.AcknowledgeAlertResponse:
        async with self._audit.audited(principal_of(context), "alert.acknowledge", _target(request)):
            alert, changed = await self._alerts.acknowledge(request.id, request.comment)
        return pb.AcknowledgeAlertResponse(alert=alert, changed=changed)

    async def AddExclusion(self, request: pb.AddExclusionRequest, context: Any) -> pb.AddExclusionResponse:
        if request.validate_only:
            checked = normalise(
                _exclusion_kind(request.kind), request.value, request.alert_type, request.comment, request.host
            )
            existing = await self._exclusions.find(checked)
            return pb.AddExclusionResponse(exclusion=_exclusion_pb(existing or checked))
        principal = principal_of(context)
        resp = pb.AddExclusionResponse()
        async with self._audit.audited(principal, "exclusion.add", _target(request)):
            ex = normalise(
                _exclusion_kind(request.kind), request.value, request.alert_type, request.comment, request.host
            )
            stored, created = await self._exclusions.add(ex, principal)
            resp.exclusion.CopyFrom(_exclusion_pb(stored))
            resp.created = created
            if self._ntopng is not None:
                resp.ntopng_result = await push_exclusion(self._ntopng, ex)
        if resp.ntopng_result:
            await self._audit.record(principal, "exclusion.add.ntopng", asdict(ex), resp.ntopng_result)
        return resp

    async def RemoveExclusion(self, request: pb.RemoveExclusionRequest, context: Any) -> pb.RemoveExclusionResponse:
        principal = principal_of(context)
        resp = pb.RemoveExclusionResponse()
        async with self._audit.audited(principal, "exclusion.remove", _target(request)):
            ex = normalise(_exclusion_kind(request.kind), request.value, request.alert_type, host=request.host)
            resp.removed = await self._exclusions.remove(ex)
            if self._ntopng is not None:
                resp.ntopng_result = await push_exclusion(self._ntopng, ex, remove=True)
        if resp.ntopng_result:
            await self._audit.record(principal, "exclusion.remove.ntopng", asdict(ex), resp.ntopng_result)
        return resp

    async def ListExclusions(self, request: pb.ListExclusionsRequest, context: Any) -> pb.ListExclusionsResponse:
        kind = _exclusion_kind(request.kind) if request.kind else ""
        return pb.ListExclusionsResponse(exclusions=[_exclusion_pb(e) for e in await self._exclusions.all(kind)])

    async def CreatePolicy(self, request: pb.CreatePolicyRequest, context: Any) -> pb.CreatePolicyResponse:
        principal = principal_of(context)
        async with self._audit.audited(principal, "policy.create", _target(request)):
            policy, created = await self._policies.create(request.spec, request.enabled, principal)
        return pb.CreatePolicyResponse(policy=policy.to_pb(), created=created)

    async def SetPolicyEnabled(self, request: pb.SetPolicyEnabledRequest, context: Any) -> pb.SetPolicyEnabledResponse:
        async with self._audit.audited(principal_of(context), "policy.set_enabled", _target(request)):
            policy = await self._policies.set_enabled(request.name, request.enabled)
        return pb.SetPolicyEnabledResponse(policy=policy.to_pb())

    async def DeletePolicy(self, request: pb.DeletePolicyRequest, context: Any) -> pb.DeletePolicyResponse:
        async with self._audit.audited(principal_of(context), "policy.delete", _target(request)):
            deleted = await self._policies.delete(request.name)
        return pb.DeletePolicyResponse(deleted=deleted)

    async def ListPolicies(self, request: pb.ListPoliciesRequest, context: Any) -> pb.ListPoliciesResponse:
        return pb.ListPoliciesResponse(policies=[p.to_pb() for p in await self._policies.all()])

    async def DryRunPolicy(self, request: pb.DryRunPolicyRequest, context: Any) -> pb.DryRunPolicyResponse:
        if request.name and request.HasField("spec"):
            raise InvalidArgument("give either name (a stored policy) or spec (inline), not both", field="name")
        if request.name:
            spec = (await self._policies.get(request.name)).spec
        elif request.HasField("spec"):
            spec = request.spec
        else:
            raise InvalidArgument("name (a stored policy) or spec (inline) is required", field="name")
        start, end = resolve_window(request.window, default_span=timedelta(days=1))
        limit = _limit(request.limit, 100, "limit")
        findings, truncated = await self._policies.dry_run(spec, start, end, limit)
        return pb.DryRunPolicyResponse(findings=findings, truncated=truncated, window=make_window(start, end))

    async def AddExpectedServer(
        self, request: pb.AddExpectedServerRequest, context: Any
    ) -> pb.AddExpectedServerResponse:
        principal = principal_of(context)
        async with self._audit.audited(principal, "expected_server.add", _target(request)):
            server, created = await self._expected.add(request.role, request.address, request.comment, principal)
        return pb.AddExpectedServerResponse(server=server, created=created)

    async def RemoveExpectedServer(
        self, request: pb.RemoveExpectedServerRequest, context: Any
    ) -> pb.RemoveExpectedServerResponse:
        async with self._audit.audited(principal_of(context), "expected_server.remove", _target(request)):
            removed = await self._expected.remove(request.role, request.address)
        return pb.RemoveExpectedServerResponse(removed=removed)

    async def ListExpectedServers(
        self, request: pb.ListExpectedServersRequest, context: Any
    ) -> pb.ListExpectedServersResponse:
        role = parse_role(request.role, allow_unspecified=True)
        return pb.ListExpectedServersResponse(servers=await self._expected.all(role))

    async def CheckUnexpectedServers(
        self, request: pb.CheckUnexpectedServersRequest, context: Any
    ) -> pb.CheckUnexpectedServersResponse:
        start, end = resolve_window(request.window, default_span=timedelta(days=1))
        limit = _limit(request.limit, 100, "limit")
        if not request.raise_alerts:
            return await self._expected.check(start, end, request.role, limit, False)
        async with self._audit.audited(principal_of(context), "expected_server.check", _target(request)):
            return await self._expected.check(start, end, request.role, limit, True)

    async def ListAuditEntries(self, request: pb.ListAuditEntriesRequest, context: Any) -> pb.ListAuditEntriesResponse:
        start, end = resolve_window(request.window, default_span=timedelta(days=7))
        limit = _limit(request.limit, 100, "limit")
        entries, truncated = await self._audit.entries(
            start, end, principal=request.principal, action=request.action, limit=limit
        )
        resp = pb.ListAuditEntriesResponse(truncated=truncated)
        for e in entries:
            item = resp.entries.add(principal=e.principal, action=e.action, target_json=e.target_json, result=e.result)
            item.time.CopyFrom(to_timestamp(e.time))
        return resp
