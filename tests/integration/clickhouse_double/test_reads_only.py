"""Without writer credentials, flows and alerts serve reads over the ClickHouse HTTP interface and refuse
writes saying why (the reader is a readonly=2 user of the test double)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from netscope.alerts.v1 import alerts_pb2, alerts_pb2_grpc
from netscope.flows.v1 import flows_pb2, flows_pb2_grpc
from netscope_common.status import status_from_metadata
from tests.support.clickhouse_double.fixture import READER, WRITER, flows_env, running_double
from tests.support.processes import NETSCOPE, free_port, running, wait_grpc_serving

pytestmark = pytest.mark.integration


STRICT = {"name": "strict_reader", "password": "strict-secret", "readonly": 1}


@dataclass
class Stubs:
    flows: flows_pb2_grpc.FlowsServiceStub
    alerts: alerts_pb2_grpc.AlertsServiceStub
    strict_flows: flows_pb2_grpc.FlowsServiceStub
    flows_health: health_pb2_grpc.HealthStub
    alerts_health: health_pb2_grpc.HealthStub


@pytest.fixture(scope="module")
def stubs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stubs]:
    root: Path = tmp_path_factory.mktemp("reads-only")
    data, logs = root / "db", root / "logs"
    subprocess.run([sys.executable, "-m", "tests.integration.alerts.seed_store", f"chdb://{data}"], check=True)
    flows_port, alerts_port, strict_port = free_port(), free_port(), free_port()
    with running_double(data, logs, [READER, WRITER, STRICT]) as double:
        reader_url = f"http://{READER['name']}:{READER['password']}@{double.host}:{double.port}/"
        flows = {**flows_env(double, writer=False), "NETSCOPE_FLOWS_PORT": str(flows_port)}
        strict = {
            **flows,
            "NETSCOPE_FLOWS_PORT": str(strict_port),
            "NETSCOPE_FLOWS_CH_USER": str(STRICT["name"]),
            "NETSCOPE_FLOWS_CH_PASSWORD": str(STRICT["password"]),
        }
        alerts = {"NETSCOPE_ALERTS_DSN": reader_url, "NETSCOPE_ALERTS_PORT": str(alerts_port)}
        with (
            running("flows", [*NETSCOPE, "serve", "flows"], flows, logs) as flows_process,
            running("alerts", [*NETSCOPE, "serve", "alerts"], alerts, logs) as alerts_process,
            running("flows-strict", [*NETSCOPE, "serve", "flows"], strict, logs),
        ):
            wait_grpc_serving(f"127.0.0.1:{flows_port}", timeout=60, process=flows_process)
            wait_grpc_serving(f"127.0.0.1:{alerts_port}", timeout=60, process=alerts_process)
            with (
                grpc.insecure_channel(f"127.0.0.1:{flows_port}") as flows_channel,
                grpc.insecure_channel(f"127.0.0.1:{alerts_port}") as alerts_channel,
                grpc.insecure_channel(f"127.0.0.1:{strict_port}") as strict_channel,
            ):
                yield Stubs(
                    flows_pb2_grpc.FlowsServiceStub(flows_channel),
                    alerts_pb2_grpc.AlertsServiceStub(alerts_channel),
                    flows_pb2_grpc.FlowsServiceStub(strict_channel),
                    health_pb2_grpc.HealthStub(flows_channel),
                    health_pb2_grpc.HealthStub(alerts_channel),
                )


def test_flows_reads_and_refuses_ingest(stubs: Stubs) -> None:
    tables = stubs.flows.ListTables(flows_pb2.ListTablesRequest(), timeout=30)
    assert "netscope_alert_exclusions" in {t.name for t in tables.tables}
    answer = stubs.flows.Query(flows_pb2.QueryRequest(sql="SELECT count() FROM host_alerts"), timeout=30)
    assert float(answer.table.rows[0].values[0].number_value or answer.table.rows[0].values[0].string_value) > 0
    with pytest.raises(grpc.RpcError) as refused:
        stubs.flows.IngestFlows(iter([flows_pb2.IngestFlowsRequest(batch_id="b", flows=[])]), timeout=30)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "serves reads only" in str(refused.value.details())
    assert "NETSCOPE_FLOWS_CH_WRITER_USER" in str(refused.value.details())


def test_alerts_reads_and_refuses_changes(stubs: Stubs) -> None:
    listed = stubs.alerts.ListExclusions(alerts_pb2.ListExclusionsRequest(), timeout=30)
    assert list(listed.exclusions) == []
    with pytest.raises(grpc.RpcError) as refused:
        stubs.alerts.AddExclusion(
            alerts_pb2.AddExclusionRequest(kind=alerts_pb2.EXCLUSION_KIND_HOST, value="10.1.1.1"), timeout=30
        )
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "NETSCOPE_ALERTS_WRITER_DSN" in str(refused.value.details())


def test_a_readonly_1_reader_is_refused_with_the_fix(stubs: Stubs) -> None:
    """ClickHouse refuses every settings change to a readonly=1 user, so flows says what profile it needs."""
    with pytest.raises(grpc.RpcError) as refused:
        stubs.strict_flows.Query(flows_pb2.QueryRequest(sql="SELECT 1"), timeout=30, wait_for_ready=True)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "readonly=1" in str(refused.value.details())
    assert "readonly=2 profile" in str(refused.value.details())


@pytest.mark.parametrize("service", ["flows", "alerts"])
def test_health_says_serving_reads_only(stubs: Stubs, service: str) -> None:
    """SERVING, with the reason the service does less than its whole job in the status it sends beside it."""
    health = stubs.flows_health if service == "flows" else stubs.alerts_health
    reply, call = health.Check.with_call(health_pb2.HealthCheckRequest(), timeout=30)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
    detail = str(status_from_metadata(call.initial_metadata()).get("detail", ""))
    assert f"this {service} service serves reads only" in detail
