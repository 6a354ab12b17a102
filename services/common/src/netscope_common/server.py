"""gRPC server bootstrap: health, reflection, interceptors, metrics and graceful shutdown in one call."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from netscope_common.interceptors import ServerInterceptor
from netscope_common.logs import configure_logging, get_logger
from netscope_common.metrics import start_metrics_server
from netscope_common.readiness import Readiness, ReasonedHealthServicer, start_with_retries
from netscope_common.settings import ServiceSettings
from netscope_common.tracing import configure_tracing, server_interceptors

log = get_logger("netscope.server")

HealthCheck = Callable[[], Awaitable[None]]
Hook = Callable[[], Awaitable[None]]
Registration = tuple[Callable[[Any, grpc.aio.Server], None], Any, str]


@dataclass
class ServiceSpec:
    """Everything the kit needs to run one service.

    servicers: (add_XServicer_to_server, servicer instance, full service name) triples.
    health_check: raises when the backend cannot serve; the service is SERVING only while it passes.
    startup: runs once the server listens, retried with backoff until it succeeds; until then health is
      NOT_SERVING and RPCs answer UNAVAILABLE "<name> is starting: <starting>" (or the last failure).
    detail: how the service serves when that is less than its whole job (e.g. reads only, no writer user);
      sent with every health answer, so `netscope status` shows it beside SERVING.
    """

    name: str
    settings: ServiceSettings
    servicers: Sequence[Registration]
    health_check: HealthCheck
    startup: Hook | None = None
    shutdown: Hook | None = None
    default_deadline_seconds: float = 60.0
    options: list[tuple[str, Any]] = field(default_factory=list)
    starting: str = "starting up"
    detail: Callable[[], str] | None = None


SHUTDOWN_MARGIN_SECONDS = 10.0  # beyond the in-flight grace, for the service's own shutdown hook


async def _set_all(servicer: ReasonedHealthServicer, names: Sequence[str], status: int, reason: str) -> None:
    servicer.reason = reason
    for name in names:
        await servicer.set(name, status)


async def _watch_health(
    spec: ServiceSpec, servicer: ReasonedHealthServicer, readiness: Readiness, stop: asyncio.Event
) -> None:
    """Start the service (retrying), then keep the health status in step with the backend until stop is set."""
    names = ["", *(name for _, _, name in spec.servicers)]
    not_serving = health_pb2.HealthCheckResponse.NOT_SERVING
    if spec.startup:

        async def failed(reason: str) -> None:
            await _set_all(servicer, names, not_serving, f"{spec.name} is starting: {reason}")

        await start_with_retries(spec.startup, readiness, stop, failed)
        if not readiness.ready:  # stopped before the startup succeeded
            return
    readiness.ready, readiness.reason = True, ""
    log.info("started", service=spec.name)
    last: int | None = None
    while not stop.is_set():
        limit = max(1.0, spec.settings.health_interval_seconds)
        try:
            async with asyncio.timeout(limit):
                await spec.health_check()
            status, error = health_pb2.HealthCheckResponse.SERVING, ""
        except TimeoutError:
            error = f"health check did not finish within {limit:g} s"
            status = not_serving
        except Exception as exc:
            status, error = not_serving, str(exc) or type(exc).__name__
        if status != last:
            log.info("health", service=spec.name, serving=status == health_pb2.HealthCheckResponse.SERVING, error=error)
            await _set_all(servicer, names, status, error)
            last = status
        elif error:
            servicer.reason = error
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), spec.settings.health_interval_seconds)


async def _shut_down(spec: ServiceSpec, readiness: Readiness) -> None:
    """Run the shutdown hook; after a startup that never succeeded, its failure is logged, not raised."""
    assert spec.shutdown is not None
    try:
        await spec.shutdown()
    except Exception as exc:
        if readiness.ready:
            raise
        log.warning("shutdown_after_failed_startup", service=spec.name, error=str(exc) or type(exc).__name__)


def _listen(server: grpc.aio.Server, spec: ServiceSpec) -> int:
    """Bind the gRPC port and the metrics port; one line naming the setting when either cannot be bound."""
    settings = spec.settings
    prefix = str(type(settings).model_config.get("env_prefix", ""))
    address = f"{settings.host}:{settings.port}"
    try:
        port = server.add_insecure_port(address)
    except RuntimeError:
        raise SystemExit(
            f"cannot start the {spec.name} service: cannot listen on {address} (the port is in use, or the host is "
            f"not an address of this machine); set {prefix}PORT or {prefix}HOST"
        ) from None
    try:
        start_metrics_server(settings.metrics_port, settings.host)
    except OSError as exc:
        raise SystemExit(
            f"cannot start the {spec.name} service: cannot serve metrics on {settings.host}:{settings.metrics_port} "
            f"({exc.strerror}); set {prefix}METRICS_PORT"
        ) from None
    return port


async def serve(spec: ServiceSpec, stop: asyncio.Event | None = None) -> None:
    """Run the service until SIGTERM/SIGINT (or until `stop` is set), then shut down gracefully."""
    settings = spec.settings
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    readiness = Readiness(spec.name, spec.starting)
    server = grpc.aio.server(
        interceptors=[
            *server_interceptors(),
            ServerInterceptor(spec.name, spec.default_deadline_seconds, readiness, spec.detail),
        ],
        options=[
            ("grpc.max_receive_message_length", settings.max_message_bytes),
            ("grpc.max_send_message_length", settings.max_message_bytes),
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.http2.min_recv_ping_interval_without_data_ms", 10_000),
            *spec.options,
        ],
    )
    for add, servicer, _ in spec.servicers:
        add(servicer, server)
    health_servicer = ReasonedHealthServicer()
    names = ["", *(name for _, _, name in spec.servicers)]
    await _set_all(
        health_servicer, names, health_pb2.HealthCheckResponse.NOT_SERVING, f"{spec.name} is starting: {spec.starting}"
    )
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        [name for _, _, name in spec.servicers] + [health.SERVICE_NAME, reflection.SERVICE_NAME], server
    )
    port = _listen(server, spec)
    await server.start()
    log.info("listening", service=spec.name, address=f"{settings.host}:{port}", metrics_port=settings.metrics_port)
    watcher = asyncio.create_task(_watch_health(spec, health_servicer, readiness, stop))
    try:
        await stop.wait()
    finally:
        log.info("stopping", service=spec.name, grace_seconds=settings.grace_seconds)
        limit = settings.grace_seconds + SHUTDOWN_MARGIN_SECONDS
        try:
            async with asyncio.timeout(limit):
                health_servicer.reason = f"{spec.name} is stopping"
                await health_servicer.enter_graceful_shutdown()
                await server.stop(settings.grace_seconds)
                watcher.cancel()  # also cancels a startup still under way
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
                if spec.shutdown:
                    await _shut_down(spec, readiness)
        except TimeoutError:
            # A stuck shutdown must not leave a process that never exits (an orphan, or a pod until SIGKILL).
            log.error("shutdown_stuck", service=spec.name, seconds=limit)
            logging.shutdown()
            os._exit(1)
        log.info("stopped", service=spec.name)


def run(spec: ServiceSpec) -> None:
    """Configure logging and run the service in a fresh event loop (blocks until shutdown)."""
    configure_logging(spec.settings.log_level, spec.settings.log_format)
    configure_tracing(spec.name)
    asyncio.run(serve(spec))
