"""NetFlow v5 / v9 / IPFIX decoding: values, templates, sampling, sequence loss and bad input."""

from __future__ import annotations

import struct

import netflow
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netscope_live.netflow import NetflowDecoder
from netscope_live.netflow.encode import ExportFlow, IpfixEncoder, V9Encoder, encode_v5

NOW = 1_795_422_000.0
EXPORTER = "127.0.0.9"


def flows(n: int = 5, *, v6: bool = False) -> list[ExportFlow]:
    out = []
    for i in range(n):
        src = f"2001:db8::{i + 1}" if v6 else f"10.0.0.{i + 1}"
        dst = "2001:4860:4860::8888" if v6 else "8.8.8.8"
        out.append(
            ExportFlow(
                src,
                dst,
                40000 + i,
                443,
                6,
                1000 * (i + 1),
                i + 2,
                NOW - 30,
                NOW - 2,
                tcp_flags=0x18,
                src_mac="00:1b:63:84:45:e6",
                dst_mac="3c:22:fb:00:00:01",
                vlan=7,
                l7_proto=91,
            )
        )
    return out


def test_v5_values_and_times() -> None:
    decoder = NetflowDecoder()
    sent = flows(3)
    records = decoder.decode(encode_v5(sent, sequence=0, export_time=NOW), EXPORTER)
    assert [(r.src_ip, r.dst_ip, r.src_port, r.dst_port, r.protocol, r.bytes, r.packets) for r in records] == [
        (f.src_ip, f.dst_ip, f.src_port, f.dst_port, f.protocol, f.bytes, f.packets) for f in sent
    ]
    assert records[0].first_seen == pytest.approx(NOW - 30, abs=0.01)
    assert records[0].last_seen == pytest.approx(NOW - 2, abs=0.01)
    assert records[0].tcp_flags == 0x18 and records[0].version == 5
    assert decoder.stats[EXPORTER].records == 3


@pytest.mark.parametrize("v6", [False, True])
def test_v9_values_match_the_netflow_package(v6: bool) -> None:
    enc = V9Encoder(source_id=3)
    sent = flows(4, v6=v6)
    packet = enc.packet(enc.template_set() + enc.data_sets(sent, NOW), NOW)
    ours = NetflowDecoder().decode(packet, EXPORTER)
    theirs = netflow.parse_packet(packet, {"netflow": {}, "ipfix": {}}).flows
    assert len(ours) == len(theirs) == 4
    for mine, ref in zip(ours, theirs, strict=True):
        d = ref.data
        src_key, dst_key = ("IPV6_SRC_ADDR", "IPV6_DST_ADDR") if v6 else ("IPV4_SRC_ADDR", "IPV4_DST_ADDR")
        assert (mine.src_ip, mine.dst_ip) == (d[src_key], d[dst_key])
        assert (mine.src_port, mine.dst_port, mine.protocol) == (
            d["L4_SRC_PORT"],
            d["L4_DST_PORT"],
            d["PROTOCOL"],
        )
        assert (mine.bytes, mine.packets, mine.vlan) == (d["IN_BYTES"], d["IN_PKTS"], d["SRC_VLAN"])
        assert mine.src_mac == "00:1b:63:84:45:e6" and d["IN_SRC_MAC"] == 0x001B638445E6
        assert mine.l7_proto == 91
        assert mine.first_seen == pytest.approx(NOW - 30) and mine.last_seen == pytest.approx(NOW - 2)


def test_ipfix_values_match_the_netflow_package() -> None:
    enc = IpfixEncoder(domain=5, ntop_l7=False)  # the netflow package cannot read enterprise elements
    sent = flows(4)
    sets, n = enc.data_sets(sent)
    message = enc.message(enc.template_set() + sets, NOW, n)
    ours = NetflowDecoder().decode(message, EXPORTER)
    theirs = netflow.parse_packet(message, {"netflow": {}, "ipfix": {}}).flows
    assert len(ours) == len(theirs) == 4
    for mine, ref in zip(ours, theirs, strict=True):
        d = ref.data
        assert mine.bytes == d["octetDeltaCount"] and mine.packets == d["packetDeltaCount"]
        assert (mine.src_port, mine.dst_port) == (d["sourceTransportPort"], d["destinationTransportPort"])
        assert mine.first_seen == pytest.approx(d["flowStartMilliseconds"] / 1000)
        assert mine.domain == 5 and mine.l7_proto == -1


def test_ipfix_enterprise_l7_element() -> None:
    enc = IpfixEncoder(domain=1)
    sets, n = enc.data_sets(flows(2))
    records = NetflowDecoder().decode(enc.message(enc.template_set() + sets, NOW, n), EXPORTER)
    assert [r.l7_proto for r in records] == [91, 91]


def test_templates_are_kept_per_exporter_and_domain() -> None:
    decoder = NetflowDecoder()
    a, b = V9Encoder(source_id=1), V9Encoder(source_id=2)
    decoder.decode(a.packet(a.template_set(), NOW), EXPORTER)
    data_b = b.packet(b.data_sets(flows(2), NOW), NOW)
    assert decoder.decode(data_b, EXPORTER) == []  # domain 2 has no template yet
    assert decoder.decode(a.packet(a.data_sets(flows(2), NOW), NOW), "127.0.0.10") == []  # other exporter
    assert decoder.stats[EXPORTER].sets_without_template == 1
    assert decoder.stats["127.0.0.10"].sets_without_template == 1
    assert len(decoder.decode(a.packet(a.data_sets(flows(2), NOW), NOW), EXPORTER)) == 2


def test_template_refresh_replaces_the_layout() -> None:
    decoder = NetflowDecoder()
    enc = V9Encoder()
    decoder.decode(enc.packet(enc.template_set(), NOW), EXPORTER)
    decoder.decode(enc.packet(enc.template_set(), NOW), EXPORTER)  # same template again: no refresh
    assert decoder.stats[EXPORTER].template_refreshes == 0
    # template 256 redefined as (src ip, dst ip, bytes) only
    body = struct.pack("!HHHHHHHH", 256, 3, 8, 4, 12, 4, 1, 4)
    refreshed = struct.pack("!HH", 0, len(body) + 4) + body
    data = struct.pack("!4s4sI", bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]), 777)
    data_set = struct.pack("!HH", 256, len(data) + 4) + data
    records = decoder.decode(enc.packet(refreshed + data_set, NOW), EXPORTER)
    assert decoder.stats[EXPORTER].template_refreshes == 1
    assert [(r.src_ip, r.dst_ip, r.bytes, r.src_port) for r in records] == [("10.0.0.1", "10.0.0.2", 777, 0)]


def test_data_before_template_in_the_same_packet() -> None:
    enc = V9Encoder()
    packet = enc.packet(enc.data_sets(flows(2), NOW) + enc.template_set(), NOW)
    assert len(NetflowDecoder().decode(packet, EXPORTER)) == 2


def test_v9_options_template_sets_the_sampling_rate() -> None:
    decoder = NetflowDecoder()
    enc = V9Encoder()
    records = decoder.decode(
        enc.packet(enc.template_set() + enc.options_sets(100) + enc.data_sets(flows(1), NOW), NOW), EXPORTER
    )
    stats = decoder.stats[EXPORTER]
    assert stats.options_templates == 1 and stats.options_records == 1 and stats.sampling_rate == 100
    assert records[0].bytes == 1000 * 100 and records[0].packets == 2 * 100 and records[0].sampling_rate == 100


def test_ipfix_options_sampling_and_v5_header_sampling() -> None:
    decoder = NetflowDecoder()
    enc = IpfixEncoder()
    opts, n_opts = enc.options_sets(10)
    decoder.decode(enc.message(enc.template_set() + opts, NOW, n_opts), EXPORTER)
    sets, n = enc.data_sets(flows(1))
    assert decoder.decode(enc.message(sets, NOW, n), EXPORTER)[0].bytes == 10_000
    v5 = decoder.decode(encode_v5(flows(1), sequence=0, export_time=NOW, sampling_interval=64), "127.0.0.11")
    assert v5[0].bytes == 64_000 and v5[0].sampling_rate == 64


def test_sequence_gaps_count_as_loss() -> None:
    decoder = NetflowDecoder()
    sent = flows(5)
    decoder.decode(encode_v5(sent, sequence=0, export_time=NOW), "127.0.0.21")
    decoder.decode(encode_v5(sent, sequence=5, export_time=NOW), "127.0.0.21")  # in order
    decoder.decode(encode_v5(sent, sequence=20, export_time=NOW), "127.0.0.21")  # 10 flows missing
    assert decoder.stats["127.0.0.21"].lost_records == 10

    v9 = V9Encoder()
    decoder.decode(v9.packet(v9.template_set(), NOW), "127.0.0.22")
    v9.sequence += 3  # three export packets lost
    decoder.decode(v9.packet(v9.data_sets(sent, NOW), NOW), "127.0.0.22")
    assert decoder.stats["127.0.0.22"].lost_packets == 3

    ipfix = IpfixEncoder()
    decoder.decode(ipfix.message(ipfix.template_set(), NOW, 0), "127.0.0.23")
    sets, n = ipfix.data_sets(sent)
    ipfix.sequence += 7
    decoder.decode(ipfix.message(sets, NOW, n), "127.0.0.23")
    decoder.decode(ipfix.message(sets, NOW, n), "127.0.0.23")
    assert decoder.stats["127.0.0.23"].lost_records == 7

    decoder.decode(encode_v5(sent, sequence=2, export_time=NOW), "127.0.0.21")  # exporter restarted
    assert decoder.stats["127.0.0.21"].sequence_resets == 1 and decoder.stats["127.0.0.21"].lost_records == 10


def test_ipfix_variable_length_text_element() -> None:
    # template 300: src, dst, bytes, ntop L7_PROTO_NAME (enterprise 35632, variable length)
    template = struct.pack("!HH", 300, 4) + struct.pack("!HHHHHH", 8, 4, 12, 4, 1, 4)
    template += struct.pack("!HHI", 119 | 0x8000, 0xFFFF, 35632)
    tset = struct.pack("!HH", 2, len(template) + 4) + template
    record = bytes([10, 0, 0, 1, 10, 0, 0, 2]) + struct.pack("!I", 99) + bytes([7]) + b"Netflix"
    dset = struct.pack("!HH", 300, len(record) + 4) + record
    body = tset + dset
    message = struct.pack("!HHIII", 10, 16 + len(body), int(NOW), 0, 0) + body
    records = NetflowDecoder().decode(message, EXPORTER)
    assert [(r.src_ip, r.bytes, r.l7_name) for r in records] == [("10.0.0.1", 99, "Netflix")]


def test_bad_packets_are_counted_not_raised() -> None:
    decoder = NetflowDecoder()
    enc = V9Encoder()
    good = enc.packet(enc.template_set() + enc.data_sets(flows(3), NOW), NOW)
    assert decoder.decode(b"", EXPORTER) == []
    assert decoder.decode(b"\x00\x07garbage", EXPORTER) == []  # unknown version
    assert decoder.decode(good[:30], EXPORTER) == []  # cut inside the template set
    assert decoder.decode(encode_v5(flows(2), sequence=0, export_time=NOW)[:-10], EXPORTER) == []
    bad_length = bytearray(good)
    struct.pack_into("!H", bad_length, 22, 2)  # set length below the 4-byte header
    assert decoder.decode(bytes(bad_length), EXPORTER) == []
    stats = decoder.stats[EXPORTER]
    assert stats.truncated_packets == 3 and stats.malformed_packets == 2 and stats.packets == 5
    assert len(decoder.decode(good, EXPORTER)) == 3  # still decoding afterwards


@st.composite
def mutated_packets(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["v5", "v9", "ipfix"]))
    sent = flows(draw(st.integers(1, 6)))
    if kind == "v5":
        packet = bytearray(encode_v5(sent, sequence=0, export_time=NOW))
    elif kind == "v9":
        enc = V9Encoder()
        packet = bytearray(enc.packet(enc.template_set() + enc.options_sets(4) + enc.data_sets(sent, NOW), NOW))
    else:
        ipfix = IpfixEncoder()
        sets, n = ipfix.data_sets(sent)
        packet = bytearray(ipfix.message(ipfix.template_set() + sets, NOW, n))
    for _ in range(draw(st.integers(0, 8))):
        packet[draw(st.integers(0, len(packet) - 1))] = draw(st.integers(0, 255))
    return bytes(packet[: draw(st.integers(0, len(packet)))])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_fuzz_random_bytes_never_raise(data: bytes) -> None:
    decoder = NetflowDecoder()
    decoder.decode(data, EXPORTER)
    assert decoder.stats[EXPORTER].packets == 1


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_packets(), mutated_packets())
def test_fuzz_mutated_packets_never_raise_and_decoder_survives(first: bytes, second: bytes) -> None:
    decoder = NetflowDecoder()
    for packet in (first, second):
        for record in decoder.decode(packet, EXPORTER):
            assert record.bytes >= 0 and 0 <= record.src_port <= 0xFFFF
    enc = V9Encoder(source_id=99)
    assert len(decoder.decode(enc.packet(enc.template_set() + enc.data_sets(flows(2), NOW), NOW), EXPORTER)) == 2
