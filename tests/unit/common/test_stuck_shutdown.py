"""A service whose shutdown hook never returns still exits after SIGTERM (no orphan that runs forever)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

from tests.support.processes import free_port, wait_grpc_serving

SERVICE = """
import asyncio, sys
import netscope_common.server as kit
from netscope_common.settings import ServiceSettings

kit.SHUTDOWN_MARGIN_SECONDS = 1.0

async def healthy() -> None:
    return None

async def never_returns() -> None:
    await asyncio.Event().wait()

settings = ServiceSettings(port=int(sys.argv[1]), grace_seconds=0.5)
kit.run(kit.ServiceSpec(name="stuck", settings=settings, servicers=[], health_check=healthy, shutdown=never_returns))
"""


def test_a_stuck_shutdown_ends_the_process_with_an_error_line(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "stuck.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-c", SERVICE, str(port)], stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_grpc_serving(f"127.0.0.1:{port}", timeout=60)
        process.send_signal(signal.SIGTERM)
        code = process.wait(30)  # raises if the process is still running
    finally:
        if process.poll() is None:
            process.kill()
    assert code == 1
    events = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    stuck = [e for e in events if e.get("event") == "shutdown_stuck"]
    assert stuck and stuck[0]["service"] == "stuck" and stuck[0]["seconds"] == 1.5
