"""FindAnomalies and DetectBottlenecks find every flow-visible incident of the scenario, with evidence."""

from __future__ import annotations

import grpc
import pytest

from netscope.flows.v1 import flows_pb2
from netscope_common.timeutil import make_window
from netscope_scenario.model import Incident
from netscope_scenario.world import World
from tests.integration.flows.conftest import FlowsService
from tests.support.bottlenecks import assert_link_saturation_is_the_one_bottleneck

pytestmark = pytest.mark.integration
K = flows_pb2.AnomalyKind
# incident kind of the scenario -> the finding kind that must report it
EXPECTED = {
    "horizontal_scan": K.ANOMALY_KIND_HORIZONTAL_SCAN,
    "vertical_scan": K.ANOMALY_KIND_VERTICAL_SCAN,
    "dns_c2": K.ANOMALY_KIND_DGA_DOMAINS,
    "beaconing": K.ANOMALY_KIND_BEACONING,
    "exfiltration": K.ANOMALY_KIND_OFF_HOURS_EXFILTRATION,
    "bandwidth_hog": K.ANOMALY_KIND_TRAFFIC_SPIKE,
    "rare_port": K.ANOMALY_KIND_RARE_PORT,
}


@pytest.fixture(scope="module")
def anomalies(flows_service: FlowsService, scenario_world: World) -> flows_pb2.FindAnomaliesResponse:
    window = make_window(scenario_world.start, scenario_world.end)
    return flows_service.stub.FindAnomalies(
        flows_pb2.FindAnomaliesRequest(filter=flows_pb2.FlowFilter(window=window)), timeout=60
    )


def overlaps(finding: flows_pb2.Finding, incident: Incident) -> bool:
    return finding.start.ToDatetime() < incident.end.replace(tzinfo=None) and finding.end.ToDatetime() > (
        incident.start.replace(tzinfo=None)
    )


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_each_incident_is_found_with_evidence(
    anomalies: flows_pb2.FindAnomaliesResponse, scenario_world: World, kind: str
) -> None:
    incident = scenario_world.incident(kind)
    matches = [
        f
        for f in anomalies.findings
        if f.kind == EXPECTED[kind] and set(f.hosts) & set(incident.hosts) and overlaps(f, incident)
    ]
    assert matches, [(K.Name(f.kind), f.title) for f in anomalies.findings]
    best = matches[0]
    assert best.score >= 50 and best.title and best.evidence
    assert best.sample_flows and all(s.flow_id for s in best.sample_flows)
    if incident.peers and kind in {"vertical_scan", "beaconing", "exfiltration", "rare_port"}:
        assert set(best.peers) & set(incident.peers)


def test_evidence_filter_lists_the_flows(
    flows_service: FlowsService, anomalies: flows_pb2.FindAnomaliesResponse, scenario_world: World
) -> None:
    beacon = next(f for f in anomalies.findings if f.kind == K.ANOMALY_KIND_BEACONING)
    total = 0
    for page in flows_service.stub.StreamFlows(
        flows_pb2.SearchFlowsRequest(filter=beacon.evidence_filter, page_size=1000)
    ):
        total += len(page.flows)
    assert total == beacon.flows == scenario_world.incident("beaconing").details["beacons"]


def test_kinds_narrow_the_detectors(flows_service: FlowsService, scenario_world: World) -> None:
    answer = flows_service.stub.FindAnomalies(
        flows_pb2.FindAnomaliesRequest(
            filter=flows_pb2.FlowFilter(window=make_window(scenario_world.start, scenario_world.end)),
            kinds=[K.ANOMALY_KIND_VERTICAL_SCAN],
        )
    )
    assert answer.findings and {f.kind for f in answer.findings} == {K.ANOMALY_KIND_VERTICAL_SCAN}
    with pytest.raises(grpc.RpcError) as exc:
        flows_service.stub.FindAnomalies(flows_pb2.FindAnomaliesRequest(max_findings=10**9))
    assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "max_findings must be between 1 and 200" in str(exc.value.details())


def test_link_saturation_is_a_bottleneck(flows_service: FlowsService, scenario_world: World) -> None:
    window = make_window(scenario_world.start, scenario_world.end)
    answer = flows_service.stub.DetectBottlenecks(
        flows_pb2.DetectBottlenecksRequest(filter=flows_pb2.FlowFilter(window=window)), timeout=60
    )
    assert answer.threshold_percent == 70
    assert_link_saturation_is_the_one_bottleneck(answer, scenario_world)


def test_bottleneck_arguments_are_checked(flows_service: FlowsService) -> None:
    for request, needle in [
        (flows_pb2.DetectBottlenecksRequest(threshold_percent=150), "threshold_percent must be above 0"),
        (flows_pb2.DetectBottlenecksRequest(bucket_seconds=1), "bucket_seconds must be 10-3600"),
        (
            flows_pb2.DetectBottlenecksRequest(capacities=[flows_pb2.InterfaceCapacity(exporter="x", if_index=1)]),
            "capacities[0].exporter must be an IPv4 address",
        ),
    ]:
        with pytest.raises(grpc.RpcError) as exc:
            flows_service.stub.DetectBottlenecks(request)
        assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert needle in str(exc.value.details())
