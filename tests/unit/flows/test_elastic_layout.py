"""The Elasticsearch backend names every document field through its FieldLayout: a layout with other field
names changes the queries, sorts, rankings and document reads, and nothing else."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

from netscope.flows.v1 import flows_pb2
from netscope_common.timeutil import make_window
from netscope_flows.elastic import keys, pages
from netscope_flows.elastic.layout import SCENARIO, value
from netscope_flows.elastic.query import compile_es_filter

# The fields of a layout unlike the scenario's: the time in @timestamp, flat names elsewhere.
OTHER = dataclasses.replace(
    SCENARIO,
    name="other",
    start="@timestamp",
    bytes="net.octets",
    packets="net.pkts",
    src_ip="src.addr",
    dst_ip="dst.addr",
    dst_port="dst.port",
    exporter="exporter.addr",
    ingress="if.in",
    egress="if.out",
    flow_id="fid",
)
WINDOW = make_window(datetime(2026, 11, 20, 10, tzinfo=UTC), datetime(2026, 11, 20, 11, tzinfo=UTC))


def test_filters_query_the_layouts_fields() -> None:
    flt = flows_pb2.FlowFilter(window=WINDOW, src_ip="10.1.0.0/16", dst_port=443, exporter="192.0.2.1", if_index=3)
    text = json.dumps(compile_es_filter(flt, OTHER).query)
    for field in ("@timestamp", "src.addr", "dst.port", "exporter.addr", "if.in", "if.out"):
        assert f'"{field}"' in text
    for scenario_field in ("event.start", "source.ip", "destination.port", "observer.ip"):
        assert scenario_field not in text


def test_sorts_and_rankings_use_the_layouts_fields() -> None:
    request = flows_pb2.SearchFlowsRequest(sort=flows_pb2.FLOW_SORT_BYTES)
    assert pages.sort_of(OTHER, request) == [{"net.octets": "desc"}, {"fid": "desc"}]
    assert keys.dimension(OTHER, flows_pb2.TOP_K_DIMENSION_IP_PAIR) == (("src.addr", "dst.addr"), "{0} -> {1}")
    assert keys.sums(OTHER)["packets"] == {"sum": {"field": "net.pkts"}}


def test_documents_are_read_through_the_layout() -> None:
    document = {
        "@timestamp": "2026-11-20T10:00:00Z",
        "src": {"addr": "10.1.2.3"},
        "dst": {"addr": "203.0.113.9", "port": 443},
        "net": {"octets": 1500, "pkts": 3},
        "exporter": {"addr": "192.0.2.1"},
        "if": {"in": 3, "out": 7},
        "fid": 42,
    }
    record = pages.to_record(OTHER, document)
    assert (record.src_ip, record.dst_ip, record.dst_port) == ("10.1.2.3", "203.0.113.9", 443)
    assert (record.bytes, record.packets, record.flow_id) == (1500, 3, 42)
    assert (record.exporter, record.input_if_index, record.output_if_index) == ("192.0.2.1", 3, 7)
    assert record.first_seen.ToDatetime(tzinfo=UTC) == datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert value(document, "dst.missing.field") is None
