"""The aggregator's HTTP application: MCP at /mcp, health, readiness and metrics."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from importlib.metadata import version

from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse
from mcp.server.transport_security import TransportSecuritySettings
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from netscope_aggregator import prompts, resources, status
from netscope_aggregator.auth import Principal, Role, TokenRegistry
from netscope_aggregator.backends import Backends
from netscope_aggregator.catalog import Catalog
from netscope_aggregator.confirmations import Confirmations
from netscope_aggregator.http_guard import ASGIApp, McpHttpGuard, RateLimiter, Receive, Scope, Send
from netscope_aggregator.ntopng_endpoint import NtopngMcpPath
from netscope_aggregator.sdk_adapter import NetscopeServer
from netscope_aggregator.settings import AggregatorSettings
from netscope_aggregator.tools import DOMAIN_MODULES, docs
from netscope_aggregator.tools.shared.content_style import ntopng_style

INSTRUCTIONS = (
    "netscope answers questions about a network from historical flows (ClickHouse/ntopng schema), alerts, "
    "SNMP devices and live traffic. Start with list_tables_ntopng_database / describe_table before writing SQL; "
    "prefer the purpose-built tools to raw SQL. Write tools ask for confirmation."
)


def build_catalog(settings: AggregatorSettings, backends: Backends) -> Catalog:
    """Every tool declared, in catalog order (search_docs last: it indexes the others' descriptions)."""
    catalog = Catalog(
        toolsets=settings.toolsets,
        read_only=settings.read_only,
        stdio_principal=Principal("stdio", Role.parse(settings.stdio_role)),
        prepare=ntopng_style,
    )
    secret = settings.confirm_secret.get_secret_value().encode()
    confirmations = Confirmations(secret or None, used_dir=settings.confirm_state_dir)
    for module in DOMAIN_MODULES:
        module.register(catalog, backends, confirmations)
    docs.register(catalog)
    return catalog


def build_mcp(settings: AggregatorSettings, backends: Backends) -> NetscopeServer:
    """The MCP server: the catalog's tools, the resources and the prompts."""
    mcp = NetscopeServer(
        build_catalog(settings, backends),
        max_answer_bytes=settings.max_answer_bytes,
        name="netscope",
        instructions=INSTRUCTIONS,
        version=version("netscope-aggregator"),
    )
    resources.register(mcp, backends)
    prompts.register(mcp)
    return mcp


def straight_to_session_manager(mcp: NetscopeServer, mcp_app: ASGIApp) -> ASGIApp:
    """/mcp/ handed to the SDK's session manager as the SDK app's one route does, without its router and error
    middleware per request (measured in benchmarks/aggregator_overhead.py); any other path goes through the app."""

    async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == scope["root_path"] + "/":
            await mcp.session_manager.handle_request(scope, receive, send)
        else:
            await mcp_app(scope, receive, send)

    return endpoint


def _split(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def build_app(settings: AggregatorSettings | None = None) -> FastAPI:
    """FastAPI app: /mcp (streamable HTTP, token auth; also at ntopng's MCP path), /healthz, /readyz, /metrics."""
    settings = settings or AggregatorSettings()
    registry = TokenRegistry.from_settings(settings)
    backends = Backends(settings)
    mcp = build_mcp(settings, backends)
    hosts = _split(settings.allowed_hosts)
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection="*" not in hosts,
        allowed_hosts=hosts,
        allowed_origins=_split(settings.allowed_origins),
    )
    mcp_app = mcp.streamable_http_app(
        streamable_http_path="/",
        stateless_http=settings.stateless_http,
        json_response=settings.json_response,
        transport_security=security,
        max_request_body_size=settings.max_body_bytes,
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with mcp.session_manager.run():
            yield
        await backends.close()

    app = FastAPI(title="netscope aggregator", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.mcp = mcp
    app.state.backends = backends

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        names = list(backends.targets)
        results = await asyncio.gather(*(backends.health(name) for name in names))
        services = {
            name: {"serving": ok, "target": backends.targets[name], **({"reason": why} if why else {})}
            for name, (ok, why) in zip(names, results, strict=True)
        }
        ready = all(ok for ok, _ in results)
        return JSONResponse({"ready": ready, "services": services}, status_code=200 if ready else 503)

    @app.get("/status")
    async def service_status() -> dict[str, object]:
        return await status.collect(backends)

    @app.get("/metrics")
    async def metrics() -> PlainTextResponse:
        await status.refresh_serving(backends)
        return PlainTextResponse(generate_latest().decode(), media_type=CONTENT_TYPE_LATEST)

    limiter = RateLimiter(settings.rate_limit_per_minute)
    guarded = McpHttpGuard(
        app,
        straight_to_session_manager(mcp, mcp_app),
        registry,
        prefix="/mcp",
        max_body_bytes=settings.max_body_bytes,
        limiter=limiter,
    )
    # ntopng's embedded MCP path, for clients configured for ntopng (ntopng_endpoint.py).
    app.state.guarded = NtopngMcpPath(guarded, registry, mcp.catalog, mcp_prefix="/mcp")
    return app
