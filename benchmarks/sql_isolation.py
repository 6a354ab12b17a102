"""A benign SQL call from one token while 1, 4 and 16 runaway queries from other tokens run.

Flows runs on the embedded store and over HTTP through the ClickHouse test double (readonly=2 reader),
both on the scenario world. Runaways come from `--hog-tokens` tokens (default 1: one caller's runaway
queries); the benign call is `SELECT count() FROM flows` from token `analyst`. Printed: p50/p99 of the benign
call, how it ended, and how the runaways ended; the baseline is the benign call with nothing running.

Usage: uv run python -m benchmarks.sql_isolation [--samples 5] [--wait 5] [--hog-tokens 1]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import grpc

from netscope.flows.v1 import flows_pb2, flows_pb2_grpc
from netscope_common.client import call_metadata
from tests.support.clickhouse_double.fixture import flows_env, running_double
from tests.support.processes import NETSCOPE, free_port, running, wait_grpc_serving

RUNAWAY = "SELECT count() FROM numbers(1000000000000)"
BENIGN = "SELECT count() FROM flows"
SERVICE = "netscope.flows.v1.FlowsService"


async def _call(stub: flows_pb2_grpc.FlowsServiceStub, sql: str, token: str) -> tuple[float, str]:
    started = time.perf_counter()
    try:
        await stub.Query(flows_pb2.QueryRequest(sql=sql), timeout=120, metadata=call_metadata("bench", token))
        outcome = "OK"
    except grpc.aio.AioRpcError as error:
        outcome = error.code().name
    return time.perf_counter() - started, outcome


async def _measure(
    target: str, runaways: int, samples: int, hog_tokens: int = 1
) -> tuple[list[float], Counter[str], Counter[str]]:
    async with grpc.aio.insecure_channel(target) as channel:
        stub = flows_pb2_grpc.FlowsServiceStub(channel)
        times: list[float] = []
        benign: Counter[str] = Counter()
        ended: Counter[str] = Counter()
        for _ in range(samples):
            hogs = [asyncio.create_task(_call(stub, RUNAWAY, f"hog-{i % hog_tokens}")) for i in range(runaways)]
            await asyncio.sleep(0.5)  # the runaways are admitted or queued first
            seconds, outcome = await _call(stub, BENIGN, "analyst")
            times.append(seconds)
            benign[outcome] += 1
            for _, how in await asyncio.gather(*hogs):
                ended[how] += 1
        return times, benign, ended


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _run_path(path: str, root: Path, samples: int, wait: float, hog_tokens: int) -> None:
    dsn = f"chdb://{root / path / 'db'}"
    subprocess.run([sys.executable, "-m", "tests.integration.flows.load_world", dsn], check=True, timeout=300)
    port = free_port()
    env = {
        "NETSCOPE_FLOWS_PORT": str(port),
        "NETSCOPE_FLOWS_SQL_WAIT_SECONDS": str(wait),
        "NETSCOPE_FLOWS_QUERY_TIMEOUT_SECONDS": "30",
        "NETSCOPE_FLOWS_LOG_LEVEL": "warning",
    }
    with contextlib.ExitStack() as stack:
        if path == "http":
            env.update(flows_env(stack.enter_context(running_double(root / path / "db", root / path / "logs"))))
        else:
            env["NETSCOPE_FLOWS_DSN"] = dsn
        process = stack.enter_context(running("flows", [*NETSCOPE, "serve", "flows"], env, root / path / "logs"))
        target = f"127.0.0.1:{port}"
        wait_grpc_serving(target, SERVICE, timeout=90, process=process)
        base, _, _ = asyncio.run(_measure(target, 0, samples))
        print(f"{path:8} baseline (no runaway): p50 {statistics.median(base) * 1000:.0f} ms")
        for runaways in (1, 4, 16):
            times, benign, ended = asyncio.run(_measure(target, runaways, samples, hog_tokens))
            print(
                f"{path:8} {runaways:2} runaways from {hog_tokens} token(s): "
                f"benign p50 {_p(times, 0.5):.2f} s p99 {_p(times, 0.99):.2f} s "
                f"(wait bound {wait:g} s) benign {dict(benign)}; runaways ended {dict(ended)}; "
                f"load {os.getloadavg()[0]:.2f}"
            )


def main() -> None:
    """Print the figures for both paths."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--wait", type=float, default=5.0)
    parser.add_argument("--hog-tokens", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for path in ("embedded", "http"):
            _run_path(path, Path(tmp), args.samples, args.wait, args.hog_tokens)


if __name__ == "__main__":
    main()
