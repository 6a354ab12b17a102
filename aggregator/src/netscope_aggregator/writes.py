"""The common path of every write tool: confirm (preview or elicitation), then execute and audit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from mcp.server.mcpserver import Context
from pydantic import BaseModel, Field

from netscope_aggregator.confirmations import Approval, Confirmations, approve, audit

ReplyT = TypeVar("ReplyT")


class WriteStatus(BaseModel):
    """Where a write stands: a preview awaiting confirmation, declined by the user, or done."""

    status: Literal["confirmation_required", "declined", "done"]
    preview: str
    confirm_id: str = ""
    expires_in_seconds: int = 0


class WriteAnswer(WriteStatus):
    """A write tool's answer; `result` says what was done."""

    result: dict[str, Any] = Field(default_factory=dict)


AnswerT = TypeVar("AnswerT", bound=WriteStatus)


@dataclass(frozen=True)
class Write:
    """One write a tool is asked to make.

    `arguments` is what a confirmation id is bound to; `audited` is what the audit line shows (both default to
    the same dict; tools with secrets pass a digest-bound form and a redacted one).
    """

    tool: str
    principal: str
    arguments: dict[str, Any]
    preview: str
    audited: dict[str, Any] | None = None

    async def gate(
        self,
        confirmations: Confirmations,
        ctx: Context[Any],
        confirm_id: str | None,
        answer: type[AnswerT],
        *,
        same_arguments: bool = False,
        **preview_fields: Any,
    ) -> AnswerT | None:
        """None when the write may go ahead; else the answer to give now (preview with confirm_id, or declined)."""
        decision = await approve(
            confirmations, ctx, self.principal, self.tool, self.arguments, self.preview, confirm_id
        )
        if decision is Approval.PREVIEW:
            again = "with the same arguments and confirm_id" if same_arguments else "with confirm_id"
            return answer(
                status="confirmation_required",
                preview=f"{self.preview}. Call {self.tool} again {again} to do it.",
                confirm_id=confirmations.issue(self.principal, self.tool, self.arguments),
                expires_in_seconds=int(confirmations.ttl_seconds),
                **preview_fields,
            )
        if decision is Approval.DECLINED:
            return answer(status="declined", preview=f"{self.preview}: not done, the user declined")
        return None

    async def execute(self, action: Awaitable[ReplyT], outcome: Callable[[ReplyT], str]) -> ReplyT:
        """Run the confirmed write; one audit line either way (the failure is re-raised for the caller)."""
        audited = self.audited if self.audited is not None else self.arguments
        try:
            reply = await action
        except Exception as exc:
            audit(self.principal, self.tool, audited, f"failed: {exc}")
            raise
        audit(self.principal, self.tool, audited, outcome(reply))
        return reply
