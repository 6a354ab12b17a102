"""Column-wise batch validation: same rejections as the per-record rules, rows typed and converted right."""

from __future__ import annotations

import hashlib
import ipaddress
import itertools
from datetime import UTC, datetime

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from netscope.flows.v1 import flows_pb2
from netscope_flows.filters import L7_BY_LOWER
from netscope_flows.ingest_columns import MAX_INFO, rejection_reason, validate_batch

T0 = 1_763_600_000


def flow(**overrides: object) -> flows_pb2.IngestFlow:
    fields: dict[str, object] = {
        "exporter": "192.0.2.1",
        "protocol": 6,
        "client_ip": "10.9.0.1",
        "client_port": 40000,
        "server_ip": "198.51.100.7",
        "server_port": 443,
        "application": "TLS",
        "first_seen": Timestamp(seconds=T0),
        "last_seen": Timestamp(seconds=T0 + 20),
        "src2dst_bytes": 1000,
        "dst2src_bytes": 5000,
        "src2dst_packets": 5,
        "dst2src_packets": 6,
        "input_if": 3,
        "output_if": 1,
    }
    fields.update(overrides)
    return flows_pb2.IngestFlow(**fields)  # type: ignore[arg-type]


BAD = [
    (flow(client_ip="10.9.0.999"), "client_ip '10.9.0.999' is not an IP address"),
    (flow(client_ip="010.9.0.1"), "client_ip '010.9.0.1' is not an IP address"),
    (flow(client_ip=" 10.9.0.1"), "client_ip ' 10.9.0.1' is not an IP address"),
    (flow(client_ip=""), "client_ip '' is not an IP address"),
    (flow(server_ip="1.2.3"), "server_ip '1.2.3' is not an IP address"),
    (flow(client_ip="bad", server_ip="worse"), "client_ip 'bad' is not an IP address"),
    (flow(server_ip="2001:db8::1"), "client_ip and server_ip are of different IP versions"),
    (flow(client_port=65536), "ports must be 0-65535"),
    (flow(server_port=70000, protocol=300), "ports must be 0-65535"),
    (flow(protocol=256), "protocol must be 0-255, got 256"),
    (flow(first_seen=Timestamp()), "first_seen is missing"),
    (flow(last_seen=Timestamp()), "last_seen is missing"),
    (flow(last_seen=Timestamp(seconds=T0 - 1)), "last_seen is before first_seen"),
    (flow(exporter="2001:db8::9"), "exporter '2001:db8::9' is not an IPv4 address"),
    (flow(exporter="192.0.2.300", protocol=999), "protocol must be 0-255, got 999"),
    (flow(vlan=4096), "vlan must be 0-4095; got 4096"),
    (flow(interface_id=65536), "interface_id must be 0-65535; got 65536"),
    (flow(src2dst_packets=2**32), "src2dst_packets must be 0-4294967295; got 4294967296"),
    (flow(dst2src_packets=2**40), "dst2src_packets must be 0-4294967295; got 1099511627776"),
    (
        flow(src2dst_packets=2**31, dst2src_packets=2**31),
        "src2dst_packets + dst2src_packets must be at most 4294967295; got 4294967296",
    ),
    (
        flow(src2dst_bytes=2**64 - 1, dst2src_bytes=1),
        "src2dst_bytes + dst2src_bytes must be at most 18446744073709551615",
    ),
    (
        flow(first_seen=Timestamp(seconds=-5)),
        "first_seen must be between 1970-01-01 and 2106-02-07 (epoch seconds 1-4294967295)",
    ),
    (
        flow(last_seen=Timestamp(seconds=2**32)),
        "last_seen must be between 1970-01-01 and 2106-02-07 (epoch seconds 1-4294967295)",
    ),
]
GOOD = [
    flow(),
    flow(client_ip="2001:db8::1", server_ip="2606:4700::1111", application="dns", exporter=""),
    flow(client_ip="8.8.8.8", server_ip="10.0.0.5", application="NoSuchApp", info="x" * 2000),
    flow(client_ip="::ffff:10.0.0.1", server_ip="::1", info="é" * 1500, tcp_flags=0x1FF, vlan=7, interface_id=2),
    flow(client_port=65535, server_port=0, protocol=255, last_seen=Timestamp(seconds=T0)),
]


@pytest.mark.parametrize(("record", "reason"), BAD)
def test_each_rule_gives_its_reason(record: flows_pb2.IngestFlow, reason: str) -> None:
    assert rejection_reason(record) == reason
    checked = validate_batch("b", [flow(), record, flow()])
    assert checked.rejected.tolist() == [1]
    assert checked.table.num_rows == 2


def test_vector_checks_match_the_record_rules() -> None:
    records = [r for pair in itertools.zip_longest(GOOD * 3, [b for b, _ in BAD]) for r in pair if r is not None]
    checked = validate_batch("mixed", records)
    expected = [i for i, r in enumerate(records) if rejection_reason(r) is not None]
    assert checked.rejected.tolist() == expected
    assert checked.table.num_rows == len(records) - len(expected)


def test_rows_are_converted_like_ntopng_columns() -> None:
    records = [flow(client_ip="10.9.0.999"), *GOOD]
    rows = validate_batch("batch-7", records).table.to_pylist()
    base = int.from_bytes(hashlib.blake2b(b"batch-7", digest_size=8).digest(), "big")
    assert [r["FLOW_ID"] for r in rows] == [(base + i) % 2**64 for i in range(1, len(records))]
    first, v6, public, mapped, edge = rows
    assert first["IPV4_SRC_ADDR"] == int(ipaddress.IPv4Address("10.9.0.1"))
    assert first["IPV4_DST_ADDR"] == int(ipaddress.IPv4Address("198.51.100.7"))
    assert (first["IP_PROTOCOL_VERSION"], first["IPV6_SRC_ADDR"], first["PROBE_IP"]) == (4, bytes(16), 3221225985)
    assert (first["PACKETS"], first["TOTAL_BYTES"], first["L7_PROTO"]) == (11, 6000, L7_BY_LOWER["tls"])
    assert first["FIRST_SEEN"] == datetime.fromtimestamp(T0, UTC)
    assert (first["CLIENT_LOCATION"], first["SERVER_LOCATION"], first["INPUT_SNMP"]) == (1, 1, 3)
    assert v6["IP_PROTOCOL_VERSION"] == 6 and v6["IPV4_SRC_ADDR"] == 0
    assert v6["IPV6_SRC_ADDR"] == ipaddress.IPv6Address("2001:db8::1").packed
    assert (v6["L7_PROTO"], v6["PROBE_IP"], v6["SERVER_LOCATION"]) == (L7_BY_LOWER["dns"], 0, 2)
    assert (public["L7_PROTO"], public["CLIENT_LOCATION"], public["SERVER_LOCATION"]) == (0, 2, 1)
    assert public["INFO"] == "x" * MAX_INFO
    assert mapped["INFO"] == "é" * MAX_INFO
    assert (mapped["SRC2DST_TCP_FLAGS"], mapped["VLAN_ID"], mapped["INTERFACE_ID"]) == (0xFF, 7, 2)
    assert (edge["IP_SRC_PORT"], edge["IP_DST_PORT"], edge["PROTOCOL"]) == (65535, 0, 255)


def test_empty_and_all_rejected_batches() -> None:
    assert validate_batch("e", []).table.num_rows == 0
    checked = validate_batch("r", [b for b, _ in BAD])
    assert (checked.table.num_rows, len(checked.rejected)) == (0, len(BAD))


def test_counter_totals_that_overflow_are_rejected_records() -> None:
    checked = validate_batch("o", [flow(src2dst_bytes=2**64 - 1, dst2src_bytes=1), flow()])
    assert (checked.rejected.tolist(), checked.table.num_rows) == ([0], 1)


def test_largest_values_are_stored() -> None:
    record = flow(vlan=4095, interface_id=65535, src2dst_packets=2**32 - 2, dst2src_packets=1, dst2src_bytes=1)
    record.src2dst_bytes = 2**64 - 2
    assert rejection_reason(record) is None
    (row,) = validate_batch("max", [record]).table.to_pylist()
    assert (row["VLAN_ID"], row["INTERFACE_ID"], row["PACKETS"], row["TOTAL_BYTES"]) == (
        4095,
        65535,
        2**32 - 1,
        2**64 - 1,
    )
