"""Stalls: the flows store (osmem-server, playing Elasticsearch, SIGSTOPped: queries hang inside the store),
and the flows service itself (SIGSTOPped: calls hang in the process).

Deadlines cut the calls with a message naming the flows service, /readyz fails naming it (NOT_SERVING when
the store stalls: the service's own health check notices; DEADLINE_EXCEEDED when the service itself hangs),
tools of the other services keep answering, and after SIGCONT everything recovers by itself (no restart).
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from mcp.types import CallToolResult
from osmem_server import OsmemServer

from netscope_flows.elastic.loader import load_ecs
from netscope_flows.elastic.transport import make_client
from netscope_flows.settings import FlowsSettings
from netscope_scenario.output import generate
from netscope_scenario.world import build_world
from tests.resilience.full_stack import GRPC_NAMES, FullStack, full_stack
from tests.support.stack import ADMIN_TOKEN, mcp_session

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
CALL_TIMEOUT = 3.0
TOP_K = ("get_flow_top_k", {"dimension": "src_ip", "metric": "bytes", "hours": 3, "k": 5})
OTHERS = [  # one tool per other service, and one the aggregator answers alone
    ("list_alert_exclusions", {}),
    ("list_snmp_devices", {}),
    ("get_collector_stats", {}),
    ("search_docs", {"query": "token roles"}),
]


async def _index(url: str, out: Path) -> int:
    generate(build_world(5, 2, None, 40), out, renderings=("ecs",))
    client = make_client(FlowsSettings(es_url=url, es_flavor="opensearch"))
    try:
        return await load_ecs(client, out)
    finally:
        await client.close()


@pytest.fixture(scope="module")
def osmem(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OsmemServer]:
    """osmem-server holding two hours of the scenario's flows as ECS documents."""
    with OsmemServer.start(japanese=False, startup_timeout=30) as server:
        assert asyncio.run(asyncio.wait_for(_index(server.url, tmp_path_factory.mktemp("ecs")), 120)) > 0
        yield server


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, osmem: OsmemServer) -> Iterator[FullStack]:
    flows = {
        "NETSCOPE_FLOWS_BACKEND": "elasticsearch",
        "NETSCOPE_FLOWS_ES_URL": osmem.url,
        "NETSCOPE_FLOWS_ES_FLAVOR": "opensearch",
        "NETSCOPE_FLOWS_ES_REQUEST_TIMEOUT_SECONDS": "20",  # longer than the call deadline: the deadline cuts
    }
    with full_stack(
        tmp_path_factory.mktemp("stall"), call_timeout_seconds=CALL_TIMEOUT, extra_env={"flows": flows}
    ) as running:
        yield running


def _text(result: CallToolResult) -> str:
    return " ".join(getattr(c, "text", "") for c in result.content)


def _flows_health(stack: FullStack) -> int:
    with grpc.insecure_channel(stack.target("flows")) as channel:
        request = health_pb2.HealthCheckRequest(service=GRPC_NAMES["flows"])
        return int(health_pb2_grpc.HealthStub(channel).Check(request, timeout=5).status)


async def _wait_health(stack: FullStack, status: int, timeout: float = 30) -> float:
    """Seconds until the flows service's own health check reports `status`."""
    started = time.monotonic()
    while (now := await asyncio.to_thread(_flows_health, stack)) != status:
        assert time.monotonic() - started < timeout, f"flows health still {now} after {timeout} s"
        await asyncio.sleep(0.2)
    return time.monotonic() - started


async def _readyz(stack: FullStack) -> tuple[int, dict[str, object]]:
    async with httpx.AsyncClient(timeout=10) as http:
        reply = await http.get(f"{stack.base_url}/readyz")
    return reply.status_code, reply.json()


async def test_stalled_store_is_cut_by_deadlines_and_recovers_alone(stack: FullStack, osmem: OsmemServer) -> None:
    assert (await _readyz(stack))[0] == 200
    async with mcp_session(stack.mcp_url, ADMIN_TOKEN) as session:
        before = await session.call_tool(*TOP_K)
        assert not before.is_error, before.content
        assert before.structured_content["entries"], before.structured_content
        osmem.process.send_signal(signal.SIGSTOP)
        try:
            for _ in range(3):
                started = time.monotonic()
                cut = await asyncio.wait_for(session.call_tool(*TOP_K), 30)
                assert time.monotonic() - started < CALL_TIMEOUT + 2, time.monotonic() - started
                assert cut.is_error
                text = " ".join(getattr(c, "text", "") for c in cut.content)
                assert f"the flows service did not answer within {CALL_TIMEOUT:g} s" in text, text
                for name, arguments in OTHERS:
                    other = await asyncio.wait_for(session.call_tool(name, arguments), 30)
                    assert not other.is_error, (name, other.content)
            to_not_serving = await _wait_health(stack, health_pb2.HealthCheckResponse.NOT_SERVING)
            status, body = await _readyz(stack)
            assert status == 503, body
            services = body["services"]
            assert isinstance(services, dict)
            # the flows service's own reason, from its health answer (full_stack checks every second)
            reason = "NOT_SERVING: health check did not finish within 1 s"
            assert services["flows"] == {**services["flows"], "serving": False, "reason": reason}
            assert all(services[name]["serving"] for name in ("alerts", "snmp", "live")), services
        finally:
            osmem.process.send_signal(signal.SIGCONT)
        resumed = time.monotonic()
        while True:
            result = await asyncio.wait_for(session.call_tool(*TOP_K), 30)
            if not result.is_error:
                break
            assert time.monotonic() - resumed < 30, result.content
            await asyncio.sleep(0.2)
        answered = time.monotonic() - resumed
        assert result.structured_content["entries"] == before.structured_content["entries"]
        to_serving = await _wait_health(stack, health_pb2.HealthCheckResponse.SERVING)
    assert (await _readyz(stack))[0] == 200
    assert all(p.popen.poll() is None for p in stack.processes.values())  # nothing was restarted
    print(
        f"\nstore stall: NOT_SERVING {to_not_serving:.1f} s after the first cut call; after SIGCONT, "
        f"tools answered in {answered:.1f} s and health was SERVING {to_serving:.1f} s later"
    )


async def test_hung_flows_is_cut_by_the_deadline_and_named_by_readyz(stack: FullStack) -> None:
    assert (await _readyz(stack))[0] == 200
    flows = stack.processes["flows"].popen
    async with mcp_session(stack.mcp_url, ADMIN_TOKEN) as session:
        assert not (await session.call_tool(*TOP_K)).is_error
        flows.send_signal(signal.SIGSTOP)
        try:
            for _ in range(3):
                started = time.monotonic()
                hung = await asyncio.wait_for(session.call_tool(*TOP_K), 30)
                elapsed = time.monotonic() - started
                assert hung.is_error
                assert elapsed < CALL_TIMEOUT + 1.5, elapsed
                assert f"the flows service did not answer within {CALL_TIMEOUT:g} s" in _text(hung)
                for name, arguments in OTHERS:
                    started = time.monotonic()
                    other = await asyncio.wait_for(session.call_tool(name, arguments), 30)
                    assert not other.is_error, (name, other.content)
                    assert time.monotonic() - started < 2, name
            started = time.monotonic()
            status, body = await _readyz(stack)
            assert time.monotonic() - started < CALL_TIMEOUT + 1
            assert status == 503, body
            services = body["services"]
            assert isinstance(services, dict)
            assert services["flows"]["serving"] is False
            assert "DEADLINE_EXCEEDED" in services["flows"]["reason"]
            assert all(services[name]["serving"] for name in ("alerts", "snmp", "live")), services
        finally:
            flows.send_signal(signal.SIGCONT)
        resumed = time.monotonic()
        while True:
            result = await session.call_tool(*TOP_K)
            if not result.is_error:
                break
            assert time.monotonic() - resumed < 5, _text(result)
            await asyncio.sleep(0.1)
    assert (await _readyz(stack))[0] == 200
    assert stack.processes["aggregator"].popen.poll() is None  # recovered without an aggregator restart


def test_the_flows_log_is_one_json_object_per_line(stack: FullStack) -> None:
    """What an operator's log pipeline reads during (and after) the faults above."""
    lines = [line for line in stack.processes["flows"].log().splitlines() if line.strip()]
    assert lines
    not_json = []
    for line in lines:
        try:
            json.loads(line)
        except ValueError:
            not_json.append(line)
    assert not not_json, not_json[:3]
