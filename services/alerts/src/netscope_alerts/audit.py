"""The audit trail: who wrote what, when, and how it ended."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from netscope_alerts.store import Store
from netscope_common.errors import ServiceError


@dataclass(frozen=True)
class AuditEntry:
    """One audited write."""

    time: datetime
    principal: str
    action: str
    target_json: str
    result: str


class AuditLog:
    """Appends to and reads the netscope_audit table."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def record(self, principal: str, action: str, target: dict[str, Any], result: str) -> None:
        """Append one entry."""
        row = [datetime.now(UTC), principal, action, json.dumps(target, sort_keys=True, default=str), result]
        await self._store.insert("netscope_audit", [row], ["time", "principal", "action", "target_json", "result"])

    @asynccontextmanager
    async def audited(self, principal: str, action: str, target: dict[str, Any]) -> AsyncIterator[None]:
        """Record the write's outcome: 'ok', or 'error: <message>' before re-raising."""
        try:
            yield
        except ServiceError as exc:
            await self.record(principal, action, target, f"error: {exc.message}")
            raise
        except Exception as exc:
            await self.record(principal, action, target, f"error: internal ({type(exc).__name__})")
            raise
        await self.record(principal, action, target, "ok")

    async def entries(
        self, start: datetime, end: datetime, *, principal: str = "", action: str = "", limit: int = 100
    ) -> tuple[list[AuditEntry], bool]:
        """Entries in [start, end), newest first, at most limit (and whether more exist)."""
        where = ["time >= {start:DateTime64(3, 'UTC')}", "time < {end:DateTime64(3, 'UTC')}"]
        params: dict[str, Any] = {"start": start, "end": end, "limit": limit + 1}
        if principal:
            where.append("principal = {principal:String}")
            params["principal"] = principal
        if action:
            where.append("action = {action:String}")
            params["action"] = action
        rows = await self._store.rows(
            "SELECT toUnixTimestamp64Milli(time), principal, action, target_json, result FROM netscope_audit"
            f" WHERE {' AND '.join(where)} ORDER BY time DESC LIMIT {{limit:UInt32}}",
            params,
        )
        entries = [AuditEntry(datetime.fromtimestamp(ms / 1000, UTC), p, a, t, r) for ms, p, a, t, r in rows[:limit]]
        return entries, len(rows) > limit
