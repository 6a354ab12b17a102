"""Field layouts detected from an index mapping, requests refused by the field they lack, and seed 003's
arguments and customisation (time_range, interface map, service ports). The seed's field list and maps are
from elastickent/netflow_mcp at 055fdc3 (tests/compat/upstream/netflow_es.json)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from netscope.flows.v1 import flows_pb2
from netscope_common.errors import FailedPrecondition, InvalidArgument
from netscope_flows import arguments
from netscope_flows.elastic import pages, spread
from netscope_flows.elastic.index import EsIndex
from netscope_flows.elastic.layout import detect, fields_named, mapped_fields
from netscope_flows.elastic.loader import MAPPING
from netscope_flows.interface_map import load_interface_map, lookup
from netscope_flows.service_ports import ServicePorts
from netscope_flows.settings import FlowsSettings

UPSTREAM = json.loads((Path(__file__).parents[2] / "compat/upstream/netflow_es.json").read_text())
SEED_FIELDS = {*UPSTREAM["document_fields"]["required_by_queries"], *UPSTREAM["document_fields"]["read_but_unused"]}


def _mapping(drop: set[str] = frozenset(), keep: set[str] | None = None) -> dict[str, object]:
    """The scenario's index mapping, with fields dropped (or only `keep`), as get-mapping answers it."""
    props = copy.deepcopy(MAPPING["properties"])

    def prune(tree: dict[str, dict], prefix: str) -> None:
        for name in list(tree):
            path = f"{prefix}{name}"
            if "properties" in tree[name]:
                prune(tree[name]["properties"], f"{path}.")
                if not tree[name]["properties"]:
                    del tree[name]
            elif path in drop or (keep is not None and path not in keep):
                del tree[name]

    prune(props, "")
    return {"logs-netflow-2026.11.20": {"mappings": {"properties": props}}}


def test_each_layout_is_detected_from_its_mapping() -> None:
    scenario = detect(mapped_fields(_mapping()))
    assert scenario.name == "scenario" and not scenario.absent
    ecs = detect(mapped_fields(_mapping(drop={"netflow.application_name", "dns.question.name"})))
    assert ecs.name == "ecs" and ecs.absent == {"network.application", "dns.question.name"}
    seed = detect(mapped_fields(_mapping(keep=SEED_FIELDS)))
    assert seed.name == "seed-minimal" and seed.start == "@timestamp"
    assert {"event.duration", "observer.ip", "flow.id", "related.ip", "network.direction"} <= seed.absent
    assert not {"@timestamp", "network.bytes", "destination.port", "netflow.ingress_interface"} & seed.absent


def test_a_request_on_a_missing_field_names_it() -> None:
    index = EsIndex(FlowsSettings(backend="elasticsearch"))
    index.layout = detect(mapped_fields(_mapping(keep=SEED_FIELDS)))
    body = {"query": {"bool": {"filter": [{"term": {"observer.ip": "192.0.2.1"}}]}}, "aggs": {}}
    with pytest.raises(FailedPrecondition) as raised:
        index.check_fields(body, "filter.exporter")
    message = str(raised.value)
    assert "observer.ip" in message and "logs-netflow*" in message and "seed-minimal" in message
    assert "NETSCOPE_FLOWS_ES_LAYOUT" in message
    index.check_fields({"aggs": {"b": {"sum": {"field": "network.bytes"}}}})  # present: no error


def test_fields_named_finds_fields_in_clauses_aggregations_and_sorts() -> None:
    body = {
        "query": {
            "bool": {"filter": [{"range": {"@timestamp": {"gte": 1}}}, {"terms": {"source.ip": ["10.0.0.0/8"]}}]}
        },
        "aggs": {"t": {"terms": {"field": "destination.port"}, "aggs": {"s": {"sum": {"field": "network.bytes"}}}}},
        "sort": [{"flow.id": "desc"}],
    }
    assert fields_named(body) == {"@timestamp", "source.ip", "destination.port", "network.bytes", "flow.id"}


def test_without_a_duration_each_flow_stays_in_its_start_bucket() -> None:
    seed = detect(mapped_fields(_mapping(keep=SEED_FIELDS)))
    body = spread.histogram(seed, 60, ["network.bytes"])
    assert "event.duration" not in json.dumps(body)
    buckets = [{"key": 60_000, "network.bytes": {"value": 500.0}}, {"key": 120_000, "network.bytes": {"value": 7.0}}]
    assert dict(spread.spread(buckets, 60, "network.bytes", 10_000)) == {60: 500.0, 120: 7.0}


def test_time_range_takes_date_math_and_dates() -> None:
    now = datetime.now(UTC)
    window = arguments.time_range("now-15m")
    start, end = window.start.ToDatetime(tzinfo=UTC), window.end.ToDatetime(tzinfo=UTC)
    assert abs((end - start) - timedelta(minutes=15)) < timedelta(seconds=5) and abs(end - now) < timedelta(seconds=5)
    day = arguments.time_range("now-1d/d").start.ToDatetime(tzinfo=UTC)
    assert day == (now - timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    fixed = arguments.time_range("2025-11-01T00:00:00Z").start.ToDatetime(tzinfo=UTC)
    assert fixed == datetime(2025, 11, 1, tzinfo=UTC)


def test_bad_time_ranges_say_what_is_allowed() -> None:
    with pytest.raises(
        InvalidArgument, match=r"time_range must be Elasticsearch date math such as now-15m.*got 'soon'"
    ):
        arguments.time_range("soon")
    with pytest.raises(InvalidArgument, match="must start before now"):
        arguments.time_range("now+1h")
    both = flows_pb2.FlowFilter(time_range="now-1h")
    both.window.start.GetCurrentTime()
    with pytest.raises(InvalidArgument, match=r"set either window or filter\.time_range, not both"):
        arguments.resolved(both)
    with pytest.raises(InvalidArgument, match="unknown direction 9"):
        arguments.host_direction(9)


def test_the_seed_interface_map_names_interfaces_and_sets_capacities(tmp_path: Path) -> None:
    seed_map = {k: v for k, v in UPSTREAM["configuration"]["interfaces"].items() if k != "customisation"}
    table = load_interface_map(json.dumps(seed_map))
    assert lookup(table, "192.0.2.1", 1).name == "WAN-1" and lookup(table, "", 3).capacity_bps == 1_000_000_000
    path = tmp_path / "interfaces.yaml"
    path.write_text("'192.0.2.1:7': {name: branch-uplink, capacity_mbps: 50}\n2: {name: LAN-1, capacity_mbps: 10000}\n")
    table = load_interface_map(str(path))
    assert lookup(table, "192.0.2.1", 7).capacity_bps == 50_000_000 and lookup(table, "192.0.2.9", 7) is None
    with pytest.raises(FailedPrecondition, match=r"not a usable interface map.*IFINDEX or EXPORTER_IP:IFINDEX"):
        load_interface_map('{"eth0": {"name": "x"}}')


def test_service_ports_name_ports_as_the_seed_does() -> None:
    names = ServicePorts({4444: "Metasploit"})
    seed = UPSTREAM["configuration"]["service_ports"]["map"]
    assert all(names.name(int(port)) == name for port, name in seed.items())
    assert names.key_name("443/tcp") == "HTTPS" and names.key_name("4444") == "Metasploit"
    assert names.name(31337) == "Port-31337" and names.key_name("10.0.0.1") == ""


def test_a_seed_document_reads_as_one_direction() -> None:
    seed = detect(mapped_fields(_mapping(keep=SEED_FIELDS)))
    doc = {"@timestamp": "2026-11-20T10:00:00.000Z", "network": {"bytes": 1500, "packets": 3},
           "source": {"ip": "10.1.2.27"}, "destination": {"ip": "45.95.147.236", "port": 4444}}  # fmt: skip
    record = pages.to_record(seed, doc)
    assert (record.bytes, record.src2dst_bytes, record.dst2src_bytes, record.dst_port) == (1500, 1500, 0, 4444)
    assert record.first_seen == record.last_seen and record.first_seen.seconds
    assert pages.sort_of(seed, flows_pb2.SearchFlowsRequest()) == [{"@timestamp": "desc"}, {"source.ip": "desc"}]
