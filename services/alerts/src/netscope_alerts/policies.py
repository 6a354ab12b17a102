"""Policies: named, structured rules over flows or alerts; validated, stored, dry-run and evaluated.

Rules (see PolicySpec in alerts.proto):
- host_country: flows from a host in host_cidrs to a server located in one of countries (>= min_flows).
- upload_volume: a host in host_cidrs sending more than min_bytes outside business hours (UTC).
- alert_count: more than min_count alerts of one type for one entity within the window.
A finding becomes an alert on the host (or the counted entity) when an enabled policy runs.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from google.protobuf import json_format

from netscope.alerts.v1 import alerts_pb2 as pb
from netscope_alerts import catalog
from netscope_alerts.alerts import AlertFilter, AlertRepository
from netscope_alerts.entities import BY_ENTITY_ID
from netscope_alerts.store import Store
from netscope_alerts.validation import network_text, parse_country, parse_name, parse_network
from netscope_common.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from netscope_common.timeutil import to_timestamp
from netscope_ntopng.alert_types import severity_name

DEFAULT_LOOKBACK = 3600
MAX_CIDRS = 64
# The alert type each rule raises.
RULE_ALERT_TYPES = {
    "host_country": "host_alert_countries_contacts",
    "upload_volume": "host_alert_traffic_volume",
    "alert_count": "alert_threshold_cross",
}
_COLUMNS = ["name", "spec_json", "enabled", "created_at", "created_by", "last_run", "last_result"]
_COLUMNS += ["version", "deleted"]
_HOST_EXPR = "if(IP_PROTOCOL_VERSION = 6, IPv6NumToString(IPV6_SRC_ADDR), IPv4NumToString(IPV4_SRC_ADDR))"


@dataclass
class StoredPolicy:
    """A policy as stored."""

    spec: pb.PolicySpec
    enabled: bool
    created_at: datetime
    created_by: str
    last_run: datetime | None
    last_result: str

    def to_pb(self) -> pb.Policy:
        out = pb.Policy(spec=self.spec, enabled=self.enabled, created_by=self.created_by)
        out.created_at.CopyFrom(to_timestamp(self.created_at))
        if self.last_run is not None:
            out.last_run.CopyFrom(to_timestamp(self.last_run))
            out.last_result = self.last_result
        return out


def _cidrs(values: list[str], field: str) -> list[str]:
    if not values:
        raise InvalidArgument("at least one host CIDR is required (e.g. 10.0.0.0/8)", field=field)
    if len(values) > MAX_CIDRS:
        raise InvalidArgument(f"at most {MAX_CIDRS} host CIDRs", field=field)
    return [network_text(parse_network(v, field)) for v in values]


def validate_spec(spec: pb.PolicySpec) -> pb.PolicySpec:
    """A normalised copy of spec; InvalidArgument naming the field otherwise."""
    out = pb.PolicySpec()
    out.CopyFrom(spec)
    out.name = parse_name(spec.name, "spec.name")
    if len(spec.description) > 1024:
        raise InvalidArgument("description longer than 1024 characters", field="spec.description")
    out.severity = severity_name(catalog.parse_severity(spec.severity or "warning", "spec.severity"))
    lookback = spec.lookback_seconds or DEFAULT_LOOKBACK
    if not 60 <= lookback <= 7 * 86400:
        raise InvalidArgument(
            "lookback_seconds must be 60..604800 (one minute to a week)", field="spec.lookback_seconds"
        )
    out.lookback_seconds = lookback
    rule = spec.WhichOneof("rule")
    if rule is None:
        raise InvalidArgument("a rule is required: host_country, upload_volume or alert_count", field="spec.rule")
    if rule == "host_country":
        hc = out.host_country
        cidrs = _cidrs(list(hc.host_cidrs), "spec.host_country.host_cidrs")
        if not hc.countries or len(hc.countries) > 250:
            raise InvalidArgument("1..250 country codes are required (e.g. RU)", field="spec.host_country.countries")
        countries = sorted({parse_country(c, "spec.host_country.countries") for c in hc.countries})
        del hc.host_cidrs[:], hc.countries[:]
        hc.host_cidrs.extend(cidrs)
        hc.countries.extend(countries)
        hc.min_flows = hc.min_flows or 1
    elif rule == "upload_volume":
        uv = out.upload_volume
        cidrs = _cidrs(list(uv.host_cidrs), "spec.upload_volume.host_cidrs")
        del uv.host_cidrs[:]
        uv.host_cidrs.extend(cidrs)
        if uv.min_bytes == 0:
            raise InvalidArgument("min_bytes must be above 0", field="spec.upload_volume.min_bytes")
        if uv.business_start_hour > 24 or uv.business_end_hour > 24:
            raise InvalidArgument("business hours must be 0..24 (UTC)", field="spec.upload_volume.business_start_hour")
        if uv.business_start_hour == uv.business_end_hour and uv.business_start_hour != 0:
            raise InvalidArgument(
                "business_start_hour equals business_end_hour; use 0 and 0 to count every hour",
                field="spec.upload_volume.business_end_hour",
            )
    else:
        ac = out.alert_count
        if not ac.alert_type:
            raise InvalidArgument("alert_type is required (see ListAlertTypes)", field="spec.alert_count.alert_type")
        ac.alert_type = catalog.parse_alert_type(ac.alert_type, "spec.alert_count.alert_type").name
        if ac.entity and ac.entity not in pb.EntityKind.values():
            raise InvalidArgument(f"unknown entity kind {ac.entity}", field="spec.alert_count.entity")
        if ac.min_count == 0:
            raise InvalidArgument("min_count must be above 0", field="spec.alert_count.min_count")
    return out


def _off_hours_sql(start: int, end: int) -> str:
    if start == end:
        return "1"
    hour = "toHour(FIRST_SEEN)"
    if start < end:
        return f"NOT ({hour} >= {start} AND {hour} < {end})"
    return f"NOT ({hour} >= {start} OR {hour} < {end})"


def _cidr_sql(cidrs: list[str], params: dict[str, Any]) -> str:
    parts = []
    for i, cidr in enumerate(cidrs):
        params[f"c{i}"] = cidr if "/" in cidr else f"{cidr}/{128 if ':' in cidr else 32}"
        parts.append(f"isIPAddressInRange({_HOST_EXPR}, {{c{i}:String}})")
    return "(" + " OR ".join(parts) + ")"


def _pack_country(code: str) -> int:
    return (ord(code[0]) << 8) | ord(code[1])


class PolicyEngine:
    """Stores policies, runs dry-runs and evaluates enabled policies."""

    def __init__(self, store: Store, alerts: AlertRepository) -> None:
        self._store = store
        self._alerts = alerts
        self._lock = asyncio.Lock()

    async def all(self) -> list[StoredPolicy]:
        """Every stored policy, by name."""
        rows = await self._store.rows(
            "SELECT spec_json, enabled, toUnixTimestamp64Milli(created_at), created_by,"
            " toUnixTimestamp64Milli(last_run), last_result FROM netscope_alert_policies FINAL"
            " WHERE deleted = 0 ORDER BY name"
        )
        out = []
        for spec_json, enabled, created, by, last, result in rows:
            spec = json_format.Parse(spec_json, pb.PolicySpec())
            last_run = datetime.fromtimestamp(last / 1000, UTC) if last else None
            out.append(
                StoredPolicy(spec, bool(enabled), datetime.fromtimestamp(created / 1000, UTC), by, last_run, result)
            )
        return out

    async def get(self, name: str) -> StoredPolicy:
        """One policy by name (NotFound otherwise)."""
        found = next((p for p in await self.all() if p.spec.name == name), None)
        if found is None:
            raise NotFound(f"no policy named {name!r}; ListPolicies shows the stored ones", field="name")
        return found

    async def _write(self, p: StoredPolicy, deleted: bool = False) -> None:
        row = [p.spec.name, json_format.MessageToJson(p.spec, indent=None), int(p.enabled), p.created_at]
        row += [
            p.created_by,
            p.last_run or datetime.fromtimestamp(0, UTC),
            p.last_result,
            time.time_ns(),
            int(deleted),
        ]
        await self._store.insert("netscope_alert_policies", [row], _COLUMNS)

    async def create(self, spec: pb.PolicySpec, enabled: bool, principal: str) -> tuple[StoredPolicy, bool]:
        """Store a validated policy; the same spec twice is a no-op, a different one AlreadyExists."""
        clean = validate_spec(spec)
        async with self._lock:
            existing = next((p for p in await self.all() if p.spec.name == clean.name), None)
            if existing is not None:
                if existing.spec == clean and existing.enabled == enabled:
                    return existing, False
                raise AlreadyExists(
                    f"a different policy named {clean.name!r} exists; delete it first or choose another name",
                    field="spec.name",
                )
            policy = StoredPolicy(clean, enabled, datetime.now(UTC), principal, None, "")
            await self._write(policy)
        return policy, True

    async def set_enabled(self, name: str, enabled: bool) -> StoredPolicy:
        """Enable or disable a policy."""
        async with self._lock:
            policy = await self.get(name)
            if policy.enabled != enabled:
                policy.enabled = enabled
                await self._write(policy)
        return policy

    async def delete(self, name: str) -> bool:
        """Delete a policy; False when it did not exist."""
        async with self._lock:
            found = next((p for p in await self.all() if p.spec.name == name), None)
            if found is None:
                return False
            await self._write(found, deleted=True)
        return True

    async def dry_run(
        self, spec: pb.PolicySpec, start: datetime, end: datetime, limit: int
    ) -> tuple[list[pb.PolicyFinding], bool]:
        """What the policy would raise over [start, end): findings (at most limit) and whether more exist."""
        clean = validate_spec(spec)
        rule = clean.WhichOneof("rule")
        if rule == "alert_count":
            findings = await self._alert_count(clean, start, end)
        else:
            if not await self._alerts.flows_present():
                raise FailedPrecondition(
                    f"the {rule} rule reads flows, and no flows table is reachable from the alert store "
                    "(the flows service RPC is not wired yet); alert_count rules work",
                    field="spec.rule",
                )
            findings = await self._flow_rule(clean, start, end)
        return findings[:limit], len(findings) > limit

    async def _flow_rule(self, spec: pb.PolicySpec, start: datetime, end: datetime) -> list[pb.PolicyFinding]:
        params: dict[str, Any] = {"start": int(start.timestamp()), "end": int(end.timestamp())}
        where = ["FIRST_SEEN >= toDateTime({start:UInt32})", "FIRST_SEEN < toDateTime({end:UInt32})"]
        if spec.WhichOneof("rule") == "host_country":
            hc = spec.host_country
            where.append(_cidr_sql(list(hc.host_cidrs), params))
            where.append(f"DST_COUNTRY_CODE IN ({', '.join(str(_pack_country(c)) for c in hc.countries)})")
            value_sql, having = "count()", f"value >= {hc.min_flows}"
            label = "char(bitShiftRight(DST_COUNTRY_CODE, 8), bitAnd(DST_COUNTRY_CODE, 255))"
            threshold = float(hc.min_flows)
        else:
            uv = spec.upload_volume
            where.append(_cidr_sql(list(uv.host_cidrs), params))
            where.append(_off_hours_sql(uv.business_start_hour, uv.business_end_hour))
            value_sql, having, label = "sum(SRC2DST_BYTES)", f"value > {uv.min_bytes}", "''"
            threshold = float(uv.min_bytes)
        rows = await self._store.rows(
            f"SELECT {_HOST_EXPR} AS host, {label} AS label, {value_sql} AS value,"
            " toUnixTimestamp(min(FIRST_SEEN)), toUnixTimestamp(max(LAST_SEEN))"
            f" FROM flows WHERE {' AND '.join(where)}"
            f" GROUP BY host, label HAVING {having} ORDER BY value DESC, host LIMIT 10001",
            params,
        )
        out = []
        for host, lbl, value, first, last in rows:
            if spec.WhichOneof("rule") == "host_country":
                text = f"policy {spec.name}: {host} made {value} flows to servers in {lbl}"
            else:
                text = f"policy {spec.name}: {host} uploaded {value} bytes outside business hours"
            out.append(self._finding(spec, pb.ENTITY_KIND_HOST, host, text, value, threshold, first, last))
        return out

    async def _alert_count(self, spec: pb.PolicySpec, start: datetime, end: datetime) -> list[pb.PolicyFinding]:
        ac = spec.alert_count
        flt = AlertFilter(start=start, end=end, kind=ac.entity, alert_type=ac.alert_type)
        flt.validate()
        params: dict[str, Any] = {}
        source, _ = await self._alerts.union(flt, params)
        rows = await self._store.rows(
            "SELECT entity_id, entity_value, count() AS value, toUnixTimestamp(min(tstamp)),"
            f" toUnixTimestamp(max(tstamp)) FROM {source} GROUP BY entity_id, entity_value"
            f" HAVING value > {ac.min_count} ORDER BY value DESC, entity_value LIMIT 10001",
            params,
        )
        out = []
        for eid, value_name, value, first, last in rows:
            kind = BY_ENTITY_ID[eid].kind
            if kind == pb.ENTITY_KIND_FLOW:  # flow alerts are raised on the client host
                kind = pb.ENTITY_KIND_HOST
            text = f"policy {spec.name}: {value} {ac.alert_type} alerts for {value_name} (more than {ac.min_count})"
            out.append(self._finding(spec, kind, value_name, text, value, float(ac.min_count), first, last))
        return out

    @staticmethod
    def _finding(
        spec: pb.PolicySpec,
        kind: pb.EntityKind.ValueType,
        entity: str,
        text: str,
        value: float,
        threshold: float,
        first: int,
        last: int,
    ) -> pb.PolicyFinding:
        finding = pb.PolicyFinding(
            entity=kind,
            entity_value=entity,
            alert_type=RULE_ALERT_TYPES[spec.WhichOneof("rule") or ""],
            severity=spec.severity,
            description=text,
            value=float(value),
            threshold=threshold,
        )
        finding.first_seen.CopyFrom(to_timestamp(datetime.fromtimestamp(first, UTC)))
        finding.last_seen.CopyFrom(to_timestamp(datetime.fromtimestamp(last, UTC)))
        return finding

    async def evaluate(self, policy: StoredPolicy, now: datetime) -> str:
        """Run one policy over its lookback window, raise its findings and record the outcome."""
        start = now - timedelta(seconds=policy.spec.lookback_seconds)
        try:
            findings, truncated = await self.dry_run(policy.spec, start, now, 1000)
            for f in findings:
                details = {"policy": policy.spec.name, "value": f.value, "threshold": f.threshold}
                await self._alerts.raise_alert(
                    pb.RaiseAlertRequest(
                        entity=f.entity,
                        entity_value=f.entity_value,
                        alert_type=f.alert_type,
                        severity=f.severity,
                        description=f.description,
                        details_json=json.dumps(details),
                        time=to_timestamp(now),
                    )
                )
            result = f"ok: {len(findings)} finding(s)" + (" (truncated at 1000)" if truncated else "")
        except FailedPrecondition as exc:
            result = f"skipped: {exc.message}"
        async with self._lock:
            current = next((p for p in await self.all() if p.spec.name == policy.spec.name), None)
            if current is not None:
                current.last_run, current.last_result = now, result
                await self._write(current)
        return result

    async def evaluate_enabled(self, now: datetime | None = None) -> dict[str, str]:
        """Evaluate every enabled policy once; returns name -> result."""
        now = now or datetime.now(UTC)
        return {p.spec.name: await self.evaluate(p, now) for p in await self.all() if p.enabled}
