"""The one module that touches the mcp SDK's server beyond its documented calls (checked against mcp 2.3.0).

What it uses, and why:
- `MCPServer(tools=..., middleware=...)`: public constructor arguments. The tools are built here from their
  functions (`Tool.from_function`) and made strict: their argument model forbids unknown arguments, which the SDK
  has no switch for, so `Tool.fn_metadata.arg_model` and `Tool.parameters` are replaced (SDK internals).
- A server middleware (public, documented as provisional in 2.x) filters tools/list by the caller's access.
- `MCPServer.call_tool` (public) is overridden: refuse a tool the caller may not call, attribute the call to the
  caller, turn the SDK's argument ValidationError (the one validation of a call) into a message naming what the tool
  takes, render the answer's text once, compact (`answer_cap.answer_text`, from the structured content; a wrapped
  return value, `Tool.fn_metadata.wrap_output`, is rendered unwrapped), and cap the answer in bytes. It is also
  where each call is traced and counted (`tracing.traced_tool_call`) and where a call the HTTP guard found over the
  rate limit is refused as a tool error.
tests/unit/aggregator/test_sdk_adapter.py fails loudly when any of these members changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult, InputRequiredResult, ToolAnnotations
from pydantic import BaseModel, ConfigDict, ValidationError

from netscope_aggregator.answer_cap import cap_answer, with_text
from netscope_aggregator.arguments import invalid_arguments_message
from netscope_aggregator.caller import acting_for
from netscope_aggregator.http_guard import rate_limit_refusal
from netscope_aggregator.tracing import traced_tool_call

if TYPE_CHECKING:
    from netscope_aggregator.catalog import Access, Catalog

SDK_VERSION_CHECKED = "2.3.0"


def strict_tool(
    fn: Callable[..., Any],
    *,
    name: str,
    title: str | None,
    description: str,
    annotations: ToolAnnotations,
    required_any: tuple[tuple[str, ...], ...] = (),
) -> Tool:
    """A tool whose argument model refuses arguments it does not declare (and whose input schema says so).
    `required_any` lists alternative sets of required arguments; the schema says `anyOf` of them."""
    tool = Tool.from_function(fn, name=name, title=title, description=description, annotations=annotations)
    loose = tool.fn_metadata.arg_model
    strict = cast(
        type[BaseModel],
        type(
            loose.__name__,
            (loose,),
            {"model_config": ConfigDict(**{**loose.model_config, "extra": "forbid"}), "__module__": loose.__module__},
        ),
    )
    tool.fn_metadata = tool.fn_metadata.model_copy(update={"arg_model": strict})
    tool.parameters = strict.model_json_schema(by_alias=True)
    if required_any:
        tool.parameters["anyOf"] = [{"required": list(names)} for names in required_any]
    return tool


def allowed_arguments(tool: Tool) -> list[str]:
    """The argument names a tool takes, as its input schema lists them."""
    return list(tool.parameters.get("properties", {}))


def check_arguments(tool: Tool, arguments: dict[str, Any] | None) -> str | None:
    """None when the arguments validate, else the message for the caller (for checks outside a call)."""
    try:
        tool.fn_metadata.validate_arguments(arguments or {})
    except ValidationError as error:
        return invalid_arguments_message(tool.name, allowed_arguments(tool), error)
    return None


def _request_of(context: Context[Any, Any] | None) -> Any:
    """The HTTP request of a tool call (None on stdio)."""
    return context.request_context.request if context is not None and context.request_context else None


def _with_interface_hint(tool: Tool | None, arguments: dict[str, Any], request: Any) -> dict[str, Any]:
    """The arguments with the `ifid` of ntopng's `?ifid=N` endpoint parameter when the tool takes one and the call
    names none (an `ifid` inside `content` still wins: the content layer merges it over the arguments)."""
    hint = getattr(request.state, "ifid", None) if request is not None else None
    if hint is None or tool is None or "ifid" not in tool.parameters.get("properties", {}) or "ifid" in arguments:
        return arguments
    return {**arguments, "ifid": hint}


class NetscopeServer(MCPServer[Any]):
    """MCPServer serving a catalog: tools/list and tools/call honour roles, toolsets and read-only mode."""

    def __init__(self, catalog: Catalog, *, max_answer_bytes: int, **kwargs: Any) -> None:
        self.catalog = catalog
        self.max_answer_bytes = max_answer_bytes
        super().__init__(tools=list(catalog.tools.values()), middleware=[self._visible_tools], **kwargs)

    def caller(self, context: Context[Any, Any] | None) -> Access:
        """Who is calling, and what they may see."""
        return self.catalog.access_for(_request_of(context))

    async def _visible_tools(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        """tools/list shows only the tools this request may call."""
        result = await call_next(ctx)
        if ctx.method != "tools/list" or not isinstance(result, dict):
            return result
        access = self.catalog.access_for(ctx.request)
        tools = [t for t in result.get("tools", []) if self.catalog.refusal(t["name"], access) is None]
        return {**result, "tools": tools}

    @traced_tool_call(lambda server, name, _, context=None: (name, server.caller(context).principal.name))
    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        """Refuse, or run the tool for its caller with arguments validated once, and cap the answer."""
        request = _request_of(context)
        access = self.catalog.access_for(request)
        reason = rate_limit_refusal(request) or self.catalog.refusal(name, access)
        if reason:
            raise ToolError(reason)
        arguments = _with_interface_hint(self.catalog.tools.get(name), arguments, request)
        with acting_for(access.principal):
            try:
                result = await super().call_tool(name, arguments, context)
            except ToolError as error:
                tool = self.catalog.tools.get(name)
                if tool is not None and isinstance(error.__cause__, ValidationError):
                    raise ToolError(invalid_arguments_message(name, allowed_arguments(tool), error.__cause__)) from None
                raise
        if not isinstance(result, CallToolResult):
            return result
        structured = result.structured_content
        if structured is not None:
            wrapped = self.catalog.tools[name].fn_metadata.wrap_output
            result = with_text(result, structured["result"] if wrapped else structured, structured)
        return cap_answer(result, self.max_answer_bytes)
