"""The MCP endpoint also at ntopng's path, `/lua/rest/v2/exec/llm/mcp.lua`, answering as ntopng's `mcp.lua` does.

A client configured for ntopng's embedded MCP (e.g. `claude mcp add-json ... {"url": "https://HOST/lua/rest/v2/exec/
llm/mcp.lua?ifid=0", "headers": {"Authorization": "Token ..."}}`) works with only the host changed:
- POST is the same MCP server as `/mcp/` (same tokens, roles, limits);
- a GET (not asking for an event stream) answers ntopng's server-info JSON
  `{server, protocol, authenticated_as, tools_available}`;
- no or a wrong token answers HTTP 401 with ntopng's JSON-RPC error (code -32001);
- `?ifid=N` becomes the interface of tools that take `ifid` when the call does not name one.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

from netscope_aggregator.auth import TokenRegistry, parse_authorization
from netscope_aggregator.catalog import Catalog

NTOPNG_MCP_PATH = "/lua/rest/v2/exec/llm/mcp.lua"
NTOPNG_PROTOCOL = "2025-03-26"
UNAUTHORIZED = -32001

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


async def _json(send: Send, status: int, payload: object) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def interface_hint(query_string: bytes) -> int | None:
    """The `ifid` of ntopng's `?ifid=N` query parameter, None when absent or not a non-negative integer."""
    values = parse_qs(query_string.decode("latin-1")).get("ifid", [])
    return int(values[0]) if values and values[0].isdigit() else None


class NtopngMcpPath:
    """Serves ntopng's MCP path in front of `inner` (the app whose `mcp_prefix` serves MCP)."""

    def __init__(self, inner: ASGIApp, registry: TokenRegistry, catalog: Catalog, *, mcp_prefix: str) -> None:
        self._inner = inner
        self._registry = registry
        self._catalog = catalog
        self._mcp_prefix = mcp_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope["path"]).rstrip("/") != NTOPNG_MCP_PATH:
            await self._inner(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        token = parse_authorization(headers.get("authorization", ""))
        principal = self._registry.authenticate(token) if token else None
        if principal is None:
            error = {
                "code": UNAUTHORIZED,
                "message": "Unauthorized: valid credentials required ('Authorization: Token <token>' or 'Bearer')",
            }
            await _json(send, 401, {"jsonrpc": "2.0", "id": None, "error": error})
            return
        if scope["method"] == "GET" and "text/event-stream" not in headers.get("accept", ""):
            await _json(
                send,
                200,
                {
                    "server": "ntopng-mcp",
                    "protocol": NTOPNG_PROTOCOL,
                    "authenticated_as": principal.name,
                    "tools_available": self._catalog.visible_count(principal),
                    "implementation": "netscope",
                },
            )
            return
        hint = interface_hint(scope.get("query_string", b""))
        forwarded = {**scope, "path": self._mcp_prefix + "/", "raw_path": (self._mcp_prefix + "/").encode()}
        if hint is not None:
            forwarded["state"] = {**scope.get("state", {}), "ifid": hint}
        await self._inner(forwarded, receive, send)
