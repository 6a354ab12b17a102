"""mcp-ntopng's .env, unchanged, points flows and alerts at a ClickHouse server: NTOPNG_HOST + NTOPNG_DB* in a
.env file in the services' working directory, no NETSCOPE_*_DSN (variables: tests/compat/upstream/mcp_ntopng.json)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from netscope.alerts.v1 import alerts_pb2, alerts_pb2_grpc
from netscope.flows.v1 import flows_pb2, flows_pb2_grpc
from netscope_common.timeutil import make_window
from tests.support.clickhouse_double.fixture import READER, running_double
from tests.support.processes import NETSCOPE, free_port, running, wait_grpc_serving
from tests.unit.alerts import seed

pytestmark = pytest.mark.integration


@dataclass
class Stubs:
    flows: flows_pb2_grpc.FlowsServiceStub
    alerts: alerts_pb2_grpc.AlertsServiceStub


@pytest.fixture(scope="module")
def stubs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stubs]:
    root: Path = tmp_path_factory.mktemp("mcp-ntopng-env")
    data, logs, workdir = root / "db", root / "logs", root / "work"
    workdir.mkdir()
    subprocess.run([sys.executable, "-m", "tests.integration.alerts.seed_store", f"chdb://{data}"], check=True)
    flows_port, alerts_port = free_port(), free_port()
    with running_double(data, logs, [READER]) as double:
        (workdir / ".env").write_text(
            f"NTOPNG_HOST={double.host}\nNTOPNG_API_KEY=not-used-by-reads\nNTOPNG_DBUSER={READER['name']}\n"
            f"NTOPNG_DBPASSWORD={READER['password']}\nNTOPNG_DBPORT={double.port}\nNTOPNG_DBNAME=default\n"
        )
        flows_env = {"NETSCOPE_FLOWS_PORT": str(flows_port), "NETSCOPE_FLOWS_SQL_CONCURRENCY": "1"}
        alerts_env = {"NETSCOPE_ALERTS_PORT": str(alerts_port)}
        with (
            running("flows-dotenv", [*NETSCOPE, "serve", "flows"], flows_env, logs, cwd=workdir) as flows,
            running("alerts-dotenv", [*NETSCOPE, "serve", "alerts"], alerts_env, logs, cwd=workdir) as alerts,
        ):
            wait_grpc_serving(f"127.0.0.1:{flows_port}", timeout=60, process=flows)
            wait_grpc_serving(f"127.0.0.1:{alerts_port}", timeout=60, process=alerts)
            with (
                grpc.insecure_channel(f"127.0.0.1:{flows_port}") as flows_channel,
                grpc.insecure_channel(f"127.0.0.1:{alerts_port}") as alerts_channel,
            ):
                yield Stubs(
                    flows_pb2_grpc.FlowsServiceStub(flows_channel), alerts_pb2_grpc.AlertsServiceStub(alerts_channel)
                )


def test_flows_reads_the_server_named_in_the_dotenv(stubs: Stubs) -> None:
    answer = stubs.flows.Query(flows_pb2.QueryRequest(sql="SELECT count() FROM host_alerts"), timeout=30)
    value = answer.table.rows[0].values[0]
    assert float(value.number_value or value.string_value) > 0


def test_alerts_read_the_same_server_with_ntopng_filters(stubs: Stubs) -> None:
    window = make_window(*seed.WINDOW)
    host = alerts_pb2.ENTITY_KIND_HOST
    stats = stubs.alerts.AlertStats(alerts_pb2.AlertStatsRequest(window=window, entity=host), timeout=30)
    one = alerts_pb2.ListAlertsRequest(window=window, entity=host, ntopng_filters={"ip": f"{seed.HOSTS[0]};eq"})
    listed = stubs.alerts.ListAlerts(one, timeout=30)
    assert stats.total == 30
    assert listed.total == sum(1 for r in seed.host_alerts()[:30] if r["ip"] == seed.HOSTS[0])
