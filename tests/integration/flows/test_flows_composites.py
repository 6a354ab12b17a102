"""AnalyzeTraffic, InvestigateHost and Recommendations on the scenario."""

from __future__ import annotations

import grpc
import pytest

from netscope.flows.v1 import flows_pb2
from netscope_common.timeutil import make_window
from netscope_flows.findings import SAMPLED_PER_KIND
from netscope_scenario.model import Flow
from netscope_scenario.topology import EXFIL_HOST
from netscope_scenario.world import World
from tests.integration.flows.conftest import FlowsService

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def all_flows(scenario_world: World) -> list[Flow]:
    return list(scenario_world.flows())


def test_analyze_traffic_totals_and_rankings(
    flows_service: FlowsService, scenario_world: World, all_flows: list[Flow]
) -> None:
    window = make_window(scenario_world.start, scenario_world.end)
    answer = flows_service.stub.AnalyzeTraffic(
        flows_pb2.AnalyzeTrafficRequest(filter=flows_pb2.FlowFilter(window=window), top_n=5)
    )
    assert answer.totals.flows == len(all_flows)
    assert answer.totals.bytes == sum(f.c2s_bytes + f.s2c_bytes for f in all_flows)
    assert len(answer.protocols) == 5 and not any(p.key.isdigit() for p in answer.protocols)
    by_src: dict[str, int] = {}
    for f in all_flows:
        by_src[f.client.ip] = by_src.get(f.client.ip, 0) + f.c2s_bytes + f.s2c_bytes
    assert answer.top_talkers[0].key == max(by_src, key=lambda k: by_src[k])
    assert answer.top_services[0].key.endswith("/tcp")


def test_investigate_the_exfiltrating_host(
    flows_service: FlowsService, scenario_world: World, all_flows: list[Flow]
) -> None:
    window = make_window(scenario_world.start, scenario_world.end)
    answer = flows_service.stub.InvestigateHost(
        flows_pb2.InvestigateHostRequest(ip=EXFIL_HOST, window=window), timeout=60
    )
    mine = [f for f in all_flows if f.client.ip == EXFIL_HOST]
    assert answer.as_client.flows == len(mine)
    peer = scenario_world.incident("exfiltration").peers[0]
    assert answer.peers[0].key == peer
    assert answer.alerted_flows >= 1
    kinds = {f.kind for f in answer.findings}
    assert flows_pb2.ANOMALY_KIND_OFF_HOURS_EXFILTRATION in kinds
    # the findings policy: only the host's findings, best first; the SAMPLED_PER_KIND best of each kind carry
    # sample flows of the host, the others none (they were never fetched)
    assert all(EXFIL_HOST in (*f.hosts, *f.peers) for f in answer.findings)
    scores = [f.score for f in answer.findings]
    assert scores == sorted(scores, reverse=True)
    seen: dict[int, int] = {}
    for finding in answer.findings:
        seen[finding.kind] = seen.get(finding.kind, 0) + 1
        if seen[finding.kind] <= SAMPLED_PER_KIND:
            assert finding.sample_flows
            assert all(EXFIL_HOST in (s.src_ip, s.dst_ip) for s in finding.sample_flows)
        else:
            assert not finding.sample_flows
    with pytest.raises(grpc.RpcError) as exc:
        flows_service.stub.InvestigateHost(flows_pb2.InvestigateHostRequest(ip="10.0.0.0/8"))
    assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "ip must be one IPv4 or IPv6 address" in str(exc.value.details())


def test_recommendations_cover_findings_and_bottlenecks(flows_service: FlowsService, scenario_world: World) -> None:
    window = make_window(scenario_world.start, scenario_world.end)
    answer = flows_service.stub.Recommendations(
        flows_pb2.RecommendationsRequest(filter=flows_pb2.FlowFilter(window=window), max_items=50), timeout=60
    )
    sources = {r.source for r in answer.recommendations}
    assert {"BOTTLENECK", "ANOMALY_KIND_BEACONING", "ANOMALY_KIND_DGA_DOMAINS"} <= sources
    assert all(r.action and r.title and r.evidence for r in answer.recommendations)
    scores = [r.score for r in answer.recommendations]
    assert scores == sorted(scores, reverse=True)
