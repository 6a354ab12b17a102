"""What only the Elasticsearch backend says: SQL and ntopng-only requests are refused with the reason."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from osmem_server import OsmemServer

from netscope.flows.v1 import flows_pb2
from netscope_common.errors import Unavailable
from netscope_common.readiness import reason_of
from netscope_common.timeutil import make_window
from netscope_flows.elastic.backend import ElasticBackend
from netscope_flows.settings import FlowsSettings
from netscope_scenario.output import generate
from netscope_scenario.world import World, build_world
from tests.integration.flows_elastic.conftest import SERVICE, FlowsService
from tests.integration.flows_elastic.world import END
from tests.support.processes import NETSCOPE, free_port, running

pytestmark = pytest.mark.integration


def precondition(call: Callable[[], object]) -> str:
    with pytest.raises(grpc.RpcError) as exc:
        call()
    assert exc.value.code() == grpc.StatusCode.FAILED_PRECONDITION, exc.value.details()
    return str(exc.value.details())


def test_sql_rpcs_name_the_backend(elastic_service: FlowsService) -> None:
    stub = elastic_service.stub
    for call in (
        lambda: stub.Query(flows_pb2.QueryRequest(sql="SELECT 1")),
        lambda: stub.ListTables(flows_pb2.ListTablesRequest()),
        lambda: stub.DescribeTable(flows_pb2.DescribeTableRequest(table="flows")),
    ):
        assert "SQL needs the ClickHouse backend; this service is configured for Elasticsearch" in precondition(call)


def test_ntopng_only_fields_are_refused_with_the_reason(elastic_service: FlowsService, world: World) -> None:
    stub = elastic_service.stub
    window = make_window(world.start, world.end)
    message = precondition(
        lambda: stub.SearchFlows(flows_pb2.SearchFlowsRequest(filter=flows_pb2.FlowFilter(window=window, min_score=10)))
    )
    assert "min_score (ntopng's flow score) is ntopng data that ECS NetFlow documents do not carry" in message
    assert "METRIC_SCORE" not in precondition(
        lambda: stub.TopK(flows_pb2.TopKRequest(window=window, metric=flows_pb2.METRIC_SCORE))
    )
    host_locality = flows_pb2.TopKRequest(
        window=window, dimension=flows_pb2.TOP_K_DIMENSION_HOST, locality=flows_pb2.LOCALITY_LOCAL
    )
    assert "rank SRC_IP or DST_IP with a locality instead" in precondition(lambda: stub.TopK(host_locality))


def test_all_detectors_run_by_default(elastic_service: FlowsService, world: World) -> None:
    answer = elastic_service.stub.FindAnomalies(
        flows_pb2.FindAnomaliesRequest(filter=flows_pb2.FlowFilter(window=make_window(world.start, world.end))),
        timeout=60,
    )
    kinds = {f.kind for f in answer.findings}
    assert kinds >= {
        flows_pb2.ANOMALY_KIND_HORIZONTAL_SCAN,
        flows_pb2.ANOMALY_KIND_VERTICAL_SCAN,
        flows_pb2.ANOMALY_KIND_OFF_HOURS_EXFILTRATION,
        flows_pb2.ANOMALY_KIND_BEACONING,
        flows_pb2.ANOMALY_KIND_TRAFFIC_SPIKE,
    }
    # These documents carry no DNS names: the DGA detector cannot run, and the answer says so and why.
    assert flows_pb2.ANOMALY_KIND_DGA_DOMAINS not in kinds
    assert [u for u in answer.unavailable if u.startswith("DGA_DOMAINS")] == [
        "DGA_DOMAINS (the names DNS flows asked for) needs the field dns.question.name, which the documents of "
        "logs-netflow* do not have (field layout scenario); add the field to the documents, or name the layout "
        "with NETSCOPE_FLOWS_ES_LAYOUT (scenario, ecs, seed-minimal)"
    ]
    with pytest.raises(grpc.RpcError) as refused:
        elastic_service.stub.FindAnomalies(
            flows_pb2.FindAnomaliesRequest(
                filter=flows_pb2.FlowFilter(window=make_window(world.start, world.end)),
                kinds=[flows_pb2.ANOMALY_KIND_DGA_DOMAINS],
            )
        )
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "dns.question.name" in str(refused.value.details())


def test_chart_from_elasticsearch(elastic_service: FlowsService, world: World) -> None:
    series = flows_pb2.TimeSeriesRequest(filter=flows_pb2.FlowFilter(window=make_window(world.start, world.end)))
    answer = elastic_service.stub.Chart(flows_pb2.ChartRequest(time_series=series))
    assert answer.png.startswith(b"\x89PNG") and answer.title == "bytes over time"


def test_unreachable_cluster_is_not_serving(tmp_path: Path) -> None:
    port, dead = free_port(), free_port()
    env = {
        "NETSCOPE_FLOWS_BACKEND": "elasticsearch",
        "NETSCOPE_FLOWS_ES_URL": f"http://127.0.0.1:{dead}",
        "NETSCOPE_FLOWS_ES_FLAVOR": "opensearch",
        "NETSCOPE_FLOWS_ES_REQUEST_TIMEOUT_SECONDS": "2",
        "NETSCOPE_FLOWS_PORT": str(port),
        "NETSCOPE_FLOWS_HEALTH_INTERVAL_SECONDS": "1",
        "NETSCOPE_FLOWS_LOG_FORMAT": "console",
    }
    with (
        running("flows-dead-es", [*NETSCOPE, "serve", "flows"], env, tmp_path) as process,
        grpc.insecure_channel(f"127.0.0.1:{port}") as channel,
    ):
        # NOT_SERVING while starting, then NOT_SERVING because the health check cannot reach the cluster
        answers: list[tuple[int, str]] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            reply, call = health_pb2_grpc.HealthStub(channel).Check.with_call(
                health_pb2.HealthCheckRequest(service=SERVICE), timeout=10, wait_for_ready=True
            )
            answers.append((reply.status, reason_of(call.trailing_metadata())))
            if "does not answer" in answers[-1][1]:
                break
            time.sleep(0.1)
        status, reason = answers[-1]
        assert status == health_pb2.HealthCheckResponse.NOT_SERVING, process.log()[-2000:]
        assert reason.startswith(f"Elasticsearch at http://127.0.0.1:{dead} does not answer"), answers[-3:]


def test_settings_honour_seed_003_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"ES_HOST": "es.example", "ES_PORT": "9243", "ES_USERNAME": "u", "ES_PASSWORD": "p"}.items():
        monkeypatch.setenv(name, value)
    settings = FlowsSettings()
    assert settings.es_url == "https://es.example:9243" and settings.es_username == "u"
    assert settings.es_password.get_secret_value() == "p" and settings.es_index == "logs-netflow*"
    monkeypatch.setenv("NETSCOPE_FLOWS_ES_URL", "http://127.0.0.1:9200")
    assert FlowsSettings().es_url == "http://127.0.0.1:9200"


def test_loader_cli_names_missing_documents(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "netscope_flows.elastic", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert f"no logs-netflow-*.ndjson.gz under {tmp_path} (render the scenario with 'ecs')" in done.stderr


async def test_wrong_flavor_is_named_by_the_health_check(es_url: str) -> None:
    backend = ElasticBackend(FlowsSettings(es_url=es_url, es_flavor="elasticsearch"))
    try:
        with pytest.raises(Unavailable) as exc:
            await asyncio.wait_for(backend.ping(), timeout=30)
    finally:
        await backend.close()
    assert "refused the Elasticsearch client's compatible-with headers (HTTP 406)" in exc.value.message
    assert "set NETSCOPE_FLOWS_ES_FLAVOR=opensearch" in exc.value.message
    right = ElasticBackend(FlowsSettings(es_url=es_url, es_flavor="opensearch"))
    try:
        await asyncio.wait_for(right.ping(), timeout=30)
    finally:
        await right.close()


def test_loader_cli_indexes_a_rendered_world_once(tmp_path: Path) -> None:
    hour = build_world(3, 1.0, END, 50)
    expected = generate(hour, tmp_path, renderings=("ecs",))["ecs_documents"]
    with OsmemServer.start(japanese=False, startup_timeout=30) as server:
        env = {**os.environ, "NETSCOPE_FLOWS_ES_URL": server.url, "NETSCOPE_FLOWS_ES_FLAVOR": "opensearch"}
        for _ in range(2):  # the second load rewrites the same ids
            done = subprocess.run(
                [sys.executable, "-m", "netscope_flows.elastic", str(tmp_path)],
                capture_output=True,
                text=True,
                timeout=120,
                env=env,
            )
            assert done.returncode == 0, done.stderr
            assert f"indexed {expected} documents" in done.stdout
        assert server.request("GET", "/logs-netflow-*/_count")["count"] == expected
