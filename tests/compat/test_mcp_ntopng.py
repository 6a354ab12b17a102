"""Seed 000 (mcp-ntopng): every example call of tests/compat/upstream/mcp_ntopng.json, shaped exactly as
mcp-ntopng's clients shape it (all 20 tools; upstream marcoeg/mcp-server-ntopng at the commit recorded in that
file), is accepted by the demo stack; the filters change the answers the way the scenario's ground truth says.

The accepted/total figure is the count of `test_example_call_is_accepted` cases that pass.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.compat.conftest import TOKEN, call, resolved, upstream
from tests.e2e.conftest import mcp_session
from tests.support.demo import Demo

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

SHAPES = upstream("mcp_ntopng.json")
EXAMPLES = [
    pytest.param(tool["name"], call, id=f"{tool['name']}[{i}]")
    for tool in SHAPES["tools"]
    for i, call in enumerate(tool["example_calls"])
]
FLOW_ALERT_FILTERS = next(t for t in SHAPES["tools"] if t["name"] == "get_ntopng_flow_alert_stats")["arguments"]


def test_every_upstream_tool_has_an_example_call() -> None:
    assert len(SHAPES["tools"]) == 20
    assert all(tool["example_calls"] for tool in SHAPES["tools"])


@pytest.mark.parametrize(("tool", "call"), EXAMPLES)
async def test_example_call_is_accepted(demo: Demo, tool: str, call: dict[str, Any]) -> None:
    async with mcp_session(demo.url, TOKEN) as session:
        answer = await session.call_tool(tool, resolved(call))
    assert not answer.is_error, answer.content


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def host_stats_call(begin: int, end: int, **filters: str) -> dict[str, Any]:
    """get_ntopng_host_alert_stats as mcp-ntopng sends it: every argument, '' for unused filters."""
    names = ("alert_id", "severity", "score", "vlan_id", "ip_version", "ip", "name", "host_pool_id", "network")
    return {"ifid": 0, "epoch_begin": begin, "epoch_end": end, **{n: filters.get(n, "") for n in names}}


def flow_stats_call(begin: int, end: int, **filters: str) -> dict[str, Any]:
    """get_ntopng_flow_alert_stats as mcp-ntopng sends it (29 arguments)."""
    arguments: dict[str, Any] = {"ifid": 0, "epoch_begin": begin, "epoch_end": end}
    for argument in FLOW_ALERT_FILTERS:
        if argument["type"] == "string":
            arguments[argument["name"]] = filters.get(argument["name"], "json" if argument["name"] == "format" else "")
    return arguments


def incidents_with(truth: dict[str, Any], table: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(i, a) for i in truth["incidents"] for a in i["evidence"]["alerts"] if a["table"] == table]


async def test_host_alert_filters_follow_the_ground_truth(demo: Demo, truth: dict[str, Any]) -> None:
    cases = incidents_with(truth, "host_alerts")
    assert cases
    for incident, alert in cases:
        begin, end = epoch(incident["start"]), epoch(incident["end"]) + 60
        kind = f"{alert['alert_id']};eq"
        everyone = await call(demo, "get_ntopng_host_alert_stats", host_stats_call(begin, end, alert_id=kind))
        mine = await call(
            demo, "get_ntopng_host_alert_stats", host_stats_call(begin, end, alert_id=kind, ip=f"{alert['entity']};eq")
        )
        others = await call(
            demo, "get_ntopng_host_alert_stats", host_stats_call(begin, end, alert_id=kind, ip=f"{alert['entity']};neq")
        )
        assert mine["total"] >= 1, (incident["kind"], alert)
        assert {e["key"] for e in mine["by_entity"]} == {alert["entity"]}
        assert mine["total"] + others["total"] == everyone["total"], (incident["kind"], alert)
        assert alert["entity"] not in {e["key"] for e in others["by_entity"]}


async def test_severity_and_score_filters_partition_the_answer(demo: Demo, truth: dict[str, Any]) -> None:
    scenario = truth["scenario"]
    begin, end = epoch(scenario["start"]), epoch(scenario["end"]) + 60
    everything = await call(demo, "get_ntopng_host_alert_stats", host_stats_call(begin, end))
    assert everything["total"] > 0
    per_severity = {c["key"]: c["count"] for c in everything["by_severity"]}
    ids = {"notice": 3, "warning": 4, "error": 5, "critical": 6, "emergency": 8}
    for name, count in per_severity.items():
        one = await call(demo, "get_ntopng_host_alert_stats", host_stats_call(begin, end, severity=f"{ids[name]};eq"))
        assert one["total"] == count, name
    low = await call(demo, "get_ntopng_host_alert_stats", host_stats_call(begin, end, score="100;lt"))
    high = await call(demo, "get_ntopng_host_alert_stats", host_stats_call(begin, end, score="100;gte"))
    assert low["total"] + high["total"] == everything["total"]


async def test_flow_alert_filters_follow_the_ground_truth(demo: Demo, truth: dict[str, Any]) -> None:
    flow_incidents = [
        i for i in truth["incidents"] if i["evidence"].get("flows", {}).get("alerted") and len(i["peers"]) == 1
    ]
    assert flow_incidents
    for incident in flow_incidents:
        flows = incident["evidence"]["flows"]
        begin, end = flows["first_seen"], flows["last_seen"] + 1
        host, peer = incident["hosts"][0], incident["peers"][0]
        for status, count in flows["statuses"].items():
            filtered = flow_stats_call(begin, end, alert_id=f"{status};eq", ip=f"{host};eq")
            answer = await call(demo, "get_ntopng_flow_alert_stats", filtered)
            if answer["note"]:  # the demo's alert store has no flows table: flow alerts cannot be counted
                pytest.skip(answer["note"])
            assert answer["total"] >= count, (incident["kind"], status)
            if "/" not in peer:
                pair = flow_stats_call(begin, end, alert_id=f"{status};eq", ip=f"{host};eq", srv_ip=f"{peer};neq",
                                       cli_ip=f"{peer};neq")  # fmt: skip
                assert (await call(demo, "get_ntopng_flow_alert_stats", pair))["total"] <= answer["total"]


async def test_snmp_alert_list_pages_with_start_and_length(demo: Demo, truth: dict[str, Any]) -> None:
    scenario = truth["scenario"]
    base = {
        "ifid": 0, "epoch_begin": epoch(scenario["start"]), "epoch_end": epoch(scenario["end"]) + 60,
        "alert_id": "", "severity": "", "score": "", "ip": "", "snmp_interface": "", "format": "json",
    }  # fmt: skip
    whole = await call(demo, "get_ntopng_snmp_device_alert_list", {**base, "start": 0, "length": 200})
    expected = {(a["table"], a["alert_id"]) for _, a in incidents_with(truth, "snmp_alerts")}
    assert expected and whole["total"] >= len(expected)
    first = await call(demo, "get_ntopng_snmp_device_alert_list", {**base, "start": 0, "length": 2})
    second = await call(demo, "get_ntopng_snmp_device_alert_list", {**base, "start": 2, "length": 2})
    ids = [a["id"] for a in whole["alerts"]]
    assert [a["id"] for a in first["alerts"] + second["alerts"]] == ids[:4]
    for _, alert in incidents_with(truth, "snmp_alerts"):
        typed = await call(
            demo, "get_ntopng_snmp_device_alert_list", {**base, "start": 0, "length": 200,
                                                       "alert_id": f"{alert['alert_id']};eq"}
        )  # fmt: skip
        assert typed["total"] >= 1 and typed["total"] <= whole["total"]
        assert {a["alert_id"] for a in typed["alerts"]} == {alert["alert_id"]}


async def test_top_k_and_flow_queries_find_the_exfiltration(demo: Demo, truth: dict[str, Any]) -> None:
    incident = next(i for i in truth["incidents"] if i["kind"] == "exfiltration")
    flows = incident["evidence"]["flows"]
    host, peer = incident["hosts"][0], incident["peers"][0]
    window = {"ifid": 0, "begin_time_clause": flows["first_seen"], "end_time_clause": flows["last_seen"] + 1}
    where = f"IPV4_SRC_ADDR = IPv4StringToNum('{host}') AND IPV4_DST_ADDR = IPv4StringToNum('{peer}')"
    top = await call(demo, "get_ntopng_top-k_flows", {
        **window, "select_keys_clause": "IPV4_SRC_ADDR,IPV4_DST_ADDR", "select_values_clause": "BYTES",
        "where_clause": "", "topk_clause": "SUM", "approx_search": "true", "maxhits_clause": 10,
    })  # fmt: skip
    assert top["columns"] == ["IPV4_SRC_ADDR", "IPV4_DST_ADDR", "BYTES"]
    assert [host, peer] in [row[:2] for row in top["rows"]]
    pair = next(row for row in top["rows"] if row[:2] == [host, peer])
    assert pair[2] >= flows["bytes"]
    counted = await call(demo, "get_ntopng_top-k_flows", {
        **window, "select_keys_clause": "IPV4_SRC_ADDR", "select_values_clause": "BYTES", "where_clause": where,
        "topk_clause": "COUNT", "approx_search": "false", "maxhits_clause": 5,
    })  # fmt: skip
    assert counted["rows"][0] == [host, flows["count"]] or counted["rows"][0][1] >= flows["count"]
    data = await call(demo, "query_ntopng_flows_data", {
        **window, "select_clause": "count() AS n, SUM(TOTAL_BYTES) AS bytes", "where_clause": where,
        "maxhits_clause": 10, "order_by_clause": "", "group_by_clause": "",
    })  # fmt: skip
    n, total = data["rows"][0]
    assert n >= flows["count"] and total >= flows["bytes"]


async def test_ifid_selects_the_interface_and_unknown_ones_name_the_known(demo: Demo) -> None:
    now = int(datetime.now().timestamp())
    query = {"ifid": 0, "begin_time_clause": now - 7200, "end_time_clause": now, "select_clause": "count() AS n"}
    on_zero = await call(demo, "query_ntopng_flows_data", query)
    assert on_zero["rows"][0][0] > 0
    async with mcp_session(demo.url, TOKEN) as session:
        flows = await session.call_tool("query_ntopng_flows_data", {**query, "ifid": 4242})
        alerts = await session.call_tool(
            "get_ntopng_host_alert_stats", host_stats_call(now - 7200, now) | {"ifid": 4242}
        )
        live = await session.call_tool("fetch_ntopng_top_local_talkers", {"ifid": 4242})
    for answer in (flows, alerts, live):
        assert answer.is_error
        assert "4242" in answer.content[0].text and "0" in answer.content[0].text
        assert "Traceback" not in answer.content[0].text


async def test_malformed_filters_are_clear_errors(demo: Demo) -> None:
    now = int(datetime.now().timestamp())
    async with mcp_session(demo.url, TOKEN) as session:
        bad = await session.call_tool(
            "get_ntopng_host_alert_stats", host_stats_call(now - 3600, now, severity="5;like")
        )
        wrong_type = await session.call_tool("get_ntopng_host_alert_stats", {"ifid": "zero"})
    assert bad.is_error and "value;op" in bad.content[0].text and "eq, neq" in bad.content[0].text
    assert wrong_type.is_error and "ifid" in wrong_type.content[0].text


async def test_flow_alert_port_protocol_and_server_filters_partition_the_dns_c2_alerts(
    demo: Demo, truth: dict[str, Any]
) -> None:
    incident = next(i for i in truth["incidents"] if i["kind"] == "dns_c2")
    flows = incident["evidence"]["flows"]
    ((status, count),) = flows["statuses"].items()
    host, resolver = incident["hosts"][0], incident["peers"][0]
    window = (flows["first_seen"], flows["last_seen"] + 1)
    scope = {"alert_id": f"{status};eq", "cli_ip": f"{host};eq"}

    async def total(**filters: str) -> int:
        answer = await call(demo, "get_ntopng_flow_alert_stats", flow_stats_call(*window, **scope, **filters))
        if answer["note"]:
            pytest.skip(answer["note"])
        return int(answer["total"])

    base = await total()
    assert base >= count
    for name, value in (("srv_port", "53"), ("l7proto", "DNS"), ("srv_ip", resolver)):
        matching, other = await total(**{name: f"{value};eq"}), await total(**{name: f"{value};neq"})
        assert matching >= count, name
        assert matching + other == base, name
