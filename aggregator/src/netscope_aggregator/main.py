"""Entry points: the aggregator over streamable HTTP (`netscope serve aggregator`) or stdio."""

from __future__ import annotations

import contextlib
import gc
import os
import secrets
import signal
import socket
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import anyio
import uvicorn
from uvicorn.supervisors import Multiprocess

from netscope_aggregator.app import build_app, build_mcp
from netscope_aggregator.auth import TokenRegistry
from netscope_aggregator.backends import Backends
from netscope_aggregator.http_guard import ASGIApp
from netscope_aggregator.settings import AggregatorSettings
from netscope_common.logs import configure_logging, get_logger
from netscope_common.settings import load_settings
from netscope_common.tracing import configure_tracing

log = get_logger("netscope.aggregator")

ENV = "NETSCOPE_AGGREGATOR_"


class GracefulServer(uvicorn.Server):
    """uvicorn, but SIGTERM/SIGINT end in a clean exit (status 0) after the graceful shutdown.

    uvicorn re-raises the captured signal once it has shut down, which makes an orderly stop look like a
    kill to supervisors and to `docker stop`.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Handle SIGTERM/SIGINT by asking the server to exit, without re-raising them afterwards."""
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def ready_to_serve(app: ASGIApp) -> ASGIApp:
    """`app`, after moving every object made at start-up (catalog, schemas, imported modules) out of the garbage
    collector's sight: otherwise each collection a request's allocations trigger walks them all, which measured
    as most of the aggregator's CPU per call above the bare SDK's (docs/benchmarks.md)."""
    gc.collect()
    gc.freeze()
    return app


def worker_app() -> ASGIApp:
    """The app of one worker process (uvicorn's factory when workers > 1; settings from the environment)."""
    settings = load_settings(AggregatorSettings, "aggregator")
    configure_logging(settings.log_level, settings.log_format)
    configure_tracing("aggregator")  # each spawned worker exports its own spans
    return ready_to_serve(build_app(settings).state.guarded)


def _uvicorn_config(app: ASGIApp | str, settings: AggregatorSettings) -> uvicorn.Config:
    # The asyncio loop, not uvloop: with grpc.aio calls inside, uvloop measured ~1 ms slower per tool call.
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        lifespan="on",
        loop="asyncio",
        factory=isinstance(app, str),
        workers=settings.workers,
    )


def _without_nagle(sock: socket.socket) -> socket.socket:
    """TCP_NODELAY on the shared listening socket, inherited by the connections it accepts.

    uvicorn binds it as `socket(family)`, whose protocol number is 0, so asyncio does not set TCP_NODELAY on the
    accepted connections as it does on those of a socket it creates itself; an answer written in two sends then
    waits for the client's delayed ACK (measured: ~55 ms per call, docs/benchmarks.md).
    """
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _serve_workers(settings: AggregatorSettings) -> None:
    """`settings.workers` processes accepting on one socket; they share the confirmation secret and used ids."""
    if not settings.stateless_http:
        log.error(
            "workers_need_stateless_http",
            workers=settings.workers,
            hint=f"set {ENV}STATELESS_HTTP=true: an MCP session lives in one process, and the next request of a "
            "session may reach another worker",
        )
        sys.exit(2)
    with tempfile.TemporaryDirectory(prefix="netscope-confirmations-") as used_dir:
        if not settings.confirm_secret.get_secret_value():
            os.environ[f"{ENV}CONFIRM_SECRET"] = secrets.token_hex(32)  # spawned workers inherit the environment
        os.environ[f"{ENV}CONFIRM_STATE_DIR"] = str(Path(used_dir))
        config = _uvicorn_config("netscope_aggregator.main:worker_app", settings)
        log.info("aggregator", url=f"http://{settings.host}:{settings.port}/mcp/", workers=settings.workers)
        Multiprocess(config, sockets=[_without_nagle(config.bind_socket())]).run()


def main() -> None:
    """Serve MCP over streamable HTTP at http://HOST:PORT/mcp/ from one process or `workers` processes."""
    settings = load_settings(AggregatorSettings, "aggregator")
    configure_logging(settings.log_level, settings.log_format)
    configure_tracing("aggregator")
    try:
        tokens = TokenRegistry.from_settings(settings)
    except ValueError as exc:  # the messages name the variable or file and never a token
        sys.exit(f"invalid aggregator settings: {exc}")
    if not len(tokens):
        log.warning("no_tokens", hint=f"set {ENV}TOKENS=name:role:token; every /mcp call gets 401")
    if settings.workers > 1:
        _serve_workers(settings)
        return
    app = build_app(settings)
    log.info("aggregator", url=f"http://{settings.host}:{settings.port}/mcp/", services=app.state.backends.targets)
    GracefulServer(_uvicorn_config(ready_to_serve(app.state.guarded), settings)).run()


def stdio() -> None:
    """Serve MCP over stdio for desktop clients (logs go to stderr)."""
    settings = load_settings(AggregatorSettings, "aggregator")
    configure_logging(settings.log_level, settings.log_format)
    configure_tracing("aggregator")
    mcp = build_mcp(settings, Backends(settings))
    anyio.run(mcp.run_stdio_async)
