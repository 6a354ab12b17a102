"""The kit's tracing: a shared no-op when off; when on, nested spans and trace ids on log lines.

The on-case runs in a child process: a tracer provider is set once per process.
"""

from __future__ import annotations

import json
import subprocess
import sys

from netscope_common import tracing

TRACED = """
import json, sys
import structlog
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from netscope_common import tracing
from netscope_common.logs import configure_logging

configure_logging("INFO", "json")
exported = InMemorySpanExporter()
assert tracing.configure_tracing("flows", SimpleSpanProcessor(exported))
assert tracing.client_interceptors() and tracing.server_interceptors()
with tracing.span("outside a trace") as none:
    assert none is None
with tracing.span("tools/call x", new_trace=True, netscope_token="reader") as root:
    with tracing.span("flows.store read", db_query_text="SELECT 1") as child:
        structlog.get_logger("t").info("inside")
        tracing.mark_failed(child, "store down")
spans = {s.name: s for s in exported.get_finished_spans()}
print(json.dumps({
    "names": sorted(spans),
    "parent_ok": spans["flows.store read"].parent.span_id == spans["tools/call x"].context.span_id,
    "token": spans["tools/call x"].attributes["netscope.token"],
    "statement": spans["flows.store read"].attributes["db.query.text"],
    "failed": spans["flows.store read"].status.description,
    "service": spans["tools/call x"].resource.attributes["service.name"],
    "trace_id": format(spans["tools/call x"].context.trace_id, "032x"),
}))
"""


def test_untraced_spans_are_one_shared_no_op() -> None:
    assert not tracing.tracing_enabled()
    first, second = tracing.span("a", new_trace=True), tracing.span("b", db_system="x")
    assert first is second
    with first as current:
        assert current is None
    tracing.mark_failed(None, "nothing happens")
    assert tracing.current_trace_id() == ""
    assert tracing.client_interceptors() == [] and tracing.server_interceptors() == []


def test_traced_spans_nest_carry_attributes_and_mark_log_lines() -> None:
    done = subprocess.run([sys.executable, "-c", TRACED], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["names"] == ["flows.store read", "tools/call x"]
    assert result["parent_ok"] and result["token"] == "reader" and result["statement"] == "SELECT 1"
    assert result["failed"] == "store down" and result["service"] == "netscope-flows"
    (line,) = [json.loads(line) for line in done.stderr.splitlines() if '"inside"' in line]
    assert line["trace_id"] == result["trace_id"]
