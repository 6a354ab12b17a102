"""IngestFlows on each backend: world flows streamed in as collector batches are stored once, counted, detected."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from netscope.flows.v1 import flows_pb2
from netscope_common.timeutil import make_window
from netscope_ntopng.ndpi import l7_name
from netscope_scenario.model import Flow
from netscope_scenario.world import World
from tests.integration.flows_elastic.conftest import FlowsService

pytestmark = pytest.mark.integration
BATCH = 500


def ts(seconds: int) -> Timestamp:
    return Timestamp(seconds=seconds)


def to_ingest(world: World, f: Flow) -> flows_pb2.IngestFlow:
    exporter, in_if, out_if = world.exporter_view(f)
    return flows_pb2.IngestFlow(
        exporter=exporter.address,
        protocol=f.protocol,
        client_ip=f.client.ip,
        client_port=f.client_port,
        server_ip=f.server.ip,
        server_port=f.server_port,
        application=l7_name(f.l7_proto or f.l7_master),
        first_seen=ts(f.first_seen),
        last_seen=ts(f.last_seen),
        src2dst_bytes=f.c2s_bytes,
        dst2src_bytes=f.s2c_bytes,
        src2dst_packets=f.c2s_packets,
        dst2src_packets=f.s2c_packets,
        tcp_flags=f.c2s_flags,
        input_if=in_if,
        output_if=out_if,
        info=f.info,
    )


def batches(world: World, flows: list[Flow]) -> Iterator[flows_pb2.IngestFlowsRequest]:
    for start in range(0, len(flows), BATCH):
        chunk = [to_ingest(world, f) for f in flows[start : start + BATCH]]
        yield flows_pb2.IngestFlowsRequest(batch_id=f"world-{start}", flows=chunk)


@pytest.fixture(scope="session")
def streamed(flows: list[Flow]) -> list[Flow]:
    """What the collector sends: the DNS C2 incident's flows and every 8th other flow (osmem indexes slowly)."""
    return [f for n, f in enumerate(flows) if f.incident == "dns_c2" or n % 8 == 0]


@pytest.fixture(scope="module")
def ingested(ingest_service: FlowsService, world: World, streamed: list[Flow]) -> flows_pb2.IngestFlowsResponse:
    """The streamed flows, once, into the backend's empty store."""
    answer: flows_pb2.IngestFlowsResponse = ingest_service.stub.IngestFlows(batches(world, streamed), timeout=300)
    return answer


def totals(service: FlowsService, world: World) -> flows_pb2.TrafficTotals:
    window = make_window(world.start, world.end)
    answer = service.stub.AnalyzeTraffic(
        flows_pb2.AnalyzeTrafficRequest(filter=flows_pb2.FlowFilter(window=window)), timeout=60
    )
    return answer.totals


def test_the_world_is_stored_once_and_counts_match(
    ingest_service: FlowsService, ingested: flows_pb2.IngestFlowsResponse, world: World, streamed: list[Flow]
) -> None:
    flows = streamed
    assert (ingested.accepted, ingested.rejected, ingested.duplicate_batches) == (len(flows), 0, 0)
    assert ingested.batches == -(-len(flows) // BATCH)
    got = totals(ingest_service, world)
    assert got.flows == len(flows)
    assert got.bytes == sum(f.c2s_bytes + f.s2c_bytes for f in flows)
    again = ingest_service.stub.IngestFlows(iter(list(batches(world, flows))[:2]), timeout=120)
    assert (again.accepted, again.duplicate_batches, again.batches) == (0, 2, 2)
    assert totals(ingest_service, world).flows == len(flows)


def test_dga_is_found_in_ingested_flows(
    ingest_service: FlowsService, ingested: flows_pb2.IngestFlowsResponse, world: World
) -> None:
    assert ingested.accepted
    window = make_window(world.start, world.end)
    answer = ingest_service.stub.FindAnomalies(
        flows_pb2.FindAnomaliesRequest(
            filter=flows_pb2.FlowFilter(window=window),
            kinds=[flows_pb2.ANOMALY_KIND_DGA_DOMAINS],
        ),
        timeout=60,
    )
    truth = world.incident("dns_c2")
    dga = [f for f in answer.findings if f.kind == flows_pb2.ANOMALY_KIND_DGA_DOMAINS]
    assert [f.hosts[0] for f in dga] == truth.hosts
    assert dga[0].peers[0] in truth.peers and dga[0].score >= 50 and dga[0].sample_flows
    names = next(e.value for e in dga[0].evidence if e.name == "distinct_names")
    assert int(names) >= 5
    assert all(s.l7_proto == "DNS" and s.src_ip == truth.hosts[0] for s in dga[0].sample_flows)


def test_bad_records_are_rejected_with_reasons(ingest_service: FlowsService, world: World, flows: list[Flow]) -> None:
    good = to_ingest(world, flows[0])
    bad = []
    for change in (
        {"client_ip": "10.1.2.300"},
        {"vlan": 5000},
        {"interface_id": 70000},
        {"src2dst_packets": 2**32},
        {"server_port": 70000},
        {"last_seen": ts(flows[0].first_seen - 10)},
    ):
        record = flows_pb2.IngestFlow()
        record.CopyFrom(good)
        for name, value in change.items():
            if isinstance(value, Timestamp):
                getattr(record, name).CopyFrom(value)
            else:
                setattr(record, name, value)
        bad.append(record)
    answer = ingest_service.stub.IngestFlows(
        iter([flows_pb2.IngestFlowsRequest(batch_id=f"bad-{ingest_service.backend}", flows=bad)]), timeout=60
    )
    assert (answer.accepted, answer.rejected) == (0, len(bad))
    assert [r.reason for r in answer.rejections] == [
        "client_ip '10.1.2.300' is not an IP address",
        "vlan must be 0-4095; got 5000",
        "interface_id must be 0-65535; got 70000",
        "src2dst_packets must be 0-4294967295; got 4294967296",
        "ports must be 0-65535",
        "last_seen is before first_seen",
    ]
