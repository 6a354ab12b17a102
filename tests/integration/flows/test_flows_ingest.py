"""IngestFlows: batches stored once per batch id, bad records rejected with reasons, data searchable."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import grpc
import httpx
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from netscope.flows.v1 import flows_pb2
from netscope_common.timeutil import make_window
from tests.integration.flows.conftest import FlowsService

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC).replace(microsecond=0)


def ts(dt: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(dt)
    return out


def flow(i: int, **overrides: object) -> flows_pb2.IngestFlow:
    fields: dict[str, object] = {
        "exporter": "192.0.2.1",
        "protocol": 6,
        "client_ip": f"10.9.0.{1 + i % 200}",
        "client_port": 40000 + i,
        "server_ip": "198.51.100.7",
        "server_port": 443,
        "application": "TLS",
        "first_seen": ts(NOW - timedelta(seconds=30)),
        "last_seen": ts(NOW - timedelta(seconds=10)),
        "src2dst_bytes": 1000 + i,
        "dst2src_bytes": 5000,
        "src2dst_packets": 5,
        "dst2src_packets": 6,
        "input_if": 3,
        "output_if": 1,
    }
    fields.update(overrides)
    return flows_pb2.IngestFlow(**fields)  # type: ignore[arg-type]


def batches(ids: list[str], per_batch: int, bad: bool = False) -> Iterator[flows_pb2.IngestFlowsRequest]:
    for n, batch_id in enumerate(ids):
        flows = [flow(n * per_batch + i) for i in range(per_batch)]
        if bad:
            flows.append(flow(0, client_ip="10.9.0.999"))
            flows.append(flow(0, last_seen=ts(NOW - timedelta(hours=1))))
        yield flows_pb2.IngestFlowsRequest(batch_id=batch_id, flows=flows)


def count_ingested(service: FlowsService) -> int:
    window = make_window(NOW - timedelta(minutes=5), NOW + timedelta(minutes=1))
    total = 0
    flt = flows_pb2.FlowFilter(window=window, exporter="192.0.2.1")
    for page in service.stub.StreamFlows(flows_pb2.SearchFlowsRequest(filter=flt, page_size=1000)):
        total += len(page.flows)
    return total


def test_ingest_is_idempotent_and_counts_rejections(flows_service: FlowsService) -> None:
    first = flows_service.stub.IngestFlows(batches(["b-1", "b-2"], 500, bad=True), timeout=60)
    assert (first.accepted, first.rejected, first.batches, first.duplicate_batches) == (1000, 4, 2, 0)
    reasons = {r.reason for r in first.rejections}
    assert "client_ip '10.9.0.999' is not an IP address" in reasons
    assert "last_seen is before first_seen" in reasons
    again = flows_service.stub.IngestFlows(batches(["b-1", "b-2", "b-3"], 500), timeout=60)
    assert (again.accepted, again.duplicate_batches) == (500, 2)
    assert count_ingested(flows_service) == 1500
    record = flows_service.stub.SearchFlows(
        flows_pb2.SearchFlowsRequest(
            filter=flows_pb2.FlowFilter(
                window=make_window(NOW - timedelta(minutes=5), NOW + timedelta(minutes=1)), src_ip="10.9.0.1"
            ),
            page_size=1,
        )
    ).flows[0]
    assert (record.l7_proto, record.dst_port, record.input_if_index, record.exporter) == ("TLS", 443, 3, "192.0.2.1")


def test_ingest_refuses_bad_batches(flows_service: FlowsService) -> None:
    with pytest.raises(grpc.RpcError) as exc:
        flows_service.stub.IngestFlows(iter([flows_pb2.IngestFlowsRequest(flows=[flow(1)])]), timeout=30)
    assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "batch_id must be 1-128 characters" in str(exc.value.details())
    huge = flows_pb2.IngestFlowsRequest(batch_id="huge", flows=[flow(1)] * 10_001)
    with pytest.raises(grpc.RpcError) as exc:
        flows_service.stub.IngestFlows(iter([huge]), timeout=30)
    assert "a batch may hold at most 10000 flows" in str(exc.value.details())


def test_ingest_reports_the_first_20_rejections_in_order(flows_service: FlowsService) -> None:
    def bad_batch(batch_id: str, start: int) -> flows_pb2.IngestFlowsRequest:
        flows = [flow(start + i) for i in range(40)]
        for i in range(1, 40, 3):
            flows[i] = flow(start + i, protocol=300 + i)
        return flows_pb2.IngestFlowsRequest(batch_id=batch_id, flows=flows)

    answer = flows_service.stub.IngestFlows(iter([bad_batch("r-1", 0), bad_batch("r-2", 40)]), timeout=60)
    assert (answer.accepted, answer.rejected, answer.batches) == (80 - 26, 26, 2)
    expected = [("r-1", i, f"protocol must be 0-255, got {300 + i}") for i in range(1, 40, 3)]
    expected += [("r-2", i, f"protocol must be 0-255, got {300 + i}") for i in range(1, 40, 3)]
    assert [(r.batch_id, r.index, r.reason) for r in answer.rejections] == expected[:20]


def test_batch_before_a_refused_one_is_stored_once(flows_service: FlowsService) -> None:
    stream = iter([flows_pb2.IngestFlowsRequest(batch_id="p-1", flows=[flow(1)]), flows_pb2.IngestFlowsRequest()])
    with pytest.raises(grpc.RpcError) as exc:
        flows_service.stub.IngestFlows(stream, timeout=30)
    assert "batch_id must be 1-128 characters" in str(exc.value.details())
    again = flows_service.stub.IngestFlows(
        iter([flows_pb2.IngestFlowsRequest(batch_id="p-1", flows=[flow(1)])]), timeout=30
    )
    assert (again.accepted, again.duplicate_batches) == (0, 1)


def test_topk_ranks_ipv4_and_ipv6_keys_together(flows_service: FlowsService) -> None:
    at = NOW - timedelta(hours=2)
    times = {"first_seen": ts(at), "last_seen": ts(at + timedelta(seconds=1)), "dst2src_bytes": 0}
    records = [
        flow(0, client_ip="2001:db8::1", server_ip="2606:4700::1111", src2dst_bytes=500, **times),
        flow(1, client_ip="10.9.7.1", server_ip="8.8.8.8", src2dst_bytes=300, **times),
        flow(2, client_ip="2001:db8::1", server_ip="2606:4700::1111", src2dst_bytes=100, **times),
        flow(3, client_ip="10.9.7.2", server_ip="8.8.8.8", src2dst_bytes=550, **times),
    ]
    answer = flows_service.stub.IngestFlows(iter([flows_pb2.IngestFlowsRequest(batch_id="v6", flows=records)]))
    assert answer.accepted == 4
    window = make_window(at, at + timedelta(seconds=1))
    expected = {
        flows_pb2.TOP_K_DIMENSION_SRC_IP: [("2001:db8::1", 600), ("10.9.7.2", 550), ("10.9.7.1", 300)],
        flows_pb2.TOP_K_DIMENSION_DST_IP: [("8.8.8.8", 850), ("2606:4700::1111", 600)],
        flows_pb2.TOP_K_DIMENSION_IP_PAIR: [
            ("2001:db8::1 -> 2606:4700::1111", 600),
            ("10.9.7.2 -> 8.8.8.8", 550),
            ("10.9.7.1 -> 8.8.8.8", 300),
        ],
    }
    for dimension, ranked in expected.items():
        top = flows_service.stub.TopK(flows_pb2.TopKRequest(window=window, dimension=dimension, k=3))
        assert [(e.key, e.bytes) for e in top.entries] == ranked


def _metric(service: FlowsService, sample: str) -> float:
    """One sample of the service's /metrics (0 before the first increment)."""
    text = httpx.get(service.metrics_url, timeout=10).text
    line = next((row for row in text.splitlines() if row.startswith(sample + " ")), f"{sample} 0")
    return float(line.rsplit(" ", 1)[1])


def test_ingest_outcomes_and_sql_refusals_are_counted(flows_service: FlowsService) -> None:
    accepted = 'netscope_flows_ingest_flows_total{outcome="accepted"}'
    rejected = 'netscope_flows_ingest_flows_total{outcome="rejected"}'
    refusals = "netscope_flows_sql_refusals_total"
    before = {name: _metric(flows_service, name) for name in (accepted, rejected, refusals)}
    answer = flows_service.stub.IngestFlows(batches(["m-1"], 50, bad=True), timeout=60)
    with pytest.raises(grpc.RpcError) as refused:
        flows_service.stub.Query(flows_pb2.QueryRequest(sql="DROP TABLE flows"), timeout=30)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _metric(flows_service, accepted) - before[accepted] == answer.accepted > 0
    assert _metric(flows_service, rejected) - before[rejected] == answer.rejected > 0
    assert _metric(flows_service, refusals) - before[refusals] == 1
