"""ECS documents and index names that IngestFlows writes on the Elasticsearch backend."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from netscope.flows.v1 import flows_pb2
from netscope_common.errors import FailedPrecondition
from netscope_flows.elastic.ingest import document, index_for

DAY = datetime(2026, 11, 20, 23, 59, tzinfo=UTC)


def test_daily_index_from_the_configured_pattern() -> None:
    assert index_for("logs-netflow-*", DAY) == "logs-netflow-2026.11.20"
    assert index_for("flows", DAY) == "flows"
    for pattern in ("a-*,b-*", "*-netflow", "a-*-*"):
        with pytest.raises(FailedPrecondition) as exc:
            index_for(pattern, DAY)
        assert "must be one index name or one pattern with a single trailing '*'" in exc.value.message
        assert repr(pattern) in exc.value.message


def test_a_dns_flow_as_an_ecs_document() -> None:
    record = flows_pb2.IngestFlow(
        exporter="192.0.2.1", protocol=17, client_ip="10.1.2.57", client_port=5353, server_ip="8.8.8.8",
        server_port=53, application="dns", first_seen=Timestamp(seconds=1_763_600_000),
        last_seen=Timestamp(seconds=1_763_600_002), src2dst_bytes=70, dst2src_bytes=130, src2dst_packets=1,
        dst2src_packets=1, input_if=3, output_if=1, tcp_flags=0x1FF, info="Xk3J9dfl2kq9zqq.COM",
    )  # fmt: skip
    doc = document(record, 2**64 - 1)
    assert doc["event"]["start"] == "2025-11-20T00:53:20.000Z" and doc["event"]["duration"] == 2_000_000_000
    assert doc["source"] == {"ip": "10.1.2.57", "port": 5353, "bytes": 70, "packets": 1}
    assert doc["network"]["direction"] == "outbound" and doc["network"]["transport"] == "udp"
    assert doc["network"]["bytes"] == 200 and doc["netflow"]["application_name"] == "DNS"
    assert doc["netflow"]["tcp_control_bits"] == 0xFF and doc["netflow"]["egress_interface"] == 1
    assert doc["flow"]["id"] == 2**63 - 1  # ECS flow.id is mapped long
    assert doc["dns"] == {"question": {"name": "xk3j9dfl2kq9zqq.com"}}
    assert doc["observer"]["ip"] == ["192.0.2.1"] and doc["related"]["ip"] == ["10.1.2.57", "8.8.8.8"]
    record.application = "TLS"
    assert "dns" not in document(record, 1)
