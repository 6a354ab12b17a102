"""ASGI middleware in front of /mcp: token auth, request body limit and per-principal rate limit."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from netscope_aggregator.auth import TokenRegistry, parse_authorization

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


async def _reply(send: Send, status: int, message: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"error": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            + (headers or []),
        }
    )
    await send({"type": "http.response.body", "body": body})


class RateLimiter:
    """A token bucket per principal: `per_minute` calls, refilled continuously."""

    def __init__(self, per_minute: int) -> None:
        self._rate = per_minute / 60.0
        self._capacity = float(per_minute)
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, key: str) -> bool:
        """Take one call from the bucket of `key`; False when it is empty."""
        now = time.monotonic()
        tokens, last = self._buckets.get(key, (self._capacity, now))
        tokens = min(self._capacity, tokens + (now - last) * self._rate)
        allowed = tokens >= 1.0
        self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
        return allowed


class McpHttpGuard:
    """Authenticates every request under `prefix` and bounds its size and rate."""

    def __init__(
        self,
        app: ASGIApp,
        mcp_app: ASGIApp,
        registry: TokenRegistry,
        *,
        prefix: str,
        max_body_bytes: int,
        limiter: RateLimiter,
    ) -> None:
        self._app = app
        self._mcp_app = mcp_app
        self._registry = registry
        self._prefix = prefix
        self._max_body = max_body_bytes
        self._limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope["path"]).startswith(self._prefix):
            await self._app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        token = parse_authorization(headers.get("authorization", ""))
        principal = self._registry.authenticate(token) if token else None
        if principal is None:
            await _reply(
                send,
                401,
                "missing or invalid token: send 'Authorization: Token <token>' or 'Bearer <token>'",
                [(b"www-authenticate", b'Bearer realm="netscope"')],
            )
            return
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_body:
            await _reply(send, 413, f"request body larger than {self._max_body} bytes")
            return
        if scope["method"] == "POST" and not self._limiter.allow(principal.name):
            await _reply(
                send,
                429,
                "rate limit reached for this token; retry in a few seconds",
                [(b"retry-after", b"5")],
            )
            return
        scope.setdefault("state", {})["principal"] = principal
        # Straight to the MCP app, as a mount at `prefix` would, without the web framework's middleware per call.
        scope["root_path"] = scope.get("root_path", "") + self._prefix
        await self._mcp_app(scope, self._bounded(receive), send)

    def _bounded(self, receive: Receive) -> Receive:
        seen = 0

        async def guarded() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self._max_body:
                    raise ValueError(f"request body larger than {self._max_body} bytes")
            return message

        return guarded
