"""NetFlow v5, v9 and IPFIX packets decode with the independent `netflow` package to the same records."""

from __future__ import annotations

import ipaddress

import pytest
from netflow.ipfix import IPFIXExportPacket
from netflow.v5 import V5ExportPacket
from netflow.v9 import V9ExportPacket

from netscope_scenario.exporter import Encoder, export_packets, flow_records, split_address, split_v5
from netscope_scenario.world import World


def _expected(world: World, flows: list, version: int, sampling: int = 1) -> list[tuple]:
    out = []
    for f in flows:
        _, recs = flow_records(world, f, sampling)
        if version == 5:
            recs = [p for r in recs for p in split_v5(r)]
        out += [(r.src, r.dst, r.src_port, r.dst_port, r.protocol, r.octets, r.packets, r.input_if, r.output_if)
                for r in recs]  # fmt: skip
    return sorted(out)


def _ip(value: object) -> int:
    return int(ipaddress.IPv4Address(value)) if isinstance(value, str) else int(value)  # type: ignore[arg-type]


def _decode(packets: list[bytes], version: int) -> tuple[list[tuple], list[dict], list[int]]:
    templates: dict = {}
    records, options, seqs = [], [], []
    for pkt in packets:
        if version == 5:
            p = V5ExportPacket(pkt)
            seqs.append(p.header.sequence)
        elif version == 9:
            p = V9ExportPacket(pkt, templates)
            seqs.append(p.header.sequence)
            options += [o.data for o in p.options]
        else:
            p = IPFIXExportPacket(pkt, templates)
            seqs.append(p.header.sequence_number)
        for f in p.flows:
            d = f.data
            if "samplingInterval" in d or "SAMPLING_INTERVAL" in d:
                options.append(d)
                continue
            if version == 5:
                rec = (d["IPV4_SRC_ADDR"], d["IPV4_DST_ADDR"], d["SRC_PORT"], d["DST_PORT"], d["PROTO"],
                       d["IN_OCTETS"], d["IN_PACKETS"], d["INPUT"], d["OUTPUT"])  # fmt: skip
            elif version == 9:
                rec = (_ip(d["IPV4_SRC_ADDR"]), _ip(d["IPV4_DST_ADDR"]), d["L4_SRC_PORT"], d["L4_DST_PORT"],
                       d["PROTOCOL"], d["IN_BYTES"], d["IN_PKTS"], d["INPUT_SNMP"], d["OUTPUT_SNMP"])  # fmt: skip
            else:
                rec = (_ip(d["sourceIPv4Address"]), _ip(d["destinationIPv4Address"]), d["sourceTransportPort"],
                       d["destinationTransportPort"], d["protocolIdentifier"], d["octetDeltaCount"],
                       d["packetDeltaCount"], d["ingressInterface"], d["egressInterface"])  # fmt: skip
            records.append(tuple(int(x) for x in rec))
    return sorted(records), options, seqs


@pytest.mark.parametrize("version", [5, 9, 10])
def test_packets_decode_to_the_same_records(world: World, version: int) -> None:
    flows = [f for f in world.flows() if f.incident in ("exfiltration", "bandwidth_hog") or f.flow_id % 7 == 0]
    packets = [pkt for _, pkt in export_packets(world, version, flows)]
    decoded, _, _ = _decode(packets, version)
    assert decoded == _expected(world, flows, version)
    assert len(decoded) > 2000


@pytest.mark.parametrize("version", [9, 10])
def test_templates_sequence_numbers_and_sampling_option(world: World, version: int) -> None:
    flows = [f for _, f in zip(range(3000), world.flows(), strict=False)]
    packets = [pkt for _, pkt in export_packets(world, version, flows, sampling_interval=10)]
    decoded, options, seqs = _decode(packets, version)
    assert options and all(o.get("samplingInterval", o.get("SAMPLING_INTERVAL")) == 10 for o in options)
    assert decoded == _expected(world, flows, version, sampling=10)
    per_exporter: dict[int, list[int]] = {}
    for pkt, seq in zip(packets, seqs, strict=True):
        source = int.from_bytes(pkt[16:20] if version == 9 else pkt[12:16], "big")
        per_exporter.setdefault(source, []).append(seq)
    for seq in per_exporter.values():
        if version == 9:  # v9: packet counter
            assert seq == list(range(1, len(seq) + 1))
        else:  # IPFIX: data records exported before this message
            assert seq == sorted(seq) and seq[0] == 0


def test_v5_header_announces_sampling_and_counts_flows(world: World) -> None:
    flows = [f for _, f in zip(range(500), world.flows(), strict=False)]
    packets = [pkt for _, pkt in export_packets(world, 5, flows, sampling_interval=100)]
    first = V5ExportPacket(packets[0]).header
    assert int.from_bytes(packets[0][22:24], "big") == (1 << 14) | 100
    assert first.sequence == 0 and first.count <= 30


def test_bad_exporter_arguments_are_explained() -> None:
    with pytest.raises(ValueError, match="NetFlow version must be 5, 9 or 10"):
        Encoder(7, 0, 1)
    with pytest.raises(ValueError, match="sampling interval must be 1-16383, got 0"):
        Encoder(9, 0, 1, sampling_interval=0)
    with pytest.raises(ValueError, match="collector address must be host:port"):
        split_address("127.0.0.1")
    assert split_address("127.0.0.1:2055") == ("127.0.0.1", 2055)
