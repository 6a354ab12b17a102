"""Seed 003's arguments (elastickent/netflow_mcp 055fdc3, tests/compat/upstream/netflow_es.json) resolved beside
netscope's own: one window, one set of detectors, one host; two ways of saying one thing is a clear error."""

from __future__ import annotations

import pytest
from mcp.server.mcpserver.exceptions import ToolError

from netscope.flows.v1 import flows_pb2
from netscope_aggregator.tools.shared import seed_args
from netscope_aggregator.tools.shared.flow_filter import flow_filter
from netscope_aggregator.tools.shared.seed_args import anomaly_kinds, host_ip, window_hours
from tests.integration.flows_elastic.seed_shapes import ANOMALY_TYPES, DIRECTIONS, UPSTREAM


def test_the_mappings_are_those_the_flows_tests_use() -> None:
    for name, kinds in ANOMALY_TYPES.items():
        assert [flows_pb2.AnomalyKind.Value(f"ANOMALY_KIND_{k.upper()}") for k in anomaly_kinds([], name)] == kinds
    assert seed_args.DIRECTIONS == DIRECTIONS
    tools = {t["name"]: t for t in UPSTREAM["tools"]}
    allowed = next(a["allowed"] for a in tools["find_anomalies"]["arguments"] if a["name"] == "anomaly_type")
    assert sorted(allowed) == sorted(seed_args.ANOMALY_TYPES)


def test_a_window_is_hours_or_time_range_with_the_tools_default() -> None:
    assert window_hours(None, None, 24) == (24, "")
    assert window_hours(2, None, 24) == (2, "")
    assert window_hours(None, " now-15m ", 24) == (None, "now-15m")
    with pytest.raises(ToolError, match=r"give either hours \(2\) or time_range \('now-1h'\), not both"):
        window_hours(2, "now-1h", 24)


def test_a_time_range_filter_has_no_window() -> None:
    since = flow_filter(None, time_range="now-7d")
    assert since.time_range == "now-7d" and not since.HasField("window")
    assert flow_filter(1).HasField("window") and not flow_filter(1).time_range


def test_kinds_or_anomaly_type_not_both() -> None:
    assert anomaly_kinds(["beaconing"], None) == ["beaconing"]
    assert anomaly_kinds([], "port_scan") == ["horizontal_scan", "vertical_scan"]
    with pytest.raises(ToolError, match="rare_ports = rare_port"):
        anomaly_kinds(["beaconing"], "all")


def test_the_host_is_ip_or_ip_address() -> None:
    assert host_ip(None, "10.1.2.42") == "10.1.2.42"
    assert host_ip("10.1.2.42", "10.1.2.42") == "10.1.2.42"
    with pytest.raises(ToolError, match="not two different addresses"):
        host_ip("10.1.2.42", "10.1.2.43")
    with pytest.raises(ToolError, match=r"give the host's address as ip \(or ip_address\)"):
        host_ip(None, "")
