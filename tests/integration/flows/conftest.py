"""The flows service as a real subprocess on the scenario world: on the embedded chdb store, and over HTTP
through the ClickHouse test double (a readonly=2 reader user and a writer user) on the same kind of store."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import grpc
import pytest

from netscope.flows.v1 import flows_pb2_grpc
from netscope_scenario.world import World
from tests.integration.flows.load_world import world
from tests.support.clickhouse_double.fixture import flows_env, running_double
from tests.support.processes import NETSCOPE, Process, free_port, running, wait_grpc_serving

pytestmark = pytest.mark.integration
SERVICE = "netscope.flows.v1.FlowsService"


@dataclass
class FlowsService:
    """A running flows service and a blocking stub to it."""

    target: str
    process: Process
    stub: flows_pb2_grpc.FlowsServiceStub
    metrics_url: str


@pytest.fixture(scope="session")
def scenario_world() -> World:
    """The world the service was loaded with (its ground truth)."""
    return world()


@pytest.fixture(scope="session", params=["embedded", "http"])
def flows_service(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, scenario_world: World
) -> Iterator[FlowsService]:
    """Load the world into a fresh chdb directory (in a child process), then serve it: directly (embedded), or
    through the ClickHouse HTTP test double with separate reader (readonly=2) and writer users (http)."""
    root = tmp_path_factory.mktemp(f"flows-{request.param}")
    dsn = f"chdb://{root / 'db'}"
    subprocess.run([sys.executable, "-m", "tests.integration.flows.load_world", dsn], check=True, timeout=180)
    port, metrics_port = free_port(), free_port()
    env = {
        "NETSCOPE_FLOWS_PORT": str(port),
        "NETSCOPE_FLOWS_METRICS_PORT": str(metrics_port),
        "NETSCOPE_FLOWS_QUERY_TIMEOUT_SECONDS": "20",
        "NETSCOPE_FLOWS_SQL_WAIT_SECONDS": "6",  # one engine lane: a caller waits for the statement holding it,
        "NETSCOPE_FLOWS_SQL_TIME_LIMIT_SECONDS": "2",  # cut at 2 s: 4 s of room for a loaded machine's lag
        "NETSCOPE_FLOWS_LOG_FORMAT": "console",
        "NETSCOPE_FLOWS_INTERFACE_CAPACITY_BPS": json.dumps(scenario_world.capacity_map()),
    }
    with contextlib.ExitStack() as stack:
        if request.param == "http":
            double = stack.enter_context(running_double(root / "db", root / "logs"))
            env.update(flows_env(double))
        else:
            env["NETSCOPE_FLOWS_DSN"] = dsn
        process = stack.enter_context(running("flows", [*NETSCOPE, "serve", "flows"], env, root / "logs"))
        target = f"127.0.0.1:{port}"
        wait_grpc_serving(target, SERVICE, timeout=60, process=process)
        with grpc.insecure_channel(target) as channel:
            stub = flows_pb2_grpc.FlowsServiceStub(channel)
            yield FlowsService(target, process, stub, f"http://127.0.0.1:{metrics_port}/metrics")
