"""The tool catalog: every tool's declaration (toolsets, role, write flag) and who may see and call it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver.tools import Tool
from mcp.types import ToolAnnotations

from netscope_aggregator.auth import Principal, Role
from netscope_aggregator.contracts import Rpc
from netscope_aggregator.sdk_adapter import strict_tool

TOOLSETS = ("flows", "alerts", "snmp", "live", "analysis", "admin", "ntopng-compat")
TOOLSETS_HEADER = "x-mcp-toolsets"
READONLY_HEADER = "x-mcp-readonly"


@dataclass(frozen=True)
class ToolInfo:
    """Where a tool belongs, who may call it and the RPCs it calls."""

    toolsets: tuple[str, ...]
    role: Role
    writes: bool
    rpcs: tuple[Rpc[Any, Any], ...] = ()


@dataclass(frozen=True)
class Declaration:
    """One tool, declared once: its handler (whose signature is the argument model and whose return type is the
    answer), what assistants see, who may call it and the RPCs it calls (`declare.unary`/`declare.composite`)."""

    handler: Callable[..., Any]
    name: str
    description: str
    toolsets: tuple[str, ...]
    rpcs: tuple[Rpc[Any, Any], ...]
    role: Role = Role.READ
    writes: bool = False
    destructive: bool = False
    # Alternative sets of required arguments, e.g. ((ip,), (content,)): the input schema's anyOf.
    required_any: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class Access:
    """What the current caller may see and call."""

    principal: Principal
    toolsets: frozenset[str]
    read_only: bool


def _parse_toolsets(text: str) -> frozenset[str]:
    items = {t.strip().lower() for t in text.split(",") if t.strip()}
    return frozenset(TOOLSETS) if not items or "all" in items else frozenset(items & set(TOOLSETS))


class Catalog:
    """The tools in catalog order, their access rules, and the access of a request."""

    def __init__(
        self,
        *,
        toolsets: str,
        read_only: bool,
        stdio_principal: Principal,
        prepare: Callable[[Declaration], Declaration] | None = None,
    ) -> None:
        """`prepare` adapts each declaration before it is added (the ntopng `content` call style)."""
        self._prepare = prepare or (lambda declaration: declaration)
        self.tools: dict[str, Tool] = {}
        self.info: dict[str, ToolInfo] = {}
        self._toolsets = _parse_toolsets(toolsets)
        self._read_only = read_only
        self._stdio_principal = stdio_principal

    def declare(self, *declarations: Declaration) -> None:
        """Add tools in catalog order, with their annotations and access rules."""
        for tool in map(self._prepare, declarations):
            unknown = set(tool.toolsets) - set(TOOLSETS)
            if unknown:
                raise ValueError(f"tool {tool.name}: unknown toolsets {sorted(unknown)}")
            if tool.name in self.tools:
                raise ValueError(f"tool {tool.name} is declared twice")
            annotations = ToolAnnotations(
                read_only_hint=not tool.writes,
                destructive_hint=tool.destructive,
                idempotent_hint=not tool.writes,
                open_world_hint=False,
            )
            self.tools[tool.name] = strict_tool(
                tool.handler,
                name=tool.name,
                title=None,
                description=tool.description,
                annotations=annotations,
                required_any=tool.required_any,
            )
            self.info[tool.name] = ToolInfo(tool.toolsets, tool.role, tool.writes, tool.rpcs)

    def access_for(self, request: Any) -> Access:
        """The caller's principal and the toolsets/read-only mode in force for this HTTP request (None: stdio)."""
        if request is None:
            return Access(self._stdio_principal, self._toolsets, self._read_only)
        principal: Principal = request.state.principal
        headers = request.headers
        toolsets = self._toolsets
        if headers.get(TOOLSETS_HEADER):
            toolsets = toolsets & _parse_toolsets(headers[TOOLSETS_HEADER])
        read_only = self._read_only or headers.get(READONLY_HEADER, "").lower() in ("1", "true", "yes")
        return Access(principal, toolsets, read_only)

    def visible_count(self, principal: Principal) -> int:
        """How many tools this principal may call under the server's toolsets and read-only mode."""
        access = Access(principal, self._toolsets, self._read_only)
        return sum(1 for name in self.tools if self.refusal(name, access) is None)

    def refusal(self, name: str, access: Access) -> str | None:
        """Why this caller may not call this tool, or None when it may."""
        info = self.info.get(name)
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
