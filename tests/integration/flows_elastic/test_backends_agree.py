"""The same questions on chdb and on Elasticsearch (osmem), each answer checked against a recount of the world."""

from __future__ import annotations

import ipaddress
from collections import Counter

import grpc
import pytest

from netscope.flows.v1 import flows_pb2
from netscope_common.timeutil import make_window
from netscope_ntopng.ndpi import l7_name
from netscope_scenario.model import Flow, Incident
from netscope_scenario.world import World
from tests.integration.flows_elastic.conftest import FlowsService
from tests.support.bottlenecks import assert_link_saturation_is_the_one_bottleneck

pytestmark = pytest.mark.integration
K = flows_pb2.AnomalyKind
L4 = {6: "tcp", 17: "udp", 1: "icmp"}


def whole(world: World, **fields: object) -> flows_pb2.FlowFilter:
    return flows_pb2.FlowFilter(window=make_window(world.start, world.end), **fields)  # type: ignore[arg-type]


def app(f: Flow) -> str:
    """The nDPI name ECS documents carry (the master protocol when there is no sub-protocol)."""
    return l7_name(f.l7_proto or f.l7_master)


def invalid(exc: pytest.ExceptionInfo[grpc.RpcError]) -> str:
    assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT, exc.value.details()
    return str(exc.value.details())


def busiest_client(flows: list[Flow]) -> str:
    return Counter(f.client.ip for f in flows).most_common(1)[0][0]


def test_search_by_src_ip_matches_the_world(service: FlowsService, world: World, flows: list[Flow]) -> None:
    host = busiest_client(flows)
    expected = sorted((f.flow_id for f in flows if f.client.ip == host), reverse=True)
    answer = service.stub.SearchFlows(flows_pb2.SearchFlowsRequest(filter=whole(world, src_ip=host), page_size=1000))
    assert sorted((f.flow_id for f in answer.flows), reverse=True) == expected[:1000]
    first = answer.flows[0]
    assert first.src_ip == host and first.l4_proto in {"tcp", "udp", "icmp"}
    assert first.l7_proto and not first.l7_proto.isdigit()
    assert first.first_seen.seconds and first.bytes == first.src2dst_bytes + first.dst2src_bytes


def test_filters_combine_over_streamed_pages(service: FlowsService, world: World, flows: list[Flow]) -> None:
    net = ipaddress.ip_network("10.1.0.0/16")
    expected = {
        f.flow_id
        for f in flows
        if ipaddress.ip_address(f.client.ip) in net
        and f.server_port == 53
        and f.protocol == 17
        and app(f) == "DNS"
        and f.c2s_bytes + f.s2c_bytes >= 100
    }
    flt = whole(world, src_ip="10.1.0.0/16", dst_port=53, l4_proto="udp", l7_proto="dns", min_bytes=100)
    got: list[int] = []
    for page in service.stub.StreamFlows(flows_pb2.SearchFlowsRequest(filter=flt, page_size=20)):
        got.extend(f.flow_id for f in page.flows)
    assert len(got) == len(set(got)) and set(got) == expected and len(expected) > 20


def test_pages_are_disjoint_and_sorted(service: FlowsService, world: World) -> None:
    request = flows_pb2.SearchFlowsRequest(filter=whole(world), sort=flows_pb2.FLOW_SORT_BYTES, page_size=50)
    first = service.stub.SearchFlows(request)
    request.page_token = first.next_page_token
    second = service.stub.SearchFlows(request)
    sizes = [f.bytes for f in [*first.flows, *second.flows]]
    assert len(sizes) == 100 and sizes == sorted(sizes, reverse=True)
    assert not {f.flow_id for f in first.flows} & {f.flow_id for f in second.flows}


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
    service: FlowsService, world: World, fields: dict[str, object], needle: str
) -> None:
    with pytest.raises(grpc.RpcError) as exc:
        service.stub.SearchFlows(flows_pb2.SearchFlowsRequest(filter=whole(world, **fields)))
    assert needle in invalid(exc)


def test_inverted_window_page_size_and_foreign_token(service: FlowsService, world: World) -> None:
    with pytest.raises(grpc.RpcError) as exc:
        service.stub.SearchFlows(
            flows_pb2.SearchFlowsRequest(filter=flows_pb2.FlowFilter(window=make_window(world.end, world.start)))
        )
    assert "time window is empty or inverted" in invalid(exc)
    with pytest.raises(grpc.RpcError) as exc:
        service.stub.SearchFlows(flows_pb2.SearchFlowsRequest(filter=whole(world), page_size=5000))
    assert "page_size must be between 1 and 1000" in invalid(exc)
    first = service.stub.SearchFlows(flows_pb2.SearchFlowsRequest(filter=whole(world), page_size=10))
    with pytest.raises(grpc.RpcError) as exc:
        service.stub.SearchFlows(
            flows_pb2.SearchFlowsRequest(filter=whole(world, l4_proto="udp"), page_token=first.next_page_token)
        )
    assert "page_token belongs to a search with another filter" in invalid(exc)
    with pytest.raises(grpc.RpcError) as exc:
        service.stub.SearchFlows(flows_pb2.SearchFlowsRequest(filter=whole(world), page_token="%%"))
    assert "page_token is not a token this service issued" in invalid(exc)


def test_timeseries_total_matches_the_world(service: FlowsService, world: World, flows: list[Flow]) -> None:
    answer = service.stub.TimeSeries(flows_pb2.TimeSeriesRequest(filter=whole(world), metric=flows_pb2.METRIC_FLOWS))
    assert answer.bucket_seconds == 1800
    (series,) = answer.series
    per_bucket = Counter(f.first_seen // 1800 * 1800 for f in flows)
    assert series.key == "total"
    assert {p.time.seconds: int(p.value) for p in series.points} == dict(per_bucket)
    by_bytes = service.stub.TimeSeries(flows_pb2.TimeSeriesRequest(filter=whole(world), bucket_seconds=3600))
    assert sum(p.value for p in by_bytes.series[0].points) == sum(f.c2s_bytes + f.s2c_bytes for f in flows)


def test_timeseries_grouped_by_l7_top_n(service: FlowsService, world: World, flows: list[Flow]) -> None:
    answer = service.stub.TimeSeries(
        flows_pb2.TimeSeriesRequest(
            filter=whole(world),
            metric=flows_pb2.METRIC_FLOWS,
            group_by=flows_pb2.TOP_K_DIMENSION_L7_PROTO,
            top_n=3,
            bucket_seconds=3600,
        )
    )
    counts = Counter(app(f) for f in flows)
    top = sorted(counts, key=lambda k: (-counts[k], k))[:3]
    assert sorted(s.key for s in answer.series) == sorted(top)
    for s in answer.series:
        assert sum(p.value for p in s.points) == counts[s.key]
    with pytest.raises(grpc.RpcError) as exc:
        service.stub.TimeSeries(flows_pb2.TimeSeriesRequest(filter=whole(world), bucket_seconds=5))
    assert "bucket_seconds must be at least 10" in invalid(exc)
    with pytest.raises(grpc.RpcError) as exc:
        service.stub.TimeSeries(flows_pb2.TimeSeriesRequest(filter=whole(world), top_n=1000))
    assert "top_n must be between 1 and 20" in invalid(exc)


@pytest.mark.parametrize(
    ("dimension", "key"),
    [
        (flows_pb2.TOP_K_DIMENSION_SRC_IP, lambda f: f.client.ip),
        (flows_pb2.TOP_K_DIMENSION_DST_IP, lambda f: f.server.ip),
        (flows_pb2.TOP_K_DIMENSION_IP_PAIR, lambda f: f"{f.client.ip} -> {f.server.ip}"),
        (flows_pb2.TOP_K_DIMENSION_DST_PORT, lambda f: f"{f.server_port}/{L4[f.protocol]}"),
    ],
)
def test_topk_by_bytes_matches_a_recount(
    service: FlowsService, world: World, flows: list[Flow], dimension: int, key: object
) -> None:
    totals: Counter[str] = Counter()
    for f in flows:
        totals[key(f)] += f.c2s_bytes + f.s2c_bytes  # type: ignore[operator]
    expected = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    answer = service.stub.TopK(
        flows_pb2.TopKRequest(window=make_window(world.start, world.end), dimension=dimension, k=5)  # type: ignore[arg-type]
    )
    assert [(e.key, e.bytes) for e in answer.entries] == expected
    assert answer.total_bytes == sum(f.c2s_bytes + f.s2c_bytes for f in flows)


@pytest.mark.parametrize("locality", [flows_pb2.LOCALITY_LOCAL, flows_pb2.LOCALITY_REMOTE])
@pytest.mark.parametrize("dimension", [flows_pb2.TOP_K_DIMENSION_SRC_IP, flows_pb2.TOP_K_DIMENSION_DST_IP])
def test_topk_locality_matches_a_recount(
    service: FlowsService, world: World, flows: list[Flow], dimension: int, locality: int
) -> None:
    dst = dimension == flows_pb2.TOP_K_DIMENSION_DST_IP
    local = locality == flows_pb2.LOCALITY_LOCAL
    totals: Counter[str] = Counter()
    for f in flows:
        side = f.server if dst else f.client
        if side.is_local == local:
            totals[side.ip] += f.c2s_bytes + f.s2c_bytes
    answer = service.stub.TopK(
        flows_pb2.TopKRequest(
            window=make_window(world.start, world.end),
            dimension=dimension,  # type: ignore[arg-type]
            locality=locality,  # type: ignore[arg-type]
            k=5,
        )
    )
    assert [(e.key, e.bytes) for e in answer.entries] == sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:5]


def test_topk_l7_by_flows_and_k_bound(service: FlowsService, world: World, flows: list[Flow]) -> None:
    answer = service.stub.TopK(
        flows_pb2.TopKRequest(
            window=make_window(world.start, world.end),
            dimension=flows_pb2.TOP_K_DIMENSION_L7_PROTO,
            metric=flows_pb2.METRIC_FLOWS,
            k=3,
        )
    )
    counts = Counter(app(f) for f in flows)
    assert [(e.key, e.flows) for e in answer.entries] == sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    with pytest.raises(grpc.RpcError) as exc:
        service.stub.TopK(flows_pb2.TopKRequest(k=10**9))
    assert "k must be between 1 and 1000" in invalid(exc)


def test_country_stats(service: FlowsService, world: World, flows: list[Flow]) -> None:
    answer = service.stub.CountryStats(flows_pb2.CountryStatsRequest(filter=whole(world), k=50))
    expected = Counter(f.server.country for f in flows if f.server.country) + Counter(
        f.client.country for f in flows if f.client.country
    )
    assert {c.country: c.flows for c in answer.countries} == dict(expected)
    totals = [c.bytes_sent + c.bytes_received for c in answer.countries]
    assert totals == sorted(totals, reverse=True)
    with pytest.raises(grpc.RpcError) as exc:
        service.stub.CountryStats(flows_pb2.CountryStatsRequest(k=10**9))
    assert "k must be between 1 and 300" in invalid(exc)


def test_device_stats_per_exporter_and_interface(service: FlowsService, world: World, flows: list[Flow]) -> None:
    answer = service.stub.FlowDeviceStats(flows_pb2.DeviceStatsRequest(filter=whole(world)))
    assert sum(e.flows for e in answer.exporters) == len(flows)
    for exporter in answer.exporters:
        assert exporter.interfaces
        assert sum(i.in_flows for i in exporter.interfaces) == exporter.flows
        assert sum(i.in_bytes for i in exporter.interfaces) == exporter.bytes


def test_analyze_traffic_totals_and_rankings(service: FlowsService, world: World, flows: list[Flow]) -> None:
    answer = service.stub.AnalyzeTraffic(flows_pb2.AnalyzeTrafficRequest(filter=whole(world), top_n=5))
    assert answer.totals.flows == len(flows)
    assert answer.totals.bytes == sum(f.c2s_bytes + f.s2c_bytes for f in flows)
    assert answer.totals.packets == sum(f.c2s_packets + f.s2c_packets for f in flows)
    assert answer.totals.hosts == len({f.client.ip for f in flows} | {f.server.ip for f in flows})
    assert len(answer.protocols) == 5 and not any(p.key.isdigit() for p in answer.protocols)
    by_src: Counter[str] = Counter()
    for f in flows:
        by_src[f.client.ip] += f.c2s_bytes + f.s2c_bytes
    assert answer.top_talkers[0].key == by_src.most_common(1)[0][0]
    assert answer.top_services[0].key.split("/")[1] in {"tcp", "udp"}


@pytest.mark.parametrize(
    ("incident", "kind"),
    [
        ("horizontal_scan", K.ANOMALY_KIND_HORIZONTAL_SCAN),
        ("vertical_scan", K.ANOMALY_KIND_VERTICAL_SCAN),
        ("exfiltration", K.ANOMALY_KIND_OFF_HOURS_EXFILTRATION),
        ("beaconing", K.ANOMALY_KIND_BEACONING),
        ("bandwidth_hog", K.ANOMALY_KIND_TRAFFIC_SPIKE),
    ],
)
def test_incidents_are_found_with_evidence(service: FlowsService, world: World, incident: str, kind: int) -> None:
    truth = world.incident(incident)
    answer = service.stub.FindAnomalies(
        flows_pb2.FindAnomaliesRequest(filter=whole(world), kinds=[kind]),  # type: ignore[list-item]
        timeout=60,
    )
    matches = [f for f in answer.findings if f.kind == kind and set(f.hosts) & set(truth.hosts) and overlaps(f, truth)]
    assert matches, [(K.Name(f.kind), f.title) for f in answer.findings]
    best = matches[0]
    assert best.score >= 50 and best.title and best.evidence and (best.flows or best.bytes)
    assert best.sample_flows and all(s.src_ip in truth.hosts for s in best.sample_flows)
    if truth.peers and kind not in (K.ANOMALY_KIND_HORIZONTAL_SCAN, K.ANOMALY_KIND_TRAFFIC_SPIKE):
        assert set(best.peers) & set(truth.peers)
    if kind == K.ANOMALY_KIND_BEACONING:
        assert best.flows == truth.details["beacons"]
        assert {e.name for e in best.evidence} == {"period_seconds", "jitter_seconds", "avg_bytes_per_flow"}
    if kind == K.ANOMALY_KIND_OFF_HOURS_EXFILTRATION:  # who the peer is: a drop in Russia, not a cloud backup
        peer = world.hosts[truth.peers[0]]
        evidence = {e.name: e.value for e in best.evidence}
        assert (evidence["peer_country"], evidence["peer_asn"]) == (peer.country, str(peer.asn)) == ("RU", "49505")


def overlaps(finding: flows_pb2.Finding, incident: Incident) -> bool:
    return finding.start.ToDatetime() < incident.end.replace(tzinfo=None) and finding.end.ToDatetime() > (
        incident.start.replace(tzinfo=None)
    )


def test_link_saturation_is_a_bottleneck(service: FlowsService, world: World) -> None:
    answer = service.stub.DetectBottlenecks(flows_pb2.DetectBottlenecksRequest(filter=whole(world)), timeout=60)
    assert answer.threshold_percent == 70 and answer.bucket_seconds == 60
    assert_link_saturation_is_the_one_bottleneck(answer, world)


def test_bottleneck_arguments_get_the_same_messages(service: FlowsService, world: World) -> None:
    for request, needle in [
        (
            flows_pb2.DetectBottlenecksRequest(filter=whole(world), threshold_percent=150),
            "threshold_percent must be above 0 and at most 100 (0 means 70); got 150",
        ),
        (flows_pb2.DetectBottlenecksRequest(bucket_seconds=1), "bucket_seconds must be 10-3600 (0 means 60); got 1"),
        (
            flows_pb2.DetectBottlenecksRequest(capacities=[flows_pb2.InterfaceCapacity(exporter="x", if_index=1)]),
            "capacities[0].exporter must be an IPv4 address; got 'x'",
        ),
    ]:
        with pytest.raises(grpc.RpcError) as exc:
            service.stub.DetectBottlenecks(request)
        assert needle in invalid(exc)


def test_recommendations_cover_findings_and_bottlenecks(service: FlowsService, world: World) -> None:
    answer = service.stub.Recommendations(
        flows_pb2.RecommendationsRequest(filter=whole(world), max_items=50), timeout=120
    )
    sources = {r.source for r in answer.recommendations}
    assert {
        "BOTTLENECK",
        "ANOMALY_KIND_BEACONING",
        "ANOMALY_KIND_OFF_HOURS_EXFILTRATION",
        "ANOMALY_KIND_HORIZONTAL_SCAN",
        "ANOMALY_KIND_TRAFFIC_SPIKE",
    } <= sources
    assert all(
        r.action and r.title and r.evidence and r.evidence_filter.window.end.seconds for r in answer.recommendations
    )
    scores = [r.score for r in answer.recommendations]
    assert scores == sorted(scores, reverse=True)
    bottleneck = next(r for r in answer.recommendations if r.source == "BOTTLENECK")
    saturated = world.incident("link_saturation").hosts[0]
    assert saturated in bottleneck.evidence[1].value and "Add capacity" in bottleneck.action


def test_investigate_the_exfiltrating_host(service: FlowsService, world: World, flows: list[Flow]) -> None:
    truth = world.incident("exfiltration")
    host = truth.hosts[0]
    answer = service.stub.InvestigateHost(
        flows_pb2.InvestigateHostRequest(ip=host, window=make_window(world.start, world.end)), timeout=60
    )
    mine = [f for f in flows if host in (f.client.ip, f.server.ip)]
    assert answer.as_client.flows == sum(f.client.ip == host for f in mine)
    assert answer.as_server.flows == sum(f.server.ip == host for f in mine)
    assert answer.as_client.bytes == sum(f.c2s_bytes + f.s2c_bytes for f in mine if f.client.ip == host)
    assert answer.as_client.client_to_server_bytes == sum(f.c2s_bytes for f in mine if f.client.ip == host)
    assert answer.as_server.client_to_server_bytes == sum(f.c2s_bytes for f in mine if f.server.ip == host)
    peers: Counter[str] = Counter()
    services: Counter[str] = Counter()
    for f in mine:
        peers[f.server.ip if f.client.ip == host else f.client.ip] += f.c2s_bytes + f.s2c_bytes
        if f.client.ip == host:
            services[f"{f.server_port}/{L4[f.protocol]}"] += f.c2s_bytes + f.s2c_bytes
    assert [(p.key, p.bytes) for p in answer.peers[:3]] == peers.most_common(3)
    assert answer.peers[0].key == truth.peers[0]
    assert answer.services_used[0].key == services.most_common(1)[0][0]
    assert K.ANOMALY_KIND_OFF_HOURS_EXFILTRATION in {f.kind for f in answer.findings}
    with pytest.raises(grpc.RpcError) as exc:
        service.stub.InvestigateHost(flows_pb2.InvestigateHostRequest(ip="10.0.0.0/8"))
    assert "ip must be one IPv4 or IPv6 address" in invalid(exc)


def test_bad_arguments_get_the_same_messages(service: FlowsService, world: World) -> None:
    window = make_window(world.start, world.end)
    cases = [
        (lambda: service.stub.TopK(flows_pb2.TopKRequest(window=window, dimension=99)), "unknown dimension 99"),  # type: ignore[arg-type]
        (
            lambda: service.stub.SearchFlows(flows_pb2.SearchFlowsRequest(filter=whole(world), sort=99)),  # type: ignore[arg-type]
            "unknown sort 99; use a FlowSort value",
        ),
        (
            lambda: service.stub.TimeSeries(
                flows_pb2.TimeSeriesRequest(filter=whole(world), group_by=flows_pb2.TOP_K_DIMENSION_HOST)
            ),
            "group_by must be a TopKDimension other than HOST",
        ),
        (
            lambda: service.stub.AnalyzeTraffic(flows_pb2.AnalyzeTrafficRequest(filter=whole(world), top_n=1000)),
            "top_n must be between 1 and 100 (0 means 10); got 1000",
        ),
        (
            lambda: service.stub.FindAnomalies(flows_pb2.FindAnomaliesRequest(filter=whole(world), max_findings=10**6)),
            "max_findings must be between 1 and 200 (0 means 50)",
        ),
    ]
    for call, needle in cases:
        with pytest.raises(grpc.RpcError) as exc:
            call()
        assert needle in invalid(exc)
