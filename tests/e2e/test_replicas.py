"""Two aggregator replicas behind a round-robin balancer, as in Kubernetes: stateless HTTP lets any replica
answer any request, and a write previewed on one replica is confirmed on the other (shared confirm secret).
The same holds for the worker processes of one aggregator behind one port (NETSCOPE_AGGREGATOR_WORKERS)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx2
import pytest
from mcp import ClientSession, types
from mcp.client.streamable_http import streamable_http_client

from tests.e2e.conftest import ADMIN_TOKEN, load_store
from tests.support.processes import NETSCOPE, free_port, running, wait_grpc_serving, wait_http_ok

pytestmark = pytest.mark.e2e


class RoundRobin(httpx2.AsyncBaseTransport):
    """A load balancer in the client: each request goes to the next replica's port."""

    def __init__(self, ports: list[int]) -> None:
        self._ports = itertools.cycle(ports)
        self._inner = httpx2.AsyncHTTPTransport()
        self.used: list[int] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        port = next(self._ports)
        self.used.append(port)
        request.url = request.url.copy_with(port=port)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


@pytest.fixture(scope="module")
def alerts_target(run_dir: Path, world_dir: Path) -> Iterator[str]:
    """The alerts service the replicas and the workers call."""
    store = run_dir / "alerts-replicas"
    load_store(world_dir, store)
    alerts_port = free_port()
    alerts_env = {"NETSCOPE_ALERTS_DSN": f"chdb://{store}", "NETSCOPE_ALERTS_PORT": str(alerts_port)}
    with running("alerts-replicas", [*NETSCOPE, "serve", "alerts"], alerts_env, run_dir / "logs") as alerts:
        wait_grpc_serving(f"127.0.0.1:{alerts_port}", "netscope.alerts.v1.AlertsService", timeout=180, process=alerts)
        yield f"127.0.0.1:{alerts_port}"


@pytest.fixture(scope="module")
def replica_ports(run_dir: Path, alerts_target: str) -> Iterator[dict[str, list[int]]]:
    """Two stateless replicas and two stateful replicas; yields {'stateless': [..], 'stateful': [..]}."""
    logs = run_dir / "logs"
    ports = {"stateless": [free_port(), free_port()], "stateful": [free_port(), free_port()]}
    with contextlib.ExitStack() as stack:
        for mode, pair in ports.items():
            for index, port in enumerate(pair):
                env = {
                    "NETSCOPE_AGGREGATOR_PORT": str(port),
                    "NETSCOPE_AGGREGATOR_ALERTS_TARGET": alerts_target,
                    "NETSCOPE_AGGREGATOR_TOKENS": f"root:admin:{ADMIN_TOKEN}",
                    "NETSCOPE_AGGREGATOR_CONFIRM_SECRET": "shared-between-replicas-0123456789",
                    # As k8s/base/aggregator.yaml runs them.
                    "NETSCOPE_AGGREGATOR_STATELESS_HTTP": str(mode == "stateless").lower(),
                    "NETSCOPE_AGGREGATOR_JSON_RESPONSE": str(mode == "stateless").lower(),
                }
                process = stack.enter_context(
                    running(f"aggregator-{mode}-{index}", [*NETSCOPE, "serve", "aggregator"], env, logs)
                )
                wait_http_ok(f"http://127.0.0.1:{port}/healthz", timeout=180, process=process)
        yield ports


@contextlib.asynccontextmanager
async def balanced_session(ports: list[int], balancer: RoundRobin, **kwargs: object) -> AsyncIterator[ClientSession]:
    """An official MCP client session whose every HTTP request goes through the balancer."""
    http = httpx2.AsyncClient(transport=balancer, headers={"Authorization": f"Token {ADMIN_TOKEN}"}, timeout=30)
    async with (
        http,
        streamable_http_client(f"http://127.0.0.1:{ports[0]}/mcp/", http_client=http) as (read, write),
        ClientSession(read, write, **kwargs) as session,  # type: ignore[arg-type]
    ):
        await session.initialize()
        yield session


async def test_stateless_replicas_answer_any_request_and_confirm_each_others_writes(
    replica_ports: dict[str, list[int]],
) -> None:
    ports = replica_ports["stateless"]
    asked: list[str] = []

    async def answer(context: object, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params.message)
        return types.ElicitResult(action="accept", content={"confirm": True})

    balancer = RoundRobin(ports)
    async with balanced_session(ports, balancer, elicitation_callback=answer) as session:
        stats = await session.call_tool("get_ntopng_host_alert_stats", {})
        assert not stats.is_error, stats.content
        # No session to carry an elicitation: the write answers with a preview and a signed confirm_id ...
        preview = await session.call_tool("add_host_alert_exclusion", {"value": "10.6.6.6"})
        assert preview.structured_content["status"] == "confirmation_required", preview.content
        # ... which the other replica accepts, since both sign with the same secret.
        done = await session.call_tool(
            "add_host_alert_exclusion",
            {"value": "10.6.6.6", "confirm_id": preview.structured_content["confirm_id"]},
        )
        assert done.structured_content["status"] == "done", done.content
        listed = await session.call_tool("list_alert_exclusions", {})
    assert asked == []
    assert set(balancer.used) == set(ports)
    assert "10.6.6.6" in {e["value"] for e in listed.structured_content["result"]}


async def test_stateful_replicas_behind_a_balancer_lose_the_session(replica_ports: dict[str, list[int]]) -> None:
    """Why Kubernetes runs the aggregator stateless: a session opened on one replica is unknown to the other."""
    ports = replica_ports["stateful"]
    with pytest.raises(ExceptionGroup) as failure:
        async with balanced_session(ports, RoundRobin(ports)) as session:
            await session.call_tool("get_ntopng_host_alert_stats", {})
    assert failure.group_contains(Exception, match="Session not found", depth=None)


def _workers(pid: int) -> list[int]:
    """The worker processes of an aggregator (spawned children; not multiprocessing's resource tracker)."""
    children = [int(c) for task in Path(f"/proc/{pid}/task").iterdir() for c in (task / "children").read_text().split()]
    return [child for child in children if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _aggregator_env(port: int, alerts_target: str, **extra: str) -> dict[str, str]:
    return {
        "NETSCOPE_AGGREGATOR_PORT": str(port),
        "NETSCOPE_AGGREGATOR_ALERTS_TARGET": alerts_target,
        "NETSCOPE_AGGREGATOR_TOKENS": f"root:admin:{ADMIN_TOKEN}",
        "NETSCOPE_AGGREGATOR_WORKERS": "2",
        **extra,
    }


@pytest.fixture(scope="module")
def workers(run_dir: Path, alerts_target: str) -> Iterator[tuple[int, int]]:
    """One aggregator with two worker processes on one port (stateless, JSON answers, no confirm secret set);
    yields (port, pid of the parent)."""
    port = free_port()
    env = _aggregator_env(
        port, alerts_target, NETSCOPE_AGGREGATOR_STATELESS_HTTP="true", NETSCOPE_AGGREGATOR_JSON_RESPONSE="true"
    )
    with running("aggregator-workers", [*NETSCOPE, "serve", "aggregator"], env, run_dir / "logs") as process:
        wait_http_ok(f"http://127.0.0.1:{port}/healthz", timeout=180, process=process)
        yield port, process.popen.pid


@contextlib.asynccontextmanager
async def fresh_session(port: int) -> AsyncIterator[ClientSession]:
    """A session on its own connection, so that the kernel hands it to either worker."""
    async with balanced_session([port], RoundRobin([port])) as session:
        yield session


async def test_two_workers_on_one_port_share_the_calls(workers: tuple[int, int]) -> None:
    port, parent = workers
    for _ in range(600):  # both workers listen once started; wait for the second (bounded)
        if len(_workers(parent)) == 2:
            break
        await asyncio.sleep(0.2)
    children = _workers(parent)
    assert len(children) == 2
    before = {pid: _cpu_seconds(pid) for pid in children}
    grown: dict[int, float] = {}
    for _ in range(400):  # new connections until each worker has spent CPU on calls (bounded)
        async with fresh_session(port) as session:
            answer = await session.call_tool("get_ntopng_host_alert_stats", {})
        assert not answer.is_error, answer.content
        grown = {pid: _cpu_seconds(pid) - before[pid] for pid in children}
        if min(grown.values()) >= 0.3:
            break
    assert min(grown.values()) >= 0.3, grown


async def test_a_write_previewed_on_one_worker_is_confirmed_once_on_any(workers: tuple[int, int]) -> None:
    port, _ = workers
    for value in ("10.7.7.1", "10.7.7.2", "10.7.7.3", "10.7.7.4"):  # each step on its own connection
        async with fresh_session(port) as session:
            preview = await session.call_tool("add_host_alert_exclusion", {"value": value})
        assert preview.structured_content["status"] == "confirmation_required", preview.content
        confirmed = {"value": value, "confirm_id": preview.structured_content["confirm_id"]}
        async with fresh_session(port) as session:
            done = await session.call_tool("add_host_alert_exclusion", confirmed)
        assert done.structured_content["status"] == "done", done.content
        async with fresh_session(port) as session:
            replay = await session.call_tool("add_host_alert_exclusion", confirmed)
        assert replay.is_error and "used or expired" in replay.content[0].text


def test_workers_without_stateless_http_are_refused_with_the_setting_to_change(
    run_dir: Path, alerts_target: str
) -> None:
    env = _aggregator_env(free_port(), alerts_target)
    with running("aggregator-workers-stateful", [*NETSCOPE, "serve", "aggregator"], env, run_dir / "logs") as process:
        assert process.popen.wait(timeout=180) == 2
    assert "NETSCOPE_AGGREGATOR_STATELESS_HTTP=true" in process.log()
