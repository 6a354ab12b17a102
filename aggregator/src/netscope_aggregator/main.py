"""Entry points: the aggregator over streamable HTTP (`netscope serve aggregator`) or stdio."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator

import anyio
import uvicorn

from netscope_aggregator.app import build_app, build_mcp
from netscope_aggregator.auth import TokenRegistry
from netscope_aggregator.backends import Backends
from netscope_aggregator.settings import AggregatorSettings
from netscope_common.logs import configure_logging, get_logger
from netscope_common.tracing import configure_tracing

log = get_logger("netscope.aggregator")


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


def main() -> None:
    """Serve MCP over streamable HTTP at http://HOST:PORT/mcp/."""
    settings = AggregatorSettings()
    configure_logging(settings.log_level, settings.log_format)
    configure_tracing("aggregator")
    if not len(TokenRegistry.from_settings(settings)):
        log.warning("no_tokens", hint="set NETSCOPE_AGGREGATOR_TOKENS=name:role:token; every /mcp call gets 401")
    app = build_app(settings)
    log.info("aggregator", url=f"http://{settings.host}:{settings.port}/mcp/", services=app.state.backends.targets)
    # The asyncio loop, not uvloop: with grpc.aio calls inside, uvloop measured ~1 ms slower per tool call.
    config = uvicorn.Config(
        app.state.guarded, host=settings.host, port=settings.port, log_level="warning", lifespan="on", loop="asyncio"
    )
    GracefulServer(config).run()


def stdio() -> None:
    """Serve MCP over stdio for desktop clients (logs go to stderr)."""
    settings = AggregatorSettings()
    configure_logging(settings.log_level, settings.log_format)
    configure_tracing("aggregator")
    mcp = build_mcp(settings, Backends(settings))
    anyio.run(mcp.run_stdio_async)
