"""OpenTelemetry tracing: spans exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, nothing otherwise.

Off (the default) means no tracer provider, no gRPC interceptors and `span()` returning one shared no-op
context manager, so an untraced process pays a flag test per instrumented call and nothing else.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import grpc
from opentelemetry import trace
from opentelemetry.instrumentation.grpc import aio_client_interceptors, aio_server_interceptor, filters
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import Span, Status, StatusCode

STATEMENT_CHARS = 500  # of a store query's text kept on its span
ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
_UNTRACED = contextlib.nullcontext()
_state: dict[str, trace.Tracer] = {}


def tracing_enabled() -> bool:
    """Whether this process records spans."""
    return "tracer" in _state


def configure_tracing(service: str, processor: SpanProcessor | None = None) -> bool:
    """Record spans of `service` when an OTLP endpoint is configured (standard OTEL_* variables) or a processor
    is given (tests pass one over an in-memory exporter). Returns whether tracing is on."""
    if tracing_enabled():
        return True
    if processor is None:
        if not any(os.environ.get(name) for name in ENDPOINT_VARIABLES):
            return False
        processor = BatchSpanProcessor(_otlp_exporter())
    name = os.environ.get("OTEL_SERVICE_NAME") or f"netscope-{service}"
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
    provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    _state["tracer"] = trace.get_tracer("netscope")
    return True


def _otlp_exporter() -> SpanExporter:
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter  # only when exporting

    return OTLPSpanExporter()


def span(name: str, *, new_trace: bool = False, **attributes: Any) -> contextlib.AbstractContextManager[Span | None]:
    """A child span of the current one (attributes named `a_b` become `a.b`), or a no-op yielding None: when the
    process is untraced, or outside any trace unless `new_trace` (work that starts a trace of its own, such as a
    tool call or a scheduled poll, rather than housekeeping such as a health check's query)."""
    tracer = _state.get("tracer")
    if tracer is None or not (new_trace or trace.get_current_span().get_span_context().is_valid):
        return _UNTRACED
    return _recorded(tracer, name, attributes)


@contextlib.contextmanager
def _recorded(tracer: trace.Tracer, name: str, attributes: dict[str, Any]) -> Iterator[Span]:
    with tracer.start_as_current_span(
        name, attributes={key.replace("_", "."): value for key, value in attributes.items()}
    ) as current:
        yield current


def mark_failed(current: Span | None, reason: str) -> None:
    """Set an error status with a reason on a span from `span()` (nothing when untraced)."""
    if current is not None:
        current.set_status(Status(StatusCode.ERROR, reason))


def current_trace_id() -> str:
    """Hex id of the trace in progress, or '' (untraced, or outside any span)."""
    if not tracing_enabled():
        return ""
    context = trace.get_current_span().get_span_context()
    return trace.format_trace_id(context.trace_id) if context.is_valid else ""


def client_interceptors() -> list[grpc.aio.ClientInterceptor]:
    """Interceptors giving each outgoing RPC a client span and carrying the trace context; none when untraced."""
    if not tracing_enabled():
        return []
    return list(aio_client_interceptors(filter_=filters.negate(filters.health_check())))


def server_interceptors() -> list[grpc.aio.ServerInterceptor]:
    """An interceptor continuing the caller's trace in a server span per RPC (health and reflection excluded)."""
    if not tracing_enabled():
        return []
    skipped = filters.any_of(filters.health_check(), filters.service_prefix("grpc.reflection"))
    return [aio_server_interceptor(filter_=filters.negate(skipped))]
