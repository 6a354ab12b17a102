"""One span and the metrics of each MCP tool call: tool, token name (never the token), outcome, answer size."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent
from opentelemetry import trace
from opentelemetry.trace import Span
from prometheus_client import Counter, Histogram

from netscope_common.status import ProcessStatus
from netscope_common.tracing import mark_failed, span, tracing_enabled

TOOL_CALLS = Counter("netscope_tool_calls_total", "MCP tool calls by tool and outcome", ["tool", "outcome"])
TOOL_LATENCY = Histogram(
    "netscope_tool_latency_seconds",
    "MCP tool call latency, from the call reaching the catalog to its answer",
    ["tool"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
FANOUT_MISSING = Counter(
    "netscope_fanout_missing_parts_total", "parts of a fan-out answer that came back missing", ["tool", "part"]
)

TOOL_STATUS = ProcessStatus("aggregator")  # what `netscope status` shows of the aggregator's tool calls

_current_tool: contextvars.ContextVar[str] = contextvars.ContextVar("netscope_tool", default="")
HandlerT = TypeVar("HandlerT", bound=Callable[..., Awaitable[Any]])


def outcome_of(result: object) -> str:
    """ok, error (a tool error the caller reads) or input_required (a confirmation is pending)."""
    if isinstance(result, CallToolResult):
        return "error" if result.is_error else "ok"
    return "input_required"


def error_text(result: object) -> str:
    """The first text of a tool error."""
    if isinstance(result, CallToolResult):
        return next((item.text for item in result.content if isinstance(item, TextContent)), "")
    return ""


def answer_bytes(result: object) -> int:
    """Size of the text the caller receives."""
    if not isinstance(result, CallToolResult):
        return 0
    return sum(len(item.text.encode()) for item in result.content if isinstance(item, TextContent))


def _tool_span(tool: str, token: str) -> contextlib.AbstractContextManager[Span | None]:
    """The MCP SDK's `tools/call <tool>` span when it records one (it continues a trace the client sent in
    `_meta`), else a span of our own; either carries the tool and the token's name."""
    if not tracing_enabled():
        return span(tool)  # the shared no-op
    current = trace.get_current_span()
    if current.is_recording():
        current.set_attributes({"mcp.tool": tool, "netscope.token": token})
        return contextlib.nullcontext(current)
    return span(f"tools/call {tool}", new_trace=True, mcp_tool=tool, netscope_token=token)


def _annotate(current: Span | None, outcome: str, size: int | None = None) -> None:
    if current is not None:
        current.set_attribute("netscope.outcome", outcome)
        if size is not None:
            current.set_attribute("netscope.answer_bytes", size)


def traced_tool_call(
    identify: Callable[..., tuple[str, str]],
) -> Callable[[HandlerT], HandlerT]:
    """Decorate the server's tools/call handler: the call's span gets the token's name, the outcome and the
    answer's size, the tool metrics and the status count it.

    `identify(*handler_args)` gives (tool name, token name). A ToolError the handler raises is outcome `error`
    (the SDK answers it as a tool error), any other exception `exception`; both propagate.
    """

    def decorate(handler: HandlerT) -> HandlerT:
        @functools.wraps(handler)
        async def handle(*args: Any) -> Any:
            tool, token = identify(*args)
            marker = _current_tool.set(tool)
            started = time.perf_counter()
            outcome, error = "exception", ""
            try:
                with _tool_span(tool, token) as current:
                    try:
                        result = await handler(*args)
                    except ToolError as exc:
                        outcome, error = "error", str(exc)
                        _annotate(current, outcome)
                        raise
                    except Exception as exc:
                        error = f"{type(exc).__name__}: {exc}"
                        _annotate(current, outcome)
                        raise
                    outcome = outcome_of(result)
                    if outcome == "error":
                        error = error_text(result)
                    _annotate(current, outcome, answer_bytes(result))
                return result
            finally:
                _current_tool.reset(marker)
                failed = outcome in ("error", "exception")
                TOOL_STATUS.record(f"{tool}: {error.removeprefix(f'Error executing tool {tool}: ')}" if failed else "")
                TOOL_CALLS.labels(tool, outcome).inc()
                TOOL_LATENCY.labels(tool).observe(time.perf_counter() - started)

        return handle  # type: ignore[return-value]

    return decorate


def record_missing_part(part: str, reason: str) -> None:
    """Count a fan-out part that is missing from an answer and mark it on the tool call's span."""
    FANOUT_MISSING.labels(_current_tool.get() or "unknown", part).inc()
    with span(f"missing {part}", netscope_part=part, netscope_reason=reason) as current:
        mark_failed(current, reason)
