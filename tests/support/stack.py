"""The walking-skeleton stack (seeded flows + aggregator), the scenario world, tokens and the MCP session helper."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from tests.support.processes import NETSCOPE, Process, free_port, running, wait_grpc_serving, wait_http_ok

READ_TOKEN = "read-token-0123456789"
ADMIN_TOKEN = "admin-token-0123456789"


@dataclass
class Stack:
    """Addresses of the running stack."""

    mcp_url: str
    base_url: str
    flows: Process
    aggregator: Process
    flows_target: str


@contextlib.contextmanager
def start_stack(run_dir: Path) -> Iterator[Stack]:
    """flows (seeded chdb) + aggregator as real processes on free ports."""
    dsn = f"chdb://{run_dir / 'flows'}"
    subprocess.run([sys.executable, "-m", "tests.support.seed_flows", dsn], check=True, timeout=120)
    flows_port, http_port = free_port(), free_port()
    flows_env = {
        "NETSCOPE_FLOWS_DSN": dsn,
        "NETSCOPE_FLOWS_PORT": str(flows_port),
        "NETSCOPE_FLOWS_QUERY_TIMEOUT_SECONDS": "5",
        "NETSCOPE_FLOWS_HEALTH_INTERVAL_SECONDS": "1",
    }
    agg_env = {
        "NETSCOPE_AGGREGATOR_PORT": str(http_port),
        "NETSCOPE_AGGREGATOR_FLOWS_TARGET": f"127.0.0.1:{flows_port}",
        "NETSCOPE_AGGREGATOR_ALERTS_TARGET": f"127.0.0.1:{free_port()}",
        "NETSCOPE_AGGREGATOR_SNMP_TARGET": f"127.0.0.1:{free_port()}",
        "NETSCOPE_AGGREGATOR_LIVE_TARGET": f"127.0.0.1:{free_port()}",
        "NETSCOPE_AGGREGATOR_TOKENS": f"reader:read:{READ_TOKEN},root:admin:{ADMIN_TOKEN}",
        "NETSCOPE_AGGREGATOR_CALL_TIMEOUT_SECONDS": "10",
    }
    logs = run_dir / "logs"
    with running("flows", [*NETSCOPE, "serve", "flows"], flows_env, logs) as flows:
        wait_grpc_serving(f"127.0.0.1:{flows_port}", "netscope.flows.v1.FlowsService", process=flows)
        with running("aggregator", [*NETSCOPE, "serve", "aggregator"], agg_env, logs) as aggregator:
            base = f"http://127.0.0.1:{http_port}"
            wait_http_ok(f"{base}/healthz", process=aggregator)
            yield Stack(f"{base}/mcp/", base, flows, aggregator, f"127.0.0.1:{flows_port}")


def generate_world(run_dir: Path) -> Path:
    """The scenario world (24 h, seed 11) rendered into run_dir."""
    world = run_dir / "world-e2e"
    subprocess.run(
        [
            *NETSCOPE,
            "scenario",
            "generate",
            "--seed",
            "11",
            "--hours",
            "24",
            "--flows-per-hour",
            "1000",
            "--out",
            str(world),
            "--only",
            "ntopng",
            "--only",
            "snmp",
            "--only",
            "truth",
        ],
        check=True,
        timeout=600,
        capture_output=True,
    )
    return world


def load_store(world: Path, store: Path) -> str:
    """Load the world's ntopng tables into a chdb directory (in a child process); returns its DSN."""
    dsn = f"chdb://{store}"
    subprocess.run(
        [*NETSCOPE, "scenario", "load", "--dsn", dsn, "--from", str(world)],
        check=True,
        timeout=600,
        capture_output=True,
    )
    return dsn


@contextlib.asynccontextmanager
async def mcp_session(url: str, token: str = READ_TOKEN, scheme: str = "Token") -> AsyncIterator[ClientSession]:
    """An initialized MCP client session over streamable HTTP (opened and closed in the caller's task)."""
    http = httpx2.AsyncClient(headers={"Authorization": f"{scheme} {token}"}, timeout=30)
    async with (
        http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write) as client,
    ):
        await client.initialize()
        yield client
