"""ASGI middleware in front of /mcp: token auth, request body limit and per-principal rate limit."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter, Gauge

from netscope_aggregator.auth import TokenRegistry, parse_authorization

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

RATE_LIMIT = Gauge("netscope_rate_limit_per_minute", "tool calls allowed per token per minute")
RATE_LIMITED = Counter(
    "netscope_rate_limited_total",
    "requests over the per-token rate limit, by token name and how they were answered",
    ["token", "answer"],
)


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
        self.per_minute = per_minute
        self._rate = per_minute / 60.0
        self._capacity = float(per_minute)
        self._buckets: dict[str, tuple[float, float]] = {}
        RATE_LIMIT.set(per_minute)

    def take(self, key: str) -> float:
        """Take one call from the bucket of `key`: 0.0 when allowed, else the seconds until one is available."""
        now = time.monotonic()
        tokens, last = self._buckets.get(key, (self._capacity, now))
        tokens = min(self._capacity, tokens + (now - last) * self._rate)
        allowed = tokens >= 1.0
        self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
        return 0.0 if allowed else (1.0 - tokens) / self._rate


@dataclass(frozen=True)
class RateLimitNotice:
    """A tool call over the limit, passed on to the catalog to be answered as a tool error."""

    token: str
    per_minute: int
    retry_after_seconds: float

    def message(self) -> str:
        """What the caller reads: the limit, whose it is, and when to retry."""
        return (
            f"rate limit reached: token '{self.token}' may make {self.per_minute} calls per minute "
            f"(NETSCOPE_AGGREGATOR_RATE_LIMIT_PER_MINUTE); retry in {self.retry_after_seconds:.1f} s"
        )


def rate_limit_refusal(request: Any) -> str | None:
    """The tool error for a tool call the guard found over the rate limit, or None."""
    notice = None if request is None else request.scope.get("state", {}).get("rate_limit")
    return notice.message() if isinstance(notice, RateLimitNotice) else None


def _is_tool_call(body: bytes) -> bool:
    try:
        message = json.loads(body)
    except ValueError:
        return False
    return isinstance(message, dict) and message.get("method") == "tools/call"


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
        state = scope.setdefault("state", {})
        wait = self._limiter.take(principal.name) if scope["method"] == "POST" else 0.0
        if wait:
            notice = RateLimitNotice(principal.name, self._limiter.per_minute, wait)
            body = await self._read_body(receive)
            if body is None or not _is_tool_call(body):
                RATE_LIMITED.labels(principal.name, "http_429").inc()
                await _reply(send, 429, notice.message(), [(b"retry-after", str(math.ceil(wait)).encode())])
                return
            # A tool call: the catalog answers it with a tool error, which clients show instead of a broken session.
            RATE_LIMITED.labels(principal.name, "tool_error").inc()
            state["rate_limit"] = notice
            receive = _replay(body, receive)
        state["principal"] = principal
        # Straight to the MCP app, as a mount at `prefix` would, without the web framework's middleware per call.
        scope["root_path"] = scope.get("root_path", "") + self._prefix
        await self._mcp_app(scope, self._bounded(receive), send)

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The whole request body, or None when it is larger than allowed or the client went away."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return None
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self._max_body:
                return None
            if not message.get("more_body", False):
                return b"".join(chunks)

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


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands out an already read body once, then defers to the client's."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed
