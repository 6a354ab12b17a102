"""Time from `netscope serve <service>` to SERVING, for every service, with and without compiled bytecode.

Each service starts as a real process (`python -m netscope_common serve <name>`) on free loopback ports with
an empty data directory; the clock runs from the spawn until the gRPC health check of the service's name
answers SERVING (the aggregator: until /healthz answers 200). "listening" is the first health answer of any
kind (the server listens before its store is open; until then health is NOT_SERVING with a reason).

"compiled" uses the .pyc files the setup script and the image write at install; "no bytecode" points
PYTHONPYCACHEPREFIX at an empty directory so every module is compiled from source, as on a machine where the
install did not compile and the process may not write .pyc files (PYTHONDONTWRITEBYTECODE=1).
The 1-minute load average is printed with every figure: "idle" figures need a load below ~0.5 on the cores.

Run: uv run python -m benchmarks.startup [--runs 3] [--services flows,alerts,snmp,live,aggregator]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import tempfile
import time
from pathlib import Path

import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.support.processes import NETSCOPE, Process, free_port, start

SERVICES = ("flows", "alerts", "snmp", "live", "aggregator")
GRPC_NAMES = {
    "flows": "netscope.flows.v1.FlowsService",
    "alerts": "netscope.alerts.v1.AlertsService",
    "snmp": "netscope.snmp.v1.SnmpService",
    "live": "netscope.live.v1.LiveService",
}
LIMIT_SECONDS = 120.0


def _env(service: str, root: Path, port: int) -> dict[str, str]:
    prefix = f"NETSCOPE_{service.upper()}_"
    env = {f"{prefix}PORT": str(port), f"{prefix}HEALTH_INTERVAL_SECONDS": "1"}
    if service == "flows":
        env[f"{prefix}DSN"] = f"chdb://{root / 'flows'}"
    elif service == "alerts":
        env[f"{prefix}DSN"] = f"chdb://{root / 'alerts'}"
    elif service == "snmp":
        env[f"{prefix}STATE_PATH"] = str(root / "snmp-state.json")
    elif service == "live":
        env[f"{prefix}COLLECTOR_PORT"] = str(free_port(socket.SOCK_DGRAM))
        env[f"{prefix}SETTINGS_DIR"] = str(root / "live-settings")
    return env


def _grpc_times(process: Process, target: str, name: str, spawned: float) -> tuple[float, float]:
    """Seconds to the first health answer and to SERVING."""
    listening = 0.0
    with grpc.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() - spawned < LIMIT_SECONDS:
            if process.popen.poll() is not None:
                raise RuntimeError(f"{process.name} exited:\n{process.log()[-2000:]}")
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(service=name), timeout=1)
            except grpc.RpcError:
                time.sleep(0.01)
                continue
            listening = listening or time.monotonic() - spawned
            if reply.status == health_pb2.HealthCheckResponse.SERVING:
                return listening, time.monotonic() - spawned
            time.sleep(0.01)
    raise TimeoutError(f"{process.name} not SERVING after {LIMIT_SECONDS:g} s\n{process.log()[-2000:]}")


def _http_times(process: Process, port: int, spawned: float) -> tuple[float, float]:
    while time.monotonic() - spawned < LIMIT_SECONDS:
        if process.popen.poll() is not None:
            raise RuntimeError(f"{process.name} exited:\n{process.log()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                seconds = time.monotonic() - spawned
                return seconds, seconds
        except httpx.HTTPError:
            pass
        time.sleep(0.01)
    raise TimeoutError(f"{process.name} not answering after {LIMIT_SECONDS:g} s\n{process.log()[-2000:]}")


def measure(service: str, root: Path, extra_env: dict[str, str]) -> tuple[float, float]:
    """Start one service in a fresh data directory; (seconds to listening, seconds to SERVING)."""
    port = free_port()
    env = {**_env(service, root, port), **extra_env}
    spawned = time.monotonic()
    process = start(service, [*NETSCOPE, "serve", service], env, root / "logs")
    try:
        if service == "aggregator":
            return _http_times(process, port, spawned)
        return _grpc_times(process, f"127.0.0.1:{port}", GRPC_NAMES[service], spawned)
    finally:
        process.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--services", default=",".join(SERVICES))
    args = parser.parse_args()
    services = [s.strip() for s in args.services.split(",") if s.strip()]
    print(f"cores {os.cpu_count()}, {args.runs} runs per figure, median (min-max), seconds from spawn")
    print(f"{'service':<11} {'bytecode':<12} {'listening':>18} {'SERVING':>18}  load avg")
    with tempfile.TemporaryDirectory(prefix="netscope-startup-") as tmp:
        for service in services:
            for label, extra in (
                ("compiled", {}),
                ("no bytecode", {"PYTHONPYCACHEPREFIX": f"{tmp}/nopyc", "PYTHONDONTWRITEBYTECODE": "1"}),
            ):
                results, loads = [], []
                for run in range(args.runs):
                    loads.append(os.getloadavg()[0])
                    root = Path(tmp) / f"{service}-{label.replace(' ', '-')}-{run}"
                    results.append(measure(service, root, extra))
                listening = [r[0] for r in results]
                serving = [r[1] for r in results]

                def fmt(values: list[float]) -> str:
                    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"

                print(
                    f"{service:<11} {label:<12} {fmt(listening):>18} {fmt(serving):>18}"
                    f"  {min(loads):.2f}-{max(loads):.2f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
