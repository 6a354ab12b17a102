"""Start netscope processes on free loopback ports and wait until they serve."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc

NETSCOPE = [sys.executable, "-m", "netscope_common"]


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Process:
    """A child process with its log file."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    def log(self) -> str:
        """What the process wrote so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int | None:
        """Signal the process and wait for it (SIGKILL after `timeout`)."""
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        return self.popen.returncode


def start(name: str, args: list[str], env: dict[str, str], log_dir: Path, cwd: Path | None = None) -> Process:
    """Start `args` with extra environment (in `cwd`, default: ours), output to log_dir/name.log."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    full_env = {**os.environ, **env}
    handle = log_path.open("wb")
    popen = subprocess.Popen(args, env=full_env, stdout=handle, stderr=subprocess.STDOUT, cwd=cwd)
    return Process(name, popen, log_path, env)


def wait_grpc_serving(target: str, service: str = "", timeout: float = 60, process: Process | None = None) -> None:
    """Block until the gRPC health check of `service` at target says SERVING."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    with grpc.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if process and process.popen.poll() is not None:
                raise RuntimeError(f"{process.name} exited with {process.popen.returncode}:\n{process.log()[-3000:]}")
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
                last = str(reply.status)
            except grpc.RpcError as exc:
                last = str(exc.code())
            time.sleep(0.2)
    log = process.log()[-3000:] if process else ""
    raise TimeoutError(f"{target} not SERVING after {timeout}s (last: {last})\n{log}")


async def serving(target: str, service: str = "", timeout: float = 60) -> None:
    """Await until the gRPC health check of `service` at target says SERVING (a server in this event loop)."""
    async with grpc.aio.insecure_channel(target) as channel, asyncio.timeout(timeout):
        stub = health_pb2_grpc.HealthStub(channel)
        request = health_pb2.HealthCheckRequest(service=service)
        while (await stub.Check(request, wait_for_ready=True)).status != health_pb2.HealthCheckResponse.SERVING:
            await asyncio.sleep(0.05)


def wait_http_ok(url: str, timeout: float = 30, process: Process | None = None) -> None:
    """Block until GET url answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process and process.popen.poll() is not None:
            raise RuntimeError(f"{process.name} exited with {process.popen.returncode}:\n{process.log()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.2)
    raise TimeoutError(f"{url} not answering 200 after {timeout}s\n{process.log()[-3000:] if process else ''}")


@contextlib.contextmanager
def running(
    name: str, args: list[str], env: dict[str, str], log_dir: Path, cwd: Path | None = None
) -> Iterator[Process]:
    """A process stopped (SIGTERM) when the block ends."""
    process = start(name, args, env, log_dir, cwd)
    try:
        yield process
    finally:
        process.stop()
