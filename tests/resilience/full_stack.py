"""All four services and the aggregator as real processes on free loopback ports, restartable one by one."""

from __future__ import annotations

import contextlib
import signal
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.processes import NETSCOPE, Process, free_port, start, wait_grpc_serving, wait_http_ok
from tests.support.stack import ADMIN_TOKEN, READ_TOKEN

START_TIMEOUT = 180  # seconds a service may take to report SERVING: imports and chdb are slow on a busy 2-core box
GRPC_NAMES = {
    "flows": "netscope.flows.v1.FlowsService",
    "alerts": "netscope.alerts.v1.AlertsService",
    "snmp": "netscope.snmp.v1.SnmpService",
    "live": "netscope.live.v1.LiveService",
}


@dataclass
class FullStack:
    """flows, alerts, snmp, live and an aggregator; each service keeps its data dir across restarts."""

    root: Path
    call_timeout_seconds: float
    envs: dict[str, dict[str, str]] = field(default_factory=dict)
    processes: dict[str, Process] = field(default_factory=dict)
    http_port: int = 0
    restarts: int = 0

    @property
    def base_url(self) -> str:
        """The aggregator's HTTP root."""
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def mcp_url(self) -> str:
        """The aggregator's MCP endpoint."""
        return f"{self.base_url}/mcp/"

    def target(self, service: str) -> str:
        """host:port of a service."""
        return f"127.0.0.1:{self.envs[service][f'NETSCOPE_{service.upper()}_PORT']}"

    def _start(self, service: str) -> Process:
        name = service if service not in self.processes else f"{service}-{self.restarts}"
        self.restarts += 1
        process = start(name, [*NETSCOPE, "serve", service], self.envs[service], self.root / "logs")
        self.processes[service] = process
        return process

    def kill(self, service: str) -> None:
        """SIGKILL a service and wait until it is gone (no graceful shutdown: a crash)."""
        assert self.processes[service].stop(signal.SIGKILL) == -signal.SIGKILL

    def start_again(self, service: str) -> None:
        """Start a stopped service with its settings and data; return once its health says SERVING."""
        assert self.processes[service].popen.poll() is not None, f"{service} is still running"
        wait_grpc_serving(
            self.target(service), GRPC_NAMES[service], timeout=START_TIMEOUT, process=self._start(service)
        )

    def restart(self, *services: str, sig: int = signal.SIGTERM) -> None:
        """Stop services with `sig`, then start them again (in parallel) with the same settings and data."""
        for service in services:
            self.processes[service].popen.send_signal(sig)
        for service in services:
            self.processes[service].stop(sig)
        started = [(service, self._start(service)) for service in services]
        for service, process in started:
            wait_grpc_serving(self.target(service), GRPC_NAMES[service], timeout=START_TIMEOUT, process=process)


def _envs(root: Path, flows_dsn: str) -> dict[str, dict[str, str]]:
    ports = {name: free_port() for name in GRPC_NAMES}
    return {
        "flows": {
            "NETSCOPE_FLOWS_PORT": str(ports["flows"]),
            "NETSCOPE_FLOWS_DSN": flows_dsn,
            "NETSCOPE_FLOWS_HEALTH_INTERVAL_SECONDS": "1",
        },
        "alerts": {
            "NETSCOPE_ALERTS_PORT": str(ports["alerts"]),
            "NETSCOPE_ALERTS_DSN": f"chdb://{root / 'alerts'}",
        },
        "snmp": {
            "NETSCOPE_SNMP_PORT": str(ports["snmp"]),
            "NETSCOPE_SNMP_STATE_PATH": str(root / "snmp-state.json"),
            "NETSCOPE_SNMP_TIMEOUT_SECONDS": "0.5",
            "NETSCOPE_SNMP_RETRIES": "0",
            "NETSCOPE_SNMP_POLL_ON_START": "false",
        },
        "live": {
            "NETSCOPE_LIVE_PORT": str(ports["live"]),
            "NETSCOPE_LIVE_COLLECTOR_PORT": str(free_port(socket.SOCK_DGRAM)),
            "NETSCOPE_LIVE_SETTINGS_DIR": str(root / "live-settings"),
        },
    }


@contextlib.contextmanager
def full_stack(
    root: Path,
    *,
    flows_dsn: str = "",
    call_timeout_seconds: float = 5,
    extra_env: dict[str, dict[str, str]] | None = None,
) -> Iterator[FullStack]:
    """Start everything (services in parallel), yield, then SIGTERM everything.

    `extra_env` adds or overrides settings per service, e.g. {"snmp": {"NETSCOPE_SNMP_INVENTORY_PATH": ...}}
    (key "aggregator" for the aggregator).
    """
    stack = FullStack(root, call_timeout_seconds, _envs(root, flows_dsn or f"chdb://{root / 'flows'}"))
    extra_env = extra_env or {}
    for service in GRPC_NAMES:
        stack.envs[service].update(extra_env.get(service, {}))
    stack.http_port = free_port()
    agg_env = {
        "NETSCOPE_AGGREGATOR_PORT": str(stack.http_port),
        "NETSCOPE_AGGREGATOR_TOKENS": f"reader:read:{READ_TOKEN},root:admin:{ADMIN_TOKEN}",
        "NETSCOPE_AGGREGATOR_CALL_TIMEOUT_SECONDS": f"{call_timeout_seconds:g}",
        **{f"NETSCOPE_AGGREGATOR_{name.upper()}_TARGET": stack.target(name) for name in GRPC_NAMES},
        **extra_env.get("aggregator", {}),
    }
    try:
        for service, process in [(service, stack._start(service)) for service in GRPC_NAMES]:
            wait_grpc_serving(stack.target(service), GRPC_NAMES[service], timeout=START_TIMEOUT, process=process)
        aggregator = start("aggregator", [*NETSCOPE, "serve", "aggregator"], agg_env, root / "logs")
        stack.processes["aggregator"] = aggregator
        wait_http_ok(f"{stack.base_url}/healthz", timeout=START_TIMEOUT, process=aggregator)
        yield stack
    finally:
        for process in stack.processes.values():
            if process.popen.poll() is None:
                process.popen.send_signal(signal.SIGCONT)  # a test may have left one stopped
            process.stop()
