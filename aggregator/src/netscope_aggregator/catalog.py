"""The MCP server with a tool catalog: toolsets, roles, read-only mode and per-request filtering."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.types import (
    CallToolRequestParams,
    CallToolResult,
    InputRequiredResult,
    ListToolsResult,
    PaginatedRequestParams,
    TextContent,
    ToolAnnotations,
)

from netscope_aggregator.arguments import check_arguments, make_strict
from netscope_aggregator.auth import Principal, Role

TOOLSETS = ("flows", "alerts", "snmp", "live", "analysis", "admin", "ntopng-compat")
TOOLSETS_HEADER = "x-mcp-toolsets"
READONLY_HEADER = "x-mcp-readonly"


@dataclass(frozen=True)
class ToolInfo:
    """Where a tool belongs and who may call it."""

    toolsets: tuple[str, ...]
    role: Role
    writes: bool


@dataclass(frozen=True)
class Access:
    """What the current caller may see and call."""

    principal: Principal
    toolsets: frozenset[str]
    read_only: bool


def _parse_toolsets(text: str) -> frozenset[str]:
    items = {t.strip().lower() for t in text.split(",") if t.strip()}
    return frozenset(TOOLSETS) if not items or "all" in items else frozenset(items & set(TOOLSETS))


class NetscopeMCP(MCPServer[Any]):
    """MCPServer whose tools/list and tools/call honour roles, toolsets and read-only mode."""

    def __init__(self, *, toolsets: str, read_only: bool, stdio_principal: Principal, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.catalog: dict[str, ToolInfo] = {}
        self._toolsets = _parse_toolsets(toolsets)
        self._read_only = read_only
        self._stdio_principal = stdio_principal

    def register(
        self,
        fn: Callable[..., Any],
        *,
        name: str,
        description: str,
        toolsets: tuple[str, ...],
        role: Role = Role.READ,
        writes: bool = False,
        destructive: bool = False,
        title: str | None = None,
    ) -> None:
        """Add one tool with its annotations and access rules."""
        unknown = set(toolsets) - set(TOOLSETS)
        if unknown:
            raise ValueError(f"tool {name}: unknown toolsets {sorted(unknown)}")
        self.add_tool(
            fn,
            name=name,
            title=title,
            description=description,
            annotations=ToolAnnotations(
                read_only_hint=not writes,
                destructive_hint=destructive,
                idempotent_hint=not writes,
                open_world_hint=False,
            ),
        )
        tool = self._tool_manager.get_tool(name)
        assert tool is not None
        make_strict(tool)
        self.catalog[name] = ToolInfo(toolsets=toolsets, role=role, writes=writes)

    def access_for(self, request: Any) -> Access:
        """The caller's principal and the toolsets/read-only mode in force for this request."""
        if request is None:
            return Access(self._stdio_principal, self._toolsets, self._read_only)
        principal: Principal = request.state.principal
        headers = request.headers
        toolsets = self._toolsets
        if headers.get(TOOLSETS_HEADER):
            toolsets = toolsets & _parse_toolsets(headers[TOOLSETS_HEADER])
        read_only = self._read_only or headers.get(READONLY_HEADER, "").lower() in ("1", "true", "yes")
        return Access(principal, toolsets, read_only)

    def refusal(self, name: str, access: Access) -> str | None:
        """Why this caller may not call this tool, or None when it may."""
        info = self.catalog.get(name)
        if info is None:
            return None  # unknown tools are reported by the SDK
        if not set(info.toolsets) & access.toolsets:
            return f"tool {name} is in toolset(s) {', '.join(info.toolsets)}, which are not enabled here"
        if info.writes and access.read_only:
            return f"tool {name} changes configuration and this server or request is read-only"
        if access.principal.role < info.role:
            return (
                f"permission denied: tool {name} needs role '{info.role.name.lower()}'; "
                f"token '{access.principal.name}' has role '{access.principal.role.name.lower()}'"
            )
        return None

    async def _handle_list_tools(
        self, ctx: ServerRequestContext[Any], params: PaginatedRequestParams | None
    ) -> ListToolsResult:
        access = self.access_for(ctx.request)
        tools = await self.list_tools()
        return ListToolsResult(tools=[t for t in tools if self.refusal(t.name, access) is None])

    async def _handle_call_tool(
        self, ctx: ServerRequestContext[Any], params: CallToolRequestParams
    ) -> CallToolResult | InputRequiredResult:
        reason = self.refusal(params.name, self.access_for(ctx.request))
        tool = self._tool_manager.get_tool(params.name)
        if not reason and tool is not None:
            reason = check_arguments(tool, params.arguments)
        if reason:
            return CallToolResult(content=[TextContent(type="text", text=reason)], is_error=True)
        return await super()._handle_call_tool(ctx, params)


def principal_of(ctx: Context[Any]) -> Principal:
    """The authenticated caller of the current tool call."""
    server = ctx.mcp_server
    assert isinstance(server, NetscopeMCP)
    return server.access_for(ctx.request_context.request).principal
