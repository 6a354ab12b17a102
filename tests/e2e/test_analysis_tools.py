"""Analysis and fan-out tools over MCP on the scenario world; live and snmp are down, so answers are partial."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import get_args

import pytest

from netscope_aggregator.render import human_bytes
from netscope_aggregator.tools.analysis import AnomalyName
from tests.e2e.conftest import READ_TOKEN, load_store, mcp_session
from tests.support.processes import NETSCOPE, free_port, running, wait_grpc_serving, wait_http_ok

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def analysis_url(run_dir: Path, world_dir: Path) -> Iterator[str]:
    """flows + alerts on the scenario world and an aggregator whose live/snmp targets are dead."""
    flows_dsn = load_store(world_dir, run_dir / "analysis-flows")
    alerts_dsn = load_store(world_dir, run_dir / "analysis-alerts")
    flows_port, alerts_port, http_port = free_port(), free_port(), free_port()
    logs = run_dir / "logs"
    agg_env = {
        "NETSCOPE_AGGREGATOR_PORT": str(http_port),
        "NETSCOPE_AGGREGATOR_FLOWS_TARGET": f"127.0.0.1:{flows_port}",
        "NETSCOPE_AGGREGATOR_ALERTS_TARGET": f"127.0.0.1:{alerts_port}",
        "NETSCOPE_AGGREGATOR_LIVE_TARGET": f"127.0.0.1:{free_port()}",
        "NETSCOPE_AGGREGATOR_SNMP_TARGET": f"127.0.0.1:{free_port()}",
        "NETSCOPE_AGGREGATOR_TOKENS": f"reader:read:{READ_TOKEN}",
        "NETSCOPE_AGGREGATOR_CALL_TIMEOUT_SECONDS": "20",
    }
    with (
        running(
            "flows-analysis",
            [*NETSCOPE, "serve", "flows"],
            {"NETSCOPE_FLOWS_DSN": flows_dsn, "NETSCOPE_FLOWS_PORT": str(flows_port)},
            logs,
        ) as flows,
        running(
            "alerts-analysis",
            [*NETSCOPE, "serve", "alerts"],
            {"NETSCOPE_ALERTS_DSN": alerts_dsn, "NETSCOPE_ALERTS_PORT": str(alerts_port)},
            logs,
        ) as alerts,
    ):
        wait_grpc_serving(f"127.0.0.1:{flows_port}", process=flows)
        wait_grpc_serving(f"127.0.0.1:{alerts_port}", process=alerts, timeout=120)
        with running("aggregator-analysis", [*NETSCOPE, "serve", "aggregator"], agg_env, logs) as aggregator:
            wait_http_ok(f"http://127.0.0.1:{http_port}/healthz", process=aggregator)
            yield f"http://127.0.0.1:{http_port}/mcp/"


def _truth(world_dir: Path) -> dict[str, dict]:
    incidents = json.loads((world_dir / "ground_truth.json").read_text())["incidents"]
    return {i["kind"]: i for i in incidents}


async def test_find_anomalies_names_the_scenario_incidents(analysis_url: str, world_dir: Path) -> None:
    truth = _truth(world_dir)
    async with mcp_session(analysis_url) as session:
        result = await session.call_tool("find_anomalies", {"hours": 30, "max_findings": 50})
        assert not result.is_error, result.content
        findings = result.structured_content["findings"]
        assert result.structured_content["unavailable"] == []  # every detector runs on the demo stack's documents
        by_kind: dict[str, set[str]] = {}
        for finding in findings:
            by_kind.setdefault(finding["kind"], set()).update(finding.get("hosts", []))
        assert set(truth["beaconing"]["hosts"]) <= by_kind.get("beaconing", set())
        assert set(truth["horizontal_scan"]["hosts"]) <= by_kind.get("horizontal_scan", set())
        assert all(f.get("evidence") for f in findings)


async def test_a_findings_evidence_filter_lists_its_flows(analysis_url: str, world_dir: Path) -> None:
    truth = _truth(world_dir)["exfiltration"]
    async with mcp_session(analysis_url) as session:
        found = await session.call_tool("find_anomalies", {"hours": 30, "kinds": ["off_hours_exfiltration"]})
        finding = next(f for f in found.structured_content["findings"] if truth["hosts"][0] in f["hosts"])
        evidence = finding["evidence_filter"]
        flows = await session.call_tool("get_historical_flow", {"evidence_filter": evidence, "limit": 50})
        assert not flows.is_error, flows.content
        answer = flows.structured_content
        assert answer["window_start"] == evidence["window"]["start"]
        assert answer["window_end"] == evidence["window"]["end"]
        assert answer["flows"] and {f["src_ip"] for f in answer["flows"]} == set(truth["hosts"])
        narrower = await session.call_tool(
            "get_historical_flow", {"evidence_filter": evidence, "dst_ip": truth["peers"][0], "limit": 50}
        )
        assert {f["dst_ip"] for f in narrower.structured_content["flows"]} == {truth["peers"][0]}
        wrong = await session.call_tool("get_historical_flow", {"evidence_filter": {"source": "10.1.2.42"}})
        assert wrong.is_error
        assert "evidence_filter is not a flow filter: " in wrong.content[0].text
        assert 'has no field named "source"' in wrong.content[0].text
        assert "Its fields are: window, src_ip, dst_ip, host" in wrong.content[0].text


async def test_investigate_host_is_partial_and_names_the_dead_service(analysis_url: str, world_dir: Path) -> None:
    host = _truth(world_dir)["exfiltration"]["hosts"][0]
    async with mcp_session(analysis_url) as session:
        result = await session.call_tool("investigate_host", {"ip": host, "hours": 30})
        assert not result.is_error, result.content
        answer = result.structured_content
        assert answer["partial"] is True
        assert "the live service is unavailable" in answer["missing"]["live"]
        assert answer["history"]["ip"] == host
        assert answer["alerts"]["alerts"]
        client, server = answer["history"]["as_client"], answer["history"].get("as_server", {})
        c2s = client.get("client_to_server_bytes", 0), server.get("client_to_server_bytes", 0)
        up = c2s[0] + server.get("bytes", 0) - c2s[1]
        down = client.get("bytes", 0) - c2s[0] + c2s[1]
        assert up > 10 * down  # the exfiltrating host uploads far more than it downloads
        shown = Counter(f["kind"] for f in answer["history"]["findings"])
        assert shown and max(shown.values()) <= 3  # bounded: the highest-scored few of each kind
        total = int(answer["summary"].split(" findings")[0].rsplit(" ", 1)[1])
        assert sum(answer["history"].get("findings_by_kind", shown).values()) == total
        assert "off_hours_exfiltration" in shown
        assert answer["summary"].startswith(f"{host}: history: sent {human_bytes(up)}, received {human_bytes(down)}")
        bad = await session.call_tool("investigate_host", {"ip": "not-an-ip"})
        assert bad.is_error
        assert "is not an IP address" in bad.content[0].text


async def test_network_health_and_traffic_overview(analysis_url: str) -> None:
    async with mcp_session(analysis_url) as session:
        health = await session.call_tool("network_health", {})
        assert set(health.structured_content["missing"]) == {"devices", "busy_interfaces", "collector"}
        assert "alerts in 24 h" in health.structured_content["summary"]
        overview = await session.call_tool("analyze_traffic", {"hours": 24})
        assert overview.structured_content["totals"]["flows"] > 0
        assert "flows between" in overview.structured_content["summary"]
        advice = await session.call_tool("get_recommendations", {"hours": 30, "max_items": 20})
        assert advice.structured_content["recommendations"]
        kinds = set(get_args(AnomalyName)) | {"bottleneck"}
        assert {r["source"] for r in advice.structured_content["recommendations"]} <= kinds


@pytest.mark.parametrize(
    ("tool", "table"),
    [
        ("get_ntopng_host_alert_stats", "host_alerts"),
        ("get_ntopng_interface_alert_stats", "interface_alerts"),
        ("get_ntopng_mac_alert_stats", "mac_alerts"),
        ("get_ntopng_network_alert_stats", "network_alerts"),
        ("get_ntopng_snmp_device_alert_stats", "snmp_alerts"),
        ("get_ntopng_system_alert_stats", "system_alerts"),
        ("get_ntopng_user_alert_stats", "user_alerts"),
    ],
)
async def test_alert_stats_per_entity_match_the_world(
    analysis_url: str, world_dir: Path, tool: str, table: str
) -> None:
    from collections import Counter
    from datetime import datetime

    rows = [json.loads(line) for line in (world_dir / "ntopng" / "alerts" / f"{table}.jsonl").read_text().splitlines()]
    scenario = json.loads((world_dir / "ground_truth.json").read_text())["scenario"]
    begin = int(datetime.fromisoformat(scenario["start"]).timestamp())
    end = int(datetime.fromisoformat(scenario["end"]).timestamp()) + 3600
    async with mcp_session(analysis_url) as session:
        result = await session.call_tool(tool, {"epoch_begin": begin, "epoch_end": end, "top_n": 50})
    assert not result.is_error, result.content
    answer = result.structured_content
    assert answer["total"] == len(rows)
    by_severity = Counter(r["severity"] for r in rows)
    assert sorted(c["count"] for c in answer["by_severity"]) == sorted(by_severity.values())
    assert sum(c["count"] for c in answer["by_type"]) == len(rows)


async def test_flow_alert_stats_match_the_flows_with_a_status(analysis_url: str, world_dir: Path) -> None:
    from datetime import datetime

    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    statuses = pq.read_table(world_dir / "ntopng" / "flows.parquet", columns=["STATUS"])["STATUS"]
    alerted = pc.sum(pc.not_equal(statuses, 0)).as_py()
    scenario = json.loads((world_dir / "ground_truth.json").read_text())["scenario"]
    begin = int(datetime.fromisoformat(scenario["start"]).timestamp()) - 3600
    end = int(datetime.fromisoformat(scenario["end"]).timestamp()) + 3600
    async with mcp_session(analysis_url) as session:
        result = await session.call_tool("get_ntopng_flow_alert_stats", {"epoch_begin": begin, "epoch_end": end})
    assert result.structured_content["total"] == alerted
