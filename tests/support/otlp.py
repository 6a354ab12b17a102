"""An OTLP/gRPC trace receiver in the test process: the services export to it as to a collector, and it keeps
every span in memory (an in-memory exporter for spans that come from other processes)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass, field

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.trace.v1 import trace_pb2

from tests.support.processes import free_port


@dataclass(frozen=True)
class ReceivedSpan:
    """One span as exported, with the service that recorded it."""

    service: str
    name: str
    trace_id: str
    span_id: str
    parent_id: str
    kind: int
    error: bool
    status_message: str
    attributes: dict[str, object]


def _value(value: object) -> object:
    kind = value.WhichOneof("value")  # type: ignore[attr-defined]
    return getattr(value, kind) if kind else None


@dataclass
class SpanStore(trace_service_pb2_grpc.TraceServiceServicer):
    """Every span received, in arrival order."""

    spans: list[ReceivedSpan] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def Export(
        self, request: trace_service_pb2.ExportTraceServiceRequest, context: grpc.ServicerContext
    ) -> trace_service_pb2.ExportTraceServiceResponse:
        received = []
        for resource_spans in request.resource_spans:
            resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
            for scope in resource_spans.scope_spans:
                received += [
                    ReceivedSpan(
                        service=str(resource.get("service.name", "")),
                        name=s.name,
                        trace_id=s.trace_id.hex(),
                        span_id=s.span_id.hex(),
                        parent_id=s.parent_span_id.hex(),
                        kind=s.kind,
                        error=s.status.code == trace_pb2.Status.STATUS_CODE_ERROR,
                        status_message=s.status.message,
                        attributes={a.key: _value(a.value) for a in s.attributes},
                    )
                    for s in scope.spans
                ]
        with self.lock:
            self.spans += received
        return trace_service_pb2.ExportTraceServiceResponse()

    def wait_for(self, condition: Callable[[list[ReceivedSpan]], bool], timeout: float = 90) -> list[ReceivedSpan]:
        """The spans once `condition` holds for them (polling; processes export in batches)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                spans = list(self.spans)
            if condition(spans):
                return spans
            time.sleep(0.2)
        raise TimeoutError(f"spans never satisfied the condition; received: {[s.name for s in self.spans]}")


@contextlib.contextmanager
def otlp_receiver() -> Iterator[tuple[str, SpanStore]]:
    """A running receiver: (endpoint for OTEL_EXPORTER_OTLP_ENDPOINT, its span store)."""
    store = SpanStore()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(store, server)
    port = server.add_insecure_port(f"127.0.0.1:{free_port()}")
    server.start()
    try:
        yield f"http://127.0.0.1:{port}", store
    finally:
        server.stop(None)


def render_tree(spans: list[ReceivedSpan], root: ReceivedSpan) -> str:
    """The spans under `root` as an indented tree: name [service] and ERROR with its reason where failed."""
    children: dict[str, list[ReceivedSpan]] = {}
    for s in spans:
        children.setdefault(s.parent_id, []).append(s)
    lines: list[str] = []

    def walk(s: ReceivedSpan, depth: int) -> None:
        mark = f"  ERROR: {s.status_message}" if s.error else ""
        lines.append(f"{'  ' * depth}{s.name} [{s.service}]{mark}")
        for child in sorted(children.get(s.span_id, []), key=lambda c: (c.service, c.name)):
            walk(child, depth + 1)

    walk(root, 0)
    return "\n".join(lines)
