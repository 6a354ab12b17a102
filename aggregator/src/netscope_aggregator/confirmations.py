"""Two-step confirmation of write tools: a preview returns a short-lived id; the same call with it executes."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError

from netscope_common.logs import get_logger

audit_log = get_logger("netscope.audit")


class Confirmations:
    """Confirmation ids bound to (principal, tool, arguments), valid for `ttl_seconds`, usable once."""

    def __init__(self, ttl_seconds: float = 300.0, capacity: int = 10_000) -> None:
        self._ttl = ttl_seconds
        self._capacity = capacity
        self._pending: dict[str, tuple[str, float]] = {}

    @property
    def ttl_seconds(self) -> float:
        """How long a confirmation id stays valid."""
        return self._ttl

    @staticmethod
    def _fingerprint(principal: str, tool: str, arguments: dict[str, Any]) -> str:
        blob = json.dumps([principal, tool, arguments], sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()

    def issue(self, principal: str, tool: str, arguments: dict[str, Any]) -> str:
        """A new confirmation id for exactly this call."""
        now = time.monotonic()
        self._pending = {k: v for k, v in self._pending.items() if v[1] > now}
        if len(self._pending) >= self._capacity:
            raise ToolError("too many writes are awaiting confirmation; confirm or let them expire first")
        confirm_id = secrets.token_urlsafe(12)
        self._pending[confirm_id] = (self._fingerprint(principal, tool, arguments), now + self._ttl)
        return confirm_id

    def consume(self, confirm_id: str, principal: str, tool: str, arguments: dict[str, Any]) -> None:
        """Accept the id once for exactly the call it was issued for; ToolError otherwise."""
        entry = self._pending.pop(confirm_id, None)
        if entry is None or entry[1] < time.monotonic():
            raise ToolError(
                "confirm_id is unknown, used or expired; call the tool again without confirm_id to get a new preview"
            )
        if entry[0] != self._fingerprint(principal, tool, arguments):
            raise ToolError("confirm_id was issued for different arguments or another token; ask for a new preview")


def audit(principal: str, tool: str, arguments: dict[str, Any], outcome: str) -> None:
    """One audit line per executed or refused write."""
    audit_log.info("audit", principal=principal, tool=tool, arguments=arguments, outcome=outcome)
