"""The flows service as a subprocess on each backend that runs here, both loaded with the same small world.

Elasticsearch is played by osmem-server (an in-memory OpenSearch-compatible server), reached through the
`opensearch` flavor; chdb runs the same expectations so the two backends are held to one behaviour.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from osmem_server import OsmemServer

from netscope.flows.v1 import flows_pb2_grpc
from netscope_flows.elastic.loader import load_ecs
from netscope_flows.elastic.transport import make_client
from netscope_flows.settings import FlowsSettings
from netscope_scenario.model import Flow
from netscope_scenario.output import generate
from netscope_scenario.world import World
from tests.integration.flows_elastic.world import small_world
from tests.support.processes import NETSCOPE, Process, free_port, running, wait_grpc_serving

pytestmark = pytest.mark.integration
SERVICE = "netscope.flows.v1.FlowsService"
BACKENDS = ("chdb", "elasticsearch")


@dataclass
class FlowsService:
    """A running flows service, which backend it uses, and a blocking stub to it."""

    backend: str
    target: str
    process: Process
    stub: flows_pb2_grpc.FlowsServiceStub


@pytest.fixture(scope="session")
def world() -> World:
    """The world both backends were loaded with (its ground truth)."""
    return small_world()


@pytest.fixture(scope="session")
def flows(world: World) -> list[Flow]:
    """Every flow of the world, for recounting."""
    return list(world.flows())


async def _load(url: str, directory: Path) -> int:
    client = make_client(FlowsSettings(es_url=url, es_flavor="opensearch"))
    try:
        return await load_ecs(client, directory)
    finally:
        await client.close()


@pytest.fixture(scope="session")
def es_url(tmp_path_factory: pytest.TempPathFactory, world: World, flows: list[Flow]) -> Iterator[str]:
    """An osmem-server loaded with the world's ECS documents (rendered by the scenario package)."""
    out = tmp_path_factory.mktemp("ecs-world")
    generate(world, out, renderings=("ecs",))
    with OsmemServer.start(japanese=False, startup_timeout=30) as server:
        indexed = asyncio.run(asyncio.wait_for(_load(server.url, out), timeout=120))
        assert indexed == len(flows)
        yield server.url


def _serve(name: str, env: dict[str, str], root: Path) -> Iterator[FlowsService]:
    port = free_port()
    env = {
        **env,
        "NETSCOPE_FLOWS_PORT": str(port),
        "NETSCOPE_FLOWS_LOG_FORMAT": "console",
        "NETSCOPE_FLOWS_INTERFACE_CAPACITY_BPS": json.dumps(small_world().capacity_map()),
    }
    with running(f"flows-{name}", [*NETSCOPE, "serve", "flows"], env, root / "logs") as process:
        target = f"127.0.0.1:{port}"
        wait_grpc_serving(target, SERVICE, timeout=60, process=process)
        with grpc.insecure_channel(target) as channel:
            yield FlowsService(name, target, process, flows_pb2_grpc.FlowsServiceStub(channel))


@pytest.fixture(scope="session")
def elastic_service(tmp_path_factory: pytest.TempPathFactory, es_url: str) -> Iterator[FlowsService]:
    """The flows service with backend=elasticsearch on the osmem cluster."""
    env = {
        "NETSCOPE_FLOWS_BACKEND": "elasticsearch",
        "NETSCOPE_FLOWS_ES_URL": es_url,
        "NETSCOPE_FLOWS_ES_FLAVOR": "opensearch",
        "NETSCOPE_FLOWS_ES_REQUEST_TIMEOUT_SECONDS": "20",
    }
    yield from _serve("elasticsearch", env, tmp_path_factory.mktemp("flows-es"))


@pytest.fixture(scope="session")
def chdb_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlowsService]:
    """The flows service on a chdb directory loaded with the same world (in a child process)."""
    root = tmp_path_factory.mktemp("flows-chdb")
    dsn = f"chdb://{root / 'db'}"
    subprocess.run([sys.executable, "-m", "tests.integration.flows_elastic.world", dsn], check=True, timeout=120)
    yield from _serve("chdb", {"NETSCOPE_FLOWS_DSN": dsn, "NETSCOPE_FLOWS_QUERY_TIMEOUT_SECONDS": "20"}, root)


@pytest.fixture(params=BACKENDS, scope="session")
def service(request: pytest.FixtureRequest) -> FlowsService:
    """Each backend in turn: the same test, the same expectations."""
    fixture = "chdb_service" if request.param == "chdb" else "elastic_service"
    found: FlowsService = request.getfixturevalue(fixture)
    return found


@pytest.fixture(scope="session")
def elasticsearch_ingest_service(tmp_path_factory: pytest.TempPathFactory, es_url: str) -> Iterator[FlowsService]:
    """An Elasticsearch-backed service on the same cluster, reading and writing its own (empty) indices."""
    env = {
        "NETSCOPE_FLOWS_BACKEND": "elasticsearch",
        "NETSCOPE_FLOWS_ES_URL": es_url,
        "NETSCOPE_FLOWS_ES_FLAVOR": "opensearch",
        "NETSCOPE_FLOWS_ES_INDEX": "ingested-netflow-*",
        "NETSCOPE_FLOWS_ES_REQUEST_TIMEOUT_SECONDS": "30",
    }
    yield from _serve("elasticsearch-ingest", env, tmp_path_factory.mktemp("flows-es-ingest"))


@pytest.fixture(scope="session")
def chdb_ingest_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlowsService]:
    """A chdb-backed service on an empty store."""
    root = tmp_path_factory.mktemp("flows-chdb-ingest")
    env = {"NETSCOPE_FLOWS_DSN": f"chdb://{root / 'db'}", "NETSCOPE_FLOWS_QUERY_TIMEOUT_SECONDS": "20"}
    yield from _serve("chdb-ingest", env, root)


@pytest.fixture(params=BACKENDS, scope="session")
def ingest_service(request: pytest.FixtureRequest) -> FlowsService:
    """Each backend in turn, starting empty, for IngestFlows."""
    found: FlowsService = request.getfixturevalue(f"{request.param}_ingest_service")
    return found
