"""One tool call is one trace across processes: the aggregator's tool span is the root, each service's RPC hangs
under it (client span, then the service's server span and its store queries), and a service that is down shows
as a failed client span plus a failed `missing <part>` span. Every process exports over OTLP to a receiver in
the test, as it would to a collector."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.resilience.full_stack import GRPC_NAMES, FullStack, full_stack
from tests.support.otlp import ReceivedSpan, SpanStore, otlp_receiver, render_tree
from tests.support.stack import mcp_session

pytestmark = pytest.mark.e2e
HOST = "10.1.2.42"
CLIENT, SERVER = 3, 2  # OTLP span kinds


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FullStack, SpanStore]]:
    """All services and the aggregator exporting spans to one receiver; flows logs at DEBUG (one line per RPC)."""
    with otlp_receiver() as (endpoint, store):
        tracing = {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_BSP_SCHEDULE_DELAY": "200"}
        extra = {name: dict(tracing) for name in (*GRPC_NAMES, "aggregator")}
        extra["flows"]["NETSCOPE_FLOWS_LOG_LEVEL"] = "DEBUG"
        with full_stack(tmp_path_factory.mktemp("traced"), extra_env=extra) as stack:
            yield stack, store


def _tool_trace(
    store: SpanStore, tool: str, *, after: int, services: set[str]
) -> tuple[ReceivedSpan, list[ReceivedSpan]]:
    """The root span of the first call of `tool` received after the first `after` spans, and its trace, once
    server spans of `services` arrived in it."""

    def root_of(spans: list[ReceivedSpan]) -> ReceivedSpan | None:
        return next((s for s in spans[after:] if s.name == f"tools/call {tool}"), None)

    def complete(spans: list[ReceivedSpan]) -> bool:
        root = root_of(spans)
        return root is not None and services <= {
            s.service for s in spans if s.trace_id == root.trace_id and s.kind == SERVER
        }

    spans = store.wait_for(complete)
    root = root_of(spans)
    assert root is not None
    return root, [s for s in spans if s.trace_id == root.trace_id]


def _children(spans: list[ReceivedSpan], parent: ReceivedSpan) -> list[ReceivedSpan]:
    return [s for s in spans if s.parent_id == parent.span_id]


async def test_investigate_host_is_one_trace_with_a_child_per_service(traced: tuple[FullStack, SpanStore]) -> None:
    stack, store = traced
    before = len(store.spans)
    async with mcp_session(stack.mcp_url) as session:
        answer = await session.call_tool("investigate_host", {"ip": HOST})
    assert not answer.is_error, answer.content
    root, spans = _tool_trace(
        store, "investigate_host", after=before, services={"netscope-flows", "netscope-alerts", "netscope-live"}
    )
    print(render_tree(spans, root))

    assert [s for s in spans if not s.parent_id] == [root]
    assert root.service == "netscope-aggregator"
    assert root.kind == SERVER and root.attributes["mcp.tool"] == "investigate_host"
    assert root.attributes["netscope.token"] == "reader"
    assert root.attributes["netscope.outcome"] == "ok"
    assert root.attributes["netscope.answer_bytes"] == len(answer.content[0].text.encode())
    clients = {s.name: s for s in _children(spans, root) if s.kind == CLIENT}
    assert set(clients) == {
        "/netscope.live.v1.LiveService/GetHost",
        "/netscope.flows.v1.FlowsService/InvestigateHost",
        "/netscope.alerts.v1.AlertsService/ListAlerts",
    }
    for client in clients.values():
        (server,) = _children(spans, client)
        assert server.kind == SERVER and server.name == client.name
    flows_server = _children(spans, clients["/netscope.flows.v1.FlowsService/InvestigateHost"])[0]
    assert flows_server.service == "netscope-flows"
    assert any(s.name == "flows.store read" for s in _children(spans, flows_server))
    alerts_server = _children(spans, clients["/netscope.alerts.v1.AlertsService/ListAlerts"])[0]
    assert any(s.name.startswith("alerts.store") for s in _children(spans, alerts_server))

    lines = [json.loads(line) for line in stack.processes["flows"].log().splitlines() if line.startswith("{")]
    assert any(line.get("trace_id") == root.trace_id for line in lines if line.get("event") == "rpc_ok")


async def test_a_service_that_is_down_is_marked_in_the_trace(traced: tuple[FullStack, SpanStore]) -> None:
    stack, store = traced
    stack.kill("live")
    before = len(store.spans)
    async with mcp_session(stack.mcp_url) as session:
        answer = await session.call_tool("investigate_host", {"ip": HOST})
    assert answer.structured_content["partial"] is True
    root, spans = _tool_trace(store, "investigate_host", after=before, services={"netscope-flows", "netscope-alerts"})
    print(render_tree(spans, root))

    assert [s for s in spans if not s.parent_id] == [root]
    children = {s.name: s for s in _children(spans, root)}
    live_call = children["/netscope.live.v1.LiveService/GetHost"]
    assert live_call.error and not _children(spans, live_call)  # no server span: nothing answered
    missing = children["missing live"]
    assert missing.error and "the live service is unavailable" in missing.status_message
    assert missing.attributes["netscope.part"] == "live"
    for name in ("/netscope.flows.v1.FlowsService/InvestigateHost", "/netscope.alerts.v1.AlertsService/ListAlerts"):
        assert not children[name].error and _children(spans, children[name])
    assert "missing history" not in children and "missing alerts" not in children
    metrics = httpx.get(f"{stack.base_url}/metrics", timeout=30).text
    assert 'netscope_fanout_missing_parts_total{part="live",tool="investigate_host"}' in metrics
    assert 'netscope_backend_serving{service="live"} 0.0' in metrics
