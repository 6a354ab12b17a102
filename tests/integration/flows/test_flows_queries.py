"""SearchFlows, StreamFlows, TimeSeries, CountryStats, ListProtocols, device stats and TopK on the scenario."""

from __future__ import annotations

import ipaddress
from collections import Counter
from datetime import timedelta

import grpc
import pytest

from netscope.flows.v1 import flows_pb2
from netscope_common.timeutil import make_window
from netscope_ntopng.ndpi import l7_name
from netscope_scenario.model import Flow
from netscope_scenario.topology import DGA_HOST, EXFIL_HOST
from netscope_scenario.world import World
from tests.integration.flows.conftest import FlowsService

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def all_flows(scenario_world: World) -> list[Flow]:
    return list(scenario_world.flows())


def whole(world: World, **fields: object) -> flows_pb2.FlowFilter:
    return flows_pb2.FlowFilter(window=make_window(world.start, world.end), **fields)  # type: ignore[arg-type]


def invalid(exc: pytest.ExceptionInfo[grpc.RpcError]) -> str:
    assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT, exc.value.details()
    return str(exc.value.details())


def test_search_by_src_ip_matches_the_world(
    flows_service: FlowsService, scenario_world: World, all_flows: list[Flow]
) -> None:
    expected = sorted((f.flow_id for f in all_flows if f.client.ip == EXFIL_HOST), reverse=True)
    answer = flows_service.stub.SearchFlows(
        flows_pb2.SearchFlowsRequest(filter=whole(scenario_world, src_ip=EXFIL_HOST), page_size=1000)
    )
    assert [f.flow_id for f in answer.flows] == expected[:1000]
    first = answer.flows[0]
    assert first.src_ip == EXFIL_HOST and first.l4_proto in {"tcp", "udp", "icmp"}
    assert first.l7_proto and not first.l7_proto.isdigit()


def test_search_filters_combine(flows_service: FlowsService, scenario_world: World, all_flows: list[Flow]) -> None:
    net = ipaddress.ip_network("10.1.0.0/16")
    expected = {
        f.flow_id
        for f in all_flows
        if ipaddress.ip_address(f.client.ip) in net
        and f.server_port == 53
        and f.protocol == 17
        and l7_name(f.l7_proto) == "DNS"
        and f.c2s_bytes + f.s2c_bytes >= 100
    }
    flt = whole(scenario_world, src_ip="10.1.0.0/16", dst_port=53, l4_proto="udp", l7_proto="dns", min_bytes=100)
    got: set[int] = set()
    for page in flows_service.stub.StreamFlows(flows_pb2.SearchFlowsRequest(filter=flt, page_size=1000)):
        got.update(f.flow_id for f in page.flows)
    assert got == expected and expected


def test_search_pages_are_disjoint_and_sorted(flows_service: FlowsService, scenario_world: World) -> None:
    request = flows_pb2.SearchFlowsRequest(
        filter=whole(scenario_world, host=DGA_HOST), sort=flows_pb2.FLOW_SORT_BYTES, page_size=50
    )
    first = flows_service.stub.SearchFlows(request)
    assert first.next_page_token
    request.page_token = first.next_page_token
    second = flows_service.stub.SearchFlows(request)
    sizes = [f.bytes for f in [*first.flows, *second.flows]]
    assert sizes == sorted(sizes, reverse=True)
    assert not {f.flow_id for f in first.flows} & {f.flow_id for f in second.flows}


def test_search_min_score_and_country(flows_service: FlowsService, scenario_world: World) -> None:
    answer = flows_service.stub.SearchFlows(
        flows_pb2.SearchFlowsRequest(filter=whole(scenario_world, min_score=200, country="ru"), page_size=100)
    )
    assert answer.flows
    assert all(f.score >= 200 and "RU" in (f.src_country, f.dst_country) for f in answer.flows)


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"src_ip": "10.1.2.300"}, "src_ip must be an IPv4/IPv6 address or CIDR"),
        ({"host": "10.0.0.0/33"}, "host must be an IPv4/IPv6 address or CIDR"),
        ({"l7_proto": "NoSuchProto"}, "unknown L7 protocol 'NoSuchProto'"),
        ({"l4_proto": "tcpx"}, "l4_proto must be one of tcp, udp, icmp"),
        ({"country": "Netherlands"}, "country must be an ISO 3166 two-letter code"),
        ({"dst_port": 70000}, "dst_port must be a port 0-65535"),
        ({"exporter": "router-1"}, "exporter must be the exporter's IPv4 address"),
    ],
)
def test_bad_filters_are_refused_with_the_field(
    flows_service: FlowsService, scenario_world: World, fields: dict[str, object], needle: str
) -> None:
    with pytest.raises(grpc.RpcError) as exc:
        flows_service.stub.SearchFlows(flows_pb2.SearchFlowsRequest(filter=whole(scenario_world, **fields)))
    assert needle in invalid(exc)


def test_inverted_window_page_size_and_foreign_token(flows_service: FlowsService, scenario_world: World) -> None:
    inverted = flows_pb2.FlowFilter(window=make_window(scenario_world.end, scenario_world.start))
    with pytest.raises(grpc.RpcError) as exc:
        flows_service.stub.SearchFlows(flows_pb2.SearchFlowsRequest(filter=inverted))
    assert "time window is empty or inverted" in invalid(exc)
    with pytest.raises(grpc.RpcError) as exc:
        flows_service.stub.SearchFlows(flows_pb2.SearchFlowsRequest(filter=whole(scenario_world), page_size=5000))
    assert "page_size must be between 1 and 1000" in invalid(exc)
    first = flows_service.stub.SearchFlows(flows_pb2.SearchFlowsRequest(filter=whole(scenario_world), page_size=10))
    with pytest.raises(grpc.RpcError) as exc:
        flows_service.stub.SearchFlows(
            flows_pb2.SearchFlowsRequest(filter=whole(scenario_world, l4_proto="udp"), page_token=first.next_page_token)
        )
    assert "page_token belongs to a search with another filter" in invalid(exc)
    with pytest.raises(grpc.RpcError) as exc:
        flows_service.stub.SearchFlows(flows_pb2.SearchFlowsRequest(filter=whole(scenario_world), page_token="%%"))
    assert "page_token is not a token this service issued" in invalid(exc)


def test_timeseries_total_matches_the_world(
    flows_service: FlowsService, scenario_world: World, all_flows: list[Flow]
) -> None:
    answer = flows_service.stub.TimeSeries(
        flows_pb2.TimeSeriesRequest(filter=whole(scenario_world), metric=flows_pb2.METRIC_FLOWS)
    )
    assert answer.bucket_seconds == 1800  # 24 h / ~60 buckets, rounded to a nice width
    (series,) = answer.series
    assert series.key == "total" and len(series.points) == 48
    assert sum(p.value for p in series.points) == len(all_flows)


def test_timeseries_grouped_by_l7_uses_names(flows_service: FlowsService, scenario_world: World) -> None:
    answer = flows_service.stub.TimeSeries(
        flows_pb2.TimeSeriesRequest(
            filter=whole(scenario_world),
            group_by=flows_pb2.TOP_K_DIMENSION_L7_PROTO,
            top_n=3,
            bucket_seconds=3600,
        )
    )
    assert len(answer.series) == 3
    assert all(not s.key.isdigit() for s in answer.series)
    with pytest.raises(grpc.RpcError) as exc:
        flows_service.stub.TimeSeries(flows_pb2.TimeSeriesRequest(filter=whole(scenario_world), bucket_seconds=5))
    assert "bucket_seconds must be at least 10" in invalid(exc)
    with pytest.raises(grpc.RpcError) as exc:
        flows_service.stub.TimeSeries(flows_pb2.TimeSeriesRequest(filter=whole(scenario_world), top_n=1000))
    assert "top_n must be between 1 and 20" in invalid(exc)


def test_topk_l7_keys_are_names_and_k_is_bounded(flows_service: FlowsService, scenario_world: World) -> None:
    answer = flows_service.stub.TopK(
        flows_pb2.TopKRequest(
            window=make_window(scenario_world.start, scenario_world.end),
            dimension=flows_pb2.TOP_K_DIMENSION_L7_PROTO,
            metric=flows_pb2.METRIC_FLOWS,
            k=3,
        )
    )
    assert answer.entries[0].key == "DNS"
    with pytest.raises(grpc.RpcError) as exc:
        flows_service.stub.TopK(flows_pb2.TopKRequest(k=10**9))
    assert "k must be between 1 and 1000" in invalid(exc)


def test_country_stats(flows_service: FlowsService, scenario_world: World, all_flows: list[Flow]) -> None:
    answer = flows_service.stub.CountryStats(flows_pb2.CountryStatsRequest(filter=whole(scenario_world), k=50))
    by_country = {c.country: c for c in answer.countries}
    expected = Counter(f.server.country for f in all_flows if f.server.country) + Counter(
        f.client.country for f in all_flows if f.client.country
    )
    assert {c: s.flows for c, s in by_country.items()} == dict(expected)
    totals = [c.bytes_sent + c.bytes_received for c in answer.countries]
    assert totals == sorted(totals, reverse=True)
    with pytest.raises(grpc.RpcError) as exc:
        flows_service.stub.CountryStats(flows_pb2.CountryStatsRequest(k=10**9))
    assert "k must be between 1 and 300" in invalid(exc)


def test_list_protocols(flows_service: FlowsService) -> None:
    names = {p.name: p.id for p in flows_service.stub.ListProtocols(flows_pb2.ListProtocolsRequest()).protocols}
    assert names["DNS"] == 5 and names["TLS"] == 91
    tls = flows_service.stub.ListProtocols(flows_pb2.ListProtocolsRequest(name_contains="tls")).protocols
    assert {p.name for p in tls} >= {"TLS"} and all("tls" in p.name.lower() for p in tls)


def test_device_stats_per_exporter_and_interface(
    flows_service: FlowsService, scenario_world: World, all_flows: list[Flow]
) -> None:
    answer = flows_service.stub.FlowDeviceStats(flows_pb2.DeviceStatsRequest(filter=whole(scenario_world)))
    assert sum(e.flows for e in answer.exporters) == len(all_flows)
    for exporter in answer.exporters:
        assert exporter.interfaces
        assert sum(i.in_flows for i in exporter.interfaces) == exporter.flows
        assert sum(i.in_bytes for i in exporter.interfaces) == exporter.bytes
    one = answer.exporters[0].exporter
    sflow = flows_service.stub.SflowDeviceStats(
        flows_pb2.DeviceStatsRequest(filter=whole(scenario_world, exporter=one))
    )
    assert [e.exporter for e in sflow.exporters] == [one]


def test_default_window_is_the_last_hour(flows_service: FlowsService, scenario_world: World) -> None:
    answer = flows_service.stub.SearchFlows(flows_pb2.SearchFlowsRequest())
    assert answer.window_end.ToDatetime() - answer.window_start.ToDatetime() == timedelta(hours=1)
