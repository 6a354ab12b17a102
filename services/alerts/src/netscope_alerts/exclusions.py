"""Alert exclusions (host, domain, certificate, and a host-domain pair): validation, storage and the SQL hiding
excluded alerts. A host-domain pair is stored as kind `host_domain` with value '<CIDR> <domain>'."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from netscope_alerts import catalog
from netscope_alerts.entities import type_condition
from netscope_alerts.store import Store
from netscope_alerts.validation import network_text, parse_certificate, parse_domain, parse_network
from netscope_common.errors import InvalidArgument

KINDS = ("host", "domain", "certificate")
HOST_DOMAIN = "host_domain"
_COLUMNS = ["kind", "value", "alert_type", "comment", "created_at", "created_by", "version", "deleted"]


@dataclass(frozen=True)
class Exclusion:
    """One exclusion. value is normalised; alert_type empty means every type."""

    kind: str
    value: str
    alert_type: str = ""
    comment: str = ""
    created_at: datetime | None = None
    created_by: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.value, self.alert_type)

    @property
    def host(self) -> str:
        """The host (CIDR) of a host-domain pair, '' otherwise."""
        return self.value.split(" ", 1)[0] if self.kind == HOST_DOMAIN else ""

    @property
    def target(self) -> str:
        """The value without the host of a host-domain pair."""
        return self.value.split(" ", 1)[1] if self.kind == HOST_DOMAIN else self.value


def normalise(kind: str, value: str, alert_type: str = "", comment: str = "", host: str = "") -> Exclusion:
    """Validate and normalise an exclusion; raises InvalidArgument with what is allowed. `host` (domain exclusions
    only) narrows a domain exclusion to one host's alerts toward it."""
    if kind not in KINDS:
        raise InvalidArgument(f"exclusion kind must be one of {', '.join(KINDS)}", field="kind")
    if host.strip() and kind != "domain":
        raise InvalidArgument(
            "host narrows domain exclusions only; a host exclusion takes the host as value", field="host"
        )
    if host.strip():
        clean = f"{network_text(parse_network(host, 'host'))} {parse_domain(value, 'value')}"
        kind = HOST_DOMAIN
    elif kind == "host":
        clean = network_text(parse_network(value, "value"))
    elif kind == "domain":
        clean = parse_domain(value, "value")
    else:
        clean = parse_certificate(value, "value")
    type_name = catalog.parse_alert_type(alert_type).name if alert_type.strip() else ""
    if len(comment) > 1024:
        raise InvalidArgument("comment longer than 1024 characters", field="comment")
    return Exclusion(kind, clean, type_name, comment)


def exclusion_sql(exclusions: list[Exclusion], params: dict[str, Any]) -> str:
    """A predicate over the alert union that is true for alerts no exclusion hides ('1' when none)."""
    clauses = []
    for i, ex in enumerate(exclusions):
        name = f"ex{i}"
        if ex.kind == "host":
            params[name] = ex.value if "/" in ex.value else f"{ex.value}/{128 if ':' in ex.value else 32}"
            cond = (
                "arrayExists(x -> (isIPv4String(x) OR isIPv6String(x))"
                f" AND isIPAddressInRange(x, {{{name}:String}}), ips)"
            )
        elif ex.kind in ("domain", HOST_DOMAIN):
            params[name] = ex.target
            params[f"{name}s"] = "." + ex.target
            # The substring test is cheap and lets the engine skip extracting the domain from most rows.
            cond = (
                f"(positionCaseInsensitive(domain_text, {{{name}:String}}) > 0"
                f" AND (lower(domain) = {{{name}:String}} OR endsWith(lower(domain), {{{name}s:String}})))"
            )
            if ex.kind == HOST_DOMAIN:
                params[f"{name}h"] = ex.host if "/" in ex.host else f"{ex.host}/{128 if ':' in ex.host else 32}"
                cond = (
                    f"({cond} AND arrayExists(x -> (isIPv4String(x) OR isIPv6String(x))"
                    f" AND isIPAddressInRange(x, {{{name}h:String}}), ips))"
                )
        else:
            params[name] = ex.value
            cond = f"position(json, {{{name}:String}}) > 0"
        if ex.alert_type:
            cond = f"({cond} AND {type_condition(ex.alert_type)})"
        clauses.append(f"NOT {cond}")
    return " AND ".join(clauses) if clauses else "1"


class ExclusionStore:
    """Persists exclusions in netscope_alert_exclusions."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def all(self, kind: str = "") -> list[Exclusion]:
        """Current exclusions, optionally of one kind."""
        kinds = [kind, HOST_DOMAIN] if kind == "domain" else [kind]  # a host-domain pair is a domain exclusion
        where = "deleted = 0" + (" AND kind IN {kinds:Array(String)}" if kind else "")
        rows = await self._store.rows(
            "SELECT kind, value, alert_type, comment, toUnixTimestamp64Milli(created_at), created_by"
            f" FROM netscope_alert_exclusions FINAL WHERE {where} ORDER BY kind, value, alert_type",
            {"kinds": kinds},
        )
        return [Exclusion(k, v, t, c, datetime.fromtimestamp(ms / 1000, UTC), by) for k, v, t, c, ms, by in rows]

    async def find(self, ex: Exclusion) -> Exclusion | None:
        """The stored exclusion with the same kind, value and type, if any."""
        return next((e for e in await self.all(ex.kind) if e.key == ex.key), None)

    async def add(self, ex: Exclusion, principal: str) -> tuple[Exclusion, bool]:
        """Store ex unless it exists; returns the stored exclusion and whether it was created."""
        existing = await self.find(ex)
        if existing is not None:
            return existing, False
        now = datetime.now(UTC)
        row = [ex.kind, ex.value, ex.alert_type, ex.comment, now, principal, time.time_ns(), 0]
        await self._store.insert("netscope_alert_exclusions", [row], _COLUMNS)
        return Exclusion(ex.kind, ex.value, ex.alert_type, ex.comment, now, principal), True

    async def remove(self, ex: Exclusion) -> bool:
        """Delete ex; False when it did not exist."""
        existing = await self.find(ex)
        if existing is None:
            return False
        row = [ex.kind, ex.value, ex.alert_type, "", datetime.now(UTC), "", time.time_ns(), 1]
        await self._store.insert("netscope_alert_exclusions", [row], _COLUMNS)
        return True
