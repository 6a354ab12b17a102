"""Kill the flows service under a steady load of tool calls, restart it, and watch the aggregator recover."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import ADMIN_TOKEN, READ_TOKEN, mcp_session
from tests.support.processes import NETSCOPE, free_port, running, start, wait_grpc_serving, wait_http_ok

pytestmark = pytest.mark.integration


async def test_flows_killed_and_restarted_under_load(tmp_path: Path) -> None:
    dsn = f"chdb://{tmp_path / 'flows'}"
    subprocess.run([sys.executable, "-m", "tests.support.seed_flows", dsn], check=True, timeout=120)
    flows_port, http_port = free_port(), free_port()
    flows_env = {"NETSCOPE_FLOWS_DSN": dsn, "NETSCOPE_FLOWS_PORT": str(flows_port)}
    agg_env = {
        "NETSCOPE_AGGREGATOR_PORT": str(http_port),
        "NETSCOPE_AGGREGATOR_FLOWS_TARGET": f"127.0.0.1:{flows_port}",
        "NETSCOPE_AGGREGATOR_TOKENS": f"reader:read:{READ_TOKEN},root:admin:{ADMIN_TOKEN}",
        "NETSCOPE_AGGREGATOR_CALL_TIMEOUT_SECONDS": "5",
    }
    flows = start("flows", [*NETSCOPE, "serve", "flows"], flows_env, tmp_path)
    try:
        wait_grpc_serving(f"127.0.0.1:{flows_port}", process=flows)
        with running("aggregator", [*NETSCOPE, "serve", "aggregator"], agg_env, tmp_path) as aggregator:
            wait_http_ok(f"http://127.0.0.1:{http_port}/healthz", process=aggregator)
            url = f"http://127.0.0.1:{http_port}/mcp/"
            async with mcp_session(url) as session:
                for _ in range(20):
                    ok = await session.call_tool("list_tables_ntopng_database", {})
                    assert not ok.is_error
                    other = await session.call_tool("search_docs", {"query": "token roles"})
                    assert not other.is_error
                flows.stop(signal.SIGKILL)
                down_started = time.monotonic()
                failures, independent_ok = [], 0
                while time.monotonic() - down_started < 10:
                    started = time.monotonic()
                    result = await session.call_tool("list_tables_ntopng_database", {})
                    assert result.is_error
                    assert time.monotonic() - started < 5.5  # fails fast, within the call deadline
                    failures.append(result.content[0].text)
                    independent = await session.call_tool("search_docs", {"query": "flows"})
                    independent_ok += not independent.is_error
                    await asyncio.sleep(0.2)
                assert all("the flows service is unavailable" in text for text in failures)
                assert independent_ok == len(failures)  # tools that do not need flows keep working
                flows = start("flows", [*NETSCOPE, "serve", "flows"], flows_env, tmp_path)
                wait_grpc_serving(f"127.0.0.1:{flows_port}", process=flows)
                restarted = time.monotonic()
                while True:
                    result = await session.call_tool("list_tables_ntopng_database", {})
                    if not result.is_error:
                        break
                    assert time.monotonic() - restarted < 5, result.content[0].text
                    await asyncio.sleep(0.1)
    finally:
        flows.stop()


def test_tokens_never_reach_the_logs(tmp_path: Path) -> None:
    """Every log the e2e and resilience processes wrote so far, in this pytest run, is free of tokens."""
    logs = list(tmp_path.parent.glob("**/*.log"))  # this pytest session's directories
    assert logs
    for path in logs:
        text = path.read_text(errors="replace")
        assert READ_TOKEN not in text, path
        assert ADMIN_TOKEN not in text, path
