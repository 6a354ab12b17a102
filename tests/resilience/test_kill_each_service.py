"""Kill each service in turn (SIGKILL) under a steady load of mixed tool calls, keep it down, restart it.

Per service, while it is down: tools that do not need it keep answering; tools that need only it fail fast
with an error naming it; fan-out tools answer, naming the part it serves in `missing`; /readyz names it.
After the restart every tool answers again within 5 s of the service reporting SERVING, with the same
aggregator process, and every service still lists the configuration and state written before the first
kill (written_state.py: exclusions, policies, expected servers, audit, devices, monitors, flow rows).
The figures (printed, `pytest -s`) are recorded in docs/resilience.md.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from mcp.shared.exceptions import MCPError

from tests.resilience.full_stack import GRPC_NAMES, FullStack, full_stack
from tests.resilience.written_state import read_state, write_state
from tests.support.stack import ADMIN_TOKEN, mcp_session

pytestmark = [pytest.mark.integration, pytest.mark.timeout(420)]
DOWN_SECONDS = 10
RECOVERY_BOUND_SECONDS = 5
CALL_TIMEOUT = 5.0
CLIENTS = 2
PAUSE_SECONDS = 0.05  # between two calls of one client: a steady load, not a saturating one
HOST = "10.1.2.42"  # the seeded exfiltrating host

# tool, arguments, the one service it calls (None: answered by the aggregator alone)
SINGLE: list[tuple[str, dict[str, Any], str | None]] = [
    ("list_tables_ntopng_database", {}, "flows"),
    ("get_flow_top_k", {"dimension": "src_ip", "metric": "bytes", "hours": 2, "k": 5}, "flows"),
    ("list_alerts", {"limit": 5}, "alerts"),
    ("list_alert_exclusions", {}, "alerts"),
    ("list_snmp_devices", {}, "snmp"),
    ("get_collector_stats", {}, "live"),
    ("list_enabled_active_monitoring_scripts", {}, "live"),
    ("search_docs", {"query": "token roles"}, None),
]
# fan-out tool, arguments, {service: the parts of the answer it serves}
FANOUT: list[tuple[str, dict[str, Any], dict[str, list[str]]]] = [
    ("investigate_host", {"ip": HOST, "hours": 2}, {"live": ["live"], "flows": ["history"], "alerts": ["alerts"]}),
    ("get_asset_info", {"ip": HOST, "hours": 2}, {"live": ["live"], "flows": ["history"], "alerts": ["alert_stats"]}),
    (
        "network_health",
        {},
        {"snmp": ["devices", "busy_interfaces"], "alerts": ["alert_stats"], "live": ["collector"]},
    ),
    ("detect_bottlenecks", {"hours": 2}, {"snmp": ["snmp_interfaces"], "flows": ["flow_bottlenecks"]}),
]
CALLS = [(name, args) for name, args, _ in SINGLE] + [(name, args) for name, args, _ in FANOUT]
SINGLE_SERVICE = {name: service for name, _, service in SINGLE}
FANOUT_PARTS = {name: parts for name, _, parts in FANOUT}


@dataclass
class Call:
    """One tool call of the load: when, how long, and what came back."""

    tool: str
    started: float
    ended: float
    is_error: bool
    text: str
    missing: dict[str, str]

    @property
    def seconds(self) -> float:
        """Latency."""
        return self.ended - self.started


def _needs(tool: str, service: str) -> bool:
    return SINGLE_SERVICE.get(tool) == service or service in FANOUT_PARTS.get(tool, {})


def _names_outage(text: str, service: str) -> bool:
    """The text says that this service could not be reached (not a plain 'not found' from it)."""
    return f"the {service} service is unavailable" in text or f"the {service} service did not answer" in text


def _healthy(call: Call, service: str) -> bool:
    """The call answered and no part of it is missing because `service` was out."""
    if call.is_error:
        return False
    return not any(
        _names_outage(call.missing.get(part, ""), service) for part in FANOUT_PARTS.get(call.tool, {}).get(service, [])
    )


def _degraded(call: Call) -> bool:
    """An error, or a fan-out part missing because some service was unreachable or too slow."""
    return call.is_error or any(
        _names_outage(text, service) or "no answer within" in text
        for service in GRPC_NAMES
        for text in call.missing.values()
    )


async def _client(url: str, seed: int, calls: list[Call], stop: asyncio.Event) -> None:
    """One MCP session cycling through every tool in a shuffled order until `stop` is set."""
    order, rng = CALLS[:], random.Random(seed)
    async with mcp_session(url, ADMIN_TOKEN) as session:
        while not stop.is_set():
            rng.shuffle(order)
            for name, arguments in order:
                started = time.monotonic()
                try:
                    result = await asyncio.wait_for(session.call_tool(name, arguments), 30)
                    text = " ".join(getattr(c, "text", "") for c in result.content)
                    content = result.structured_content or {}
                    missing = content.get("missing", {}) if isinstance(content, dict) else {}
                    calls.append(Call(name, started, time.monotonic(), bool(result.is_error), text, missing))
                except (TimeoutError, MCPError) as exc:
                    calls.append(Call(name, started, time.monotonic(), True, f"{type(exc).__name__}: {exc}", {}))
                await asyncio.sleep(PAUSE_SECONDS)
                if stop.is_set():
                    return


async def _readyz(stack: FullStack) -> tuple[int, dict[str, Any]]:
    async with httpx.AsyncClient(timeout=10) as http:
        reply = await http.get(f"{stack.base_url}/readyz")
    return reply.status_code, reply.json()


@dataclass
class Outage:
    """What happened around one kill: the phase boundaries (monotonic seconds) and the calls made meanwhile."""

    service: str
    killed: float
    restarted: float
    serving: float
    ended: float
    ready_while_down: tuple[int, dict[str, Any]]
    calls: list[Call]

    def down(self) -> list[Call]:
        """Calls made entirely while the service was down."""
        return [c for c in self.calls if c.started >= self.killed and c.ended <= self.restarted]

    def recovery_seconds(self) -> float:
        """From SERVING until the last call that needed the service and was not answered in full."""
        bad = [
            c.ended
            for c in self.calls
            if c.ended > self.serving and _needs(c.tool, self.service) and not _healthy(c, self.service)
        ]
        return max(0.0, max(bad, default=self.serving) - self.serving)


async def _outage(stack: FullStack, service: str, calls: list[Call]) -> Outage:
    """SIGKILL a service, keep it down, start it again, and wait until every tool needing it answered in full."""
    first = len(calls)
    await asyncio.to_thread(stack.kill, service)
    killed = time.monotonic()
    await asyncio.sleep(DOWN_SECONDS / 2)
    ready = await _readyz(stack)
    await asyncio.sleep(killed + DOWN_SECONDS - time.monotonic())
    restarted = time.monotonic()
    await asyncio.to_thread(stack.start_again, service)
    serving = time.monotonic()
    needing = {name for name, _ in CALLS if _needs(name, service)}
    while time.monotonic() - serving < 30:
        healthy = {c.tool for c in calls[first:] if c.started >= serving and _healthy(c, service)}
        if healthy >= needing:
            break
        await asyncio.sleep(0.2)
    await asyncio.sleep(1)  # one more second of steady load after the recovery
    return Outage(service, killed, restarted, serving, time.monotonic(), ready, calls[first:])


def _check(outage: Outage) -> dict[str, Any]:
    """Assert the outage's promises; return its figures."""
    service, down = outage.service, outage.down()
    status, body = outage.ready_while_down
    assert status == 503 and body["services"][service]["serving"] is False, body
    assert all(body["services"][s]["serving"] for s in GRPC_NAMES if s != service), body
    single = [c for c in down if SINGLE_SERVICE.get(c.tool) == service]
    fanned = [c for c in down if service in FANOUT_PARTS.get(c.tool, {})]
    others = [c for c in outage.calls if not _needs(c.tool, service)]
    assert single and fanned and others, f"too few calls while {service} was down: {len(down)}"
    for call in single:
        assert call.is_error and _names_outage(call.text, service), (call.tool, call.text)
        assert call.seconds < CALL_TIMEOUT, (call.tool, call.seconds)
    for call in fanned:
        assert not call.is_error, (call.tool, call.text)
        for part in FANOUT_PARTS[call.tool][service]:
            assert _names_outage(call.missing.get(part, ""), service), (call.tool, part, call.missing)
    others_ok = sum(not _degraded(c) for c in others) / len(others)
    assert others_ok >= 0.99, [(c.tool, c.text[:120], c.missing) for c in others if _degraded(c)][:5]
    needing = {name for name, _ in CALLS if _needs(name, service)}
    after = [c for c in outage.calls if c.started >= outage.serving and _needs(c.tool, service)]
    recovered = {c.tool for c in after if _healthy(c, service)}
    assert recovered == needing, f"never answered in full after the restart: {sorted(needing - recovered)}"
    recovery = outage.recovery_seconds()
    assert recovery <= RECOVERY_BOUND_SECONDS, recovery
    failed_fast = [c.seconds for c in single]
    return {
        "service": service,
        "calls": len(outage.calls),
        "others": f"{others_ok:.2%} of {len(others)}",
        "needing_it_while_down": f"{len(single)} errors, {len(fanned)} partial",
        "error_latency_ms": f"p50 {statistics.median(failed_fast) * 1e3:.0f}, max {max(failed_fast) * 1e3:.0f}",
        "restart_to_serving_s": round(outage.serving - outage.restarted, 1),
        "serving_to_recovered_s": round(recovery, 2),
    }


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FullStack]:
    root = tmp_path_factory.mktemp("kill-each")
    dsn = f"chdb://{root / 'flows'}"
    subprocess.run([sys.executable, "-m", "tests.support.seed_flows", dsn], check=True, timeout=120)
    extra = {"aggregator": {"NETSCOPE_AGGREGATOR_RATE_LIMIT_PER_MINUTE": "1000000"}}  # one token for all clients
    with full_stack(root, flows_dsn=dsn, call_timeout_seconds=CALL_TIMEOUT, extra_env=extra) as running:
        yield running


async def test_each_service_killed_under_load(stack: FullStack) -> None:
    aggregator = stack.processes["aggregator"].popen
    written = await write_state(stack)
    states: dict[str, dict[str, Any]] = {}
    calls: list[Call] = []
    stop = asyncio.Event()
    clients = [asyncio.create_task(_client(stack.mcp_url, seed, calls, stop)) for seed in range(CLIENTS)]
    outages: list[Outage] = []
    try:
        await asyncio.sleep(3)  # steady state first
        assert not any(_degraded(c) for c in calls), [(c.tool, c.text[:200]) for c in calls if _degraded(c)][:5]
        for service in GRPC_NAMES:
            outages.append(await _outage(stack, service, calls))
            states[service] = await read_state(stack)
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*clients), 60)
    started = calls[0].started if calls else 0.0
    for outage in outages:  # the timeline first, so that a failed promise below comes with its context
        print(
            f"\n{outage.service}: killed at {outage.killed - started:.1f} s,"
            f" restarted +{outage.restarted - outage.killed:.1f} s, SERVING +{outage.serving - outage.restarted:.1f} s,"
            f" recovered +{outage.recovery_seconds():.2f} s, {len(outage.calls)} calls"
        )
    figures = [_check(outage) for outage in outages]
    print("\nkill-each-service figures:\n" + "\n".join(json.dumps(f) for f in figures))
    for service, state in states.items():
        assert state == written, f"state changed across the SIGKILL of {service}"
    assert aggregator.poll() is None and stack.processes["aggregator"].popen is aggregator  # never restarted
    assert (await _readyz(stack))[0] == 200
