"""Seed 003 (NetFlow in Elasticsearch): every example call of tests/compat/upstream/netflow_es.json, shaped as
elastickent/netflow_mcp's clients send them (upstream at the commit recorded in that file, 055fdc3), is accepted
by the demo stack, and the seed's arguments change the answers as they say (anomaly_type finds the scenario's
incidents of that kind, direction, focus, include_analysis); a call giving one thing two ways is a clear error.

The accepted/total figure is the count of `test_example_call_is_accepted` cases that pass.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.compat.conftest import TOKEN, call, upstream
from tests.e2e.conftest import mcp_session
from tests.support.demo import Demo

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

SHAPES = upstream("netflow_es.json")
EXAMPLES = [
    pytest.param(tool["name"], call["arguments"], id=f"{tool['name']}[{i}]")
    for tool in SHAPES["tools"]
    for i, call in enumerate(tool["example_calls"])
]
WHOLE_DEMO = "now-5h"  # the demo holds 4 h of history up to now


def incident(truth: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(i for i in truth["incidents"] if i["kind"] == kind)


async def refused(demo: Demo, tool: str, arguments: dict[str, Any]) -> str:
    async with mcp_session(demo.url, TOKEN) as session:
        answer = await session.call_tool(tool, arguments)
    assert answer.is_error
    return str(answer.content[0].text)  # type: ignore[union-attr]


def test_every_upstream_tool_has_an_example_call() -> None:
    assert [t["name"] for t in SHAPES["tools"]] == [
        "analyze_traffic",
        "detect_bottlenecks",
        "find_anomalies",
        "investigate_host",
        "get_recommendations",
    ]
    assert all(tool["example_calls"] for tool in SHAPES["tools"])


@pytest.mark.parametrize(("tool", "arguments"), EXAMPLES)
async def test_example_call_is_accepted(demo: Demo, tool: str, arguments: dict[str, Any]) -> None:
    async with mcp_session(demo.url, TOKEN) as session:
        answer = await session.call_tool(tool, arguments)
    assert not answer.is_error, answer.content


@pytest.mark.parametrize(
    ("anomaly_type", "kinds", "incidents"),
    [
        ("port_scan", {"horizontal_scan", "vertical_scan"}, ("horizontal_scan", "vertical_scan")),
        ("rare_ports", {"rare_port"}, ("rare_port",)),
    ],
)
async def test_anomaly_type_finds_the_scenarios_incidents_of_that_kind(
    demo: Demo, truth: dict[str, Any], anomaly_type: str, kinds: set[str], incidents: tuple[str, ...]
) -> None:
    answer = await call(
        demo, "find_anomalies", {"anomaly_type": anomaly_type, "time_range": WHOLE_DEMO, "max_findings": 50}
    )
    assert answer["findings"] and {f["kind"] for f in answer["findings"]} <= kinds
    for kind in incidents:
        hosts = {h for f in answer["findings"] if f["kind"] == kind for h in f.get("hosts", [])}
        assert set(incident(truth, kind)["hosts"]) <= hosts, kind


async def test_anomaly_type_traffic_spike_runs_the_spike_and_drop_detectors_only(demo: Demo) -> None:
    answer = await call(demo, "find_anomalies", {"anomaly_type": "traffic_spike", "time_range": WHOLE_DEMO})
    assert {f["kind"] for f in answer["findings"]} <= {"traffic_spike", "traffic_drop"}
    every = await call(demo, "find_anomalies", {"anomaly_type": "all", "time_range": WHOLE_DEMO, "max_findings": 50})
    assert len({f["kind"] for f in every["findings"]}) > 2


async def test_investigate_host_by_ip_address_and_direction(demo: Demo, truth: dict[str, Any]) -> None:
    host = incident(truth, "horizontal_scan")["hosts"][0]
    both = await call(demo, "investigate_host", {"ip_address": host, "time_range": WHOLE_DEMO})
    assert both["history"]["as_client"]["flows"] > 0
    source = await call(demo, "investigate_host", {"ip_address": host, "direction": "source", "time_range": WHOLE_DEMO})
    assert source["history"]["as_client"]["flows"] == both["history"]["as_client"]["flows"]
    assert source["history"].get("as_server", {}).get("flows", 0) == 0
    assert "alerts" in source or "alerts" in source.get("missing", {})
    same = await call(demo, "investigate_host", {"ip": host, "hours": 5})
    assert same["history"]["as_client"]["flows"] == both["history"]["as_client"]["flows"]


async def test_focus_selects_the_rankings(demo: Demo) -> None:
    whole = await call(demo, "analyze_traffic", {"time_range": WHOLE_DEMO, "focus": "summary"})
    assert {"top_talkers", "top_services", "top_destinations"} <= set(whole)
    talkers = await call(demo, "analyze_traffic", {"time_range": WHOLE_DEMO, "focus": "top_talkers"})
    assert talkers["top_talkers"] == whole["top_talkers"] and "top_services" not in talkers
    services = await call(demo, "analyze_traffic", {"time_range": WHOLE_DEMO, "focus": "services"})
    assert services["top_services"] == whole["top_services"] and "top_talkers" not in services
    assert services["totals"] == whole["totals"]


async def test_include_analysis_false_leaves_out_the_evidence(demo: Demo) -> None:
    full = await call(demo, "get_recommendations", {"time_range": WHOLE_DEMO, "include_analysis": True})
    bare = await call(demo, "get_recommendations", {"time_range": WHOLE_DEMO, "include_analysis": False})
    assert full["recommendations"] and any("evidence" in r for r in full["recommendations"])
    assert [r["title"] for r in bare["recommendations"]] == [r["title"] for r in full["recommendations"]]
    assert not any("evidence" in r or "evidence_filter" in r for r in bare["recommendations"])


async def test_one_thing_given_two_ways_is_a_clear_error(demo: Demo) -> None:
    both_windows = await refused(demo, "detect_bottlenecks", {"hours": 1, "time_range": "now-1h"})
    assert "give either hours (1) or time_range ('now-1h'), not both" in both_windows
    both_kinds = await refused(demo, "find_anomalies", {"kinds": ["beaconing"], "anomaly_type": "port_scan"})
    assert "give either kinds (beaconing) or anomaly_type ('port_scan'), not both" in both_kinds
    assert "port_scan = horizontal_scan, vertical_scan" in both_kinds
    no_host = await refused(demo, "investigate_host", {"direction": "source"})
    assert "give the host's address as ip (or ip_address)" in no_host
    bad_range = await refused(demo, "analyze_traffic", {"time_range": "yesterday-ish"})
    assert "time_range" in bad_range
