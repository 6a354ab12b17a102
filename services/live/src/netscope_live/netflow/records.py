"""The normalised flow record every decoder produces, and per-exporter decoding counters."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class FlowRecord:
    """One decoded flow record, counters already multiplied by the sampling rate.

    Times are UNIX epoch seconds. `rev_bytes`/`rev_packets` carry the reverse direction when the
    exporter reports bidirectional records (NetFlow v9 OUT_BYTES/OUT_PKTS); otherwise they are 0.
    """

    exporter: str
    domain: int
    version: int
    src_ip: str
    dst_ip: str
    src_port: int = 0
    dst_port: int = 0
    protocol: int = 0
    bytes: int = 0
    packets: int = 0
    rev_bytes: int = 0
    rev_packets: int = 0
    first_seen: float = 0.0
    last_seen: float = 0.0
    tcp_flags: int = 0
    tos: int = 0
    input_if: int = 0
    output_if: int = 0
    src_mac: str = ""
    dst_mac: str = ""
    vlan: int = 0
    src_as: int = 0
    dst_as: int = 0
    l7_proto: int = -1
    l7_name: str = ""
    sampling_rate: int = 1


@dataclass(slots=True)
class ExporterStats:
    """What the collector saw from one exporter (keyed by its IP address)."""

    exporter: str
    packets: int = 0
    bytes: int = 0
    records: int = 0
    options_records: int = 0
    templates: int = 0
    options_templates: int = 0
    template_refreshes: int = 0
    malformed_packets: int = 0
    truncated_packets: int = 0
    sets_without_template: int = 0
    skipped_records: int = 0
    lost_records: int = 0
    lost_packets: int = 0
    sequence_resets: int = 0
    sampling_rate: int = 1
    last_seen: float = 0.0
    versions: set[int] = field(default_factory=set)
