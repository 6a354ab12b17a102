"""Two-step confirmation of write tools: a preview returns a short-lived id; the same call with it executes."""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
import os
import secrets
import time
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ClientCapabilities, ElicitationCapability
from pydantic import BaseModel, Field

from netscope_common.logs import get_logger

audit_log = get_logger("netscope.audit")


class Approval(enum.Enum):
    """What a write tool does next."""

    PROCEED = "proceed"  # confirmed: execute the write
    PREVIEW = "preview"  # answer with a preview and a confirm_id (two-step confirmation)
    DECLINED = "declined"  # the user said no through elicitation


class ConfirmChange(BaseModel):
    """The elicitation form of a write: one yes/no field."""

    confirm: bool = Field(description="Apply this change?")


def can_elicit(ctx: Context[Any]) -> bool:
    """Whether the calling client declared form elicitation and this request's channel can carry it.

    stdio and stateful HTTP sessions with SSE answers can; stateless HTTP and JSON answers cannot.
    """
    try:
        session = ctx.request_context.session
    except ValueError:
        return False
    return session.can_send_request and session.check_client_capability(
        ClientCapabilities(elicitation=ElicitationCapability())
    )


class Confirmations:
    """Signed confirmation ids: valid for `ttl_seconds`, bound to (principal, tool, arguments), used once.

    An id is `<expiry>.<nonce>.<HMAC-SHA256 of principal, tool, arguments, expiry, nonce>`, so any aggregator replica
    sharing the secret (NETSCOPE_AGGREGATOR_CONFIRM_SECRET) accepts it; replicas also remember the ids they
    consumed until they expire, so a replayed id is refused by the replica that saw it. The worker processes of
    one aggregator share `used_dir`: an id is consumed by creating its file there (atomic, O_EXCL), so a replay is
    refused by every worker.
    """

    def __init__(self, secret: bytes | None = None, ttl_seconds: float = 300.0, used_dir: Path | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)
        self._ttl = ttl_seconds
        self._used: dict[str, float] = {}
        self._used_dir = used_dir

    @property
    def ttl_seconds(self) -> float:
        """How long a confirmation id stays valid."""
        return self._ttl

    def _signature(self, principal: str, tool: str, arguments: dict[str, Any], stamp: str) -> str:
        blob = json.dumps([principal, tool, arguments, stamp], sort_keys=True, default=str).encode()
        return hmac.new(self._secret, blob, hashlib.sha256).hexdigest()[:32]

    def issue(self, principal: str, tool: str, arguments: dict[str, Any]) -> str:
        """A confirmation id for exactly this call."""
        stamp = f"{int(time.time() + self._ttl)}.{secrets.token_hex(4)}"  # expiry and a nonce: every id is new
        return f"{stamp}.{self._signature(principal, tool, arguments, stamp)}"

    def consume(self, confirm_id: str, principal: str, tool: str, arguments: dict[str, Any]) -> None:
        """Accept the id once for exactly the call it was issued for; ToolError otherwise."""
        now = time.time()
        self._used = {k: v for k, v in self._used.items() if v > now}
        expiry_text, _, rest = confirm_id.partition(".")
        nonce, _, signature = rest.partition(".")
        if not expiry_text.isdigit() or int(expiry_text) < now or confirm_id in self._used:
            raise ToolError(
                "confirm_id is unknown, used or expired; call the tool again without confirm_id to get a new preview"
            )
        expected = self._signature(principal, tool, arguments, f"{expiry_text}.{nonce}")
        if not hmac.compare_digest(signature, expected):
            raise ToolError("confirm_id was issued for different arguments or another token; ask for a new preview")
        if self._used_dir is not None and not self._claim(self._used_dir, confirm_id, now):
            raise ToolError(
                "confirm_id is unknown, used or expired; call the tool again without confirm_id to get a new preview"
            )
        self._used[confirm_id] = float(expiry_text)

    @staticmethod
    def _claim(used_dir: Path, confirm_id: str, now: float) -> bool:
        """Record a (signature-checked) id as used by every worker; False when another worker already did."""
        for entry in used_dir.iterdir():
            if int(entry.name.partition(".")[0]) < now:
                entry.unlink(missing_ok=True)
        try:
            os.close(os.open(used_dir / confirm_id, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:
            return False
        return True


async def approve(
    confirmations: Confirmations,
    ctx: Context[Any],
    principal: str,
    tool: str,
    arguments: dict[str, Any],
    preview: str,
    confirm_id: str | None,
) -> Approval:
    """Decide a write: a valid confirm_id proceeds; else ask through elicitation when the client can;
    else the tool answers with a preview and a confirm_id."""
    if confirm_id:
        confirmations.consume(confirm_id, principal, tool, arguments)
        return Approval.PROCEED
    if can_elicit(ctx):
        answer = await ctx.elicit(f"{preview}. Apply this change?", ConfirmChange)
        if answer.action == "accept" and answer.data.confirm:
            return Approval.PROCEED
        audit(principal, tool, arguments, f"declined by the user ({answer.action})")
        return Approval.DECLINED
    return Approval.PREVIEW


def audit(principal: str, tool: str, arguments: dict[str, Any], outcome: str) -> None:
    """One audit line per executed or refused write."""
    audit_log.info("audit", principal=principal, tool=tool, arguments=arguments, outcome=outcome)
