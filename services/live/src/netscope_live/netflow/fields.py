"""Information elements the decoder keeps, and compiling a template into a `struct` layout.

Keys are (enterprise number, element id): NetFlow v9 ids use enterprise 0 with the full 16-bit id
(nProbe's 57590 L7_PROTO), IPFIX enterprise elements carry their PEN (ntop is 35632, where element
118 is the same L7_PROTO). Everything not listed here is skipped with struct padding, never decoded.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import Enum

VARIABLE_LENGTH = 0xFFFF
NTOP_PEN = 35632


class Kind(Enum):
    """How a kept element is converted to a Python value."""

    UINT = "uint"
    IPV4 = "ipv4"
    IPV6 = "ipv6"
    MAC = "mac"
    TEXT = "text"


# (pen, id) -> (name, kind). Names are the keys of the per-record value dict the decoder reads.
KEPT: dict[tuple[int, int], tuple[str, Kind]] = {
    (0, 1): ("bytes", Kind.UINT),  # IN_BYTES / octetDeltaCount
    (0, 2): ("packets", Kind.UINT),  # IN_PKTS / packetDeltaCount
    (0, 4): ("protocol", Kind.UINT),
    (0, 5): ("tos", Kind.UINT),
    (0, 6): ("tcp_flags", Kind.UINT),
    (0, 7): ("src_port", Kind.UINT),
    (0, 8): ("src_ip", Kind.IPV4),
    (0, 10): ("input_if", Kind.UINT),
    (0, 11): ("dst_port", Kind.UINT),
    (0, 12): ("dst_ip", Kind.IPV4),
    (0, 14): ("output_if", Kind.UINT),
    (0, 16): ("src_as", Kind.UINT),
    (0, 17): ("dst_as", Kind.UINT),
    (0, 21): ("last_switched", Kind.UINT),  # sysUpTime ms (v9) / relative to systemInitTime (IPFIX)
    (0, 22): ("first_switched", Kind.UINT),
    (0, 23): ("rev_bytes", Kind.UINT),  # OUT_BYTES
    (0, 24): ("rev_packets", Kind.UINT),  # OUT_PKTS
    (0, 27): ("src_ip", Kind.IPV6),
    (0, 28): ("dst_ip", Kind.IPV6),
    (0, 34): ("sampling_interval", Kind.UINT),
    (0, 50): ("sampling_interval", Kind.UINT),  # FLOW_SAMPLER_RANDOM_INTERVAL
    (0, 56): ("src_mac", Kind.MAC),
    (0, 57): ("dst_mac_post", Kind.MAC),
    (0, 58): ("vlan", Kind.UINT),
    (0, 80): ("dst_mac", Kind.MAC),
    (0, 81): ("src_mac_post", Kind.MAC),
    (0, 85): ("bytes_total", Kind.UINT),
    (0, 86): ("packets_total", Kind.UINT),
    (0, 150): ("start_s", Kind.UINT),
    (0, 151): ("end_s", Kind.UINT),
    (0, 152): ("start_ms", Kind.UINT),
    (0, 153): ("end_ms", Kind.UINT),
    (0, 160): ("system_init_ms", Kind.UINT),
    (0, 243): ("vlan", Kind.UINT),
    (0, 305): ("sampling_packet_interval", Kind.UINT),
    (0, 306): ("sampling_packet_space", Kind.UINT),
    (0, 57590): ("l7_proto", Kind.UINT),  # nProbe NetFlow v9 L7_PROTO
    (0, 57591): ("l7_name", Kind.TEXT),  # nProbe NetFlow v9 L7_PROTO_NAME
    (NTOP_PEN, 118): ("l7_proto", Kind.UINT),
    (NTOP_PEN, 119): ("l7_name", Kind.TEXT),
}


def variable_kept(spec: FieldSpec) -> tuple[str, Kind] | None:
    """(name, kind) when the decoder keeps this variable-length field (text only), else None."""
    kept = KEPT.get((spec.pen, spec.element))
    return kept if kept is not None and kept[1] is Kind.TEXT else None


_UINT_CODES = {1: "B", 2: "H", 4: "I", 8: "Q"}
_FIXED = {Kind.IPV4: 4, Kind.IPV6: 16, Kind.MAC: 6}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field specifier of a template."""

    pen: int
    element: int
    length: int


@dataclass(slots=True)
class Template:
    """A compiled (options) template: a `struct` layout when every field has a fixed length."""

    template_id: int
    fields: tuple[FieldSpec, ...]
    scope_count: int
    is_options: bool
    record_length: int
    layout: struct.Struct | None
    kept: tuple[tuple[str, Kind, bool], ...]  # (name, kind, decode from raw bytes) per unpacked value

    @property
    def variable(self) -> bool:
        """True when a field has variable length (IPFIX 65535): records are walked one by one."""
        return self.layout is None


def kept_spec(spec: FieldSpec) -> tuple[str, Kind] | None:
    """(name, kind) when the decoder keeps this fixed-length field, else None."""
    kept = KEPT.get((spec.pen, spec.element))
    if kept is None:
        return None
    name, kind = kept
    fixed = _FIXED.get(kind)
    if fixed is not None and spec.length != fixed:
        return None
    if kind is Kind.UINT and not 1 <= spec.length <= 8:
        return None
    return name, kind


def compile_template(
    template_id: int, fields: tuple[FieldSpec, ...], *, scope_count: int = 0, is_options: bool = False
) -> Template:
    """Build the `struct` layout that unpacks only the kept fields of each record."""
    variable = any(spec.length == VARIABLE_LENGTH for spec in fields)
    codes = ["!"]
    kept: list[tuple[str, Kind, bool]] = []
    record_length = 0
    for spec in fields:
        if spec.length == VARIABLE_LENGTH:
            continue
        record_length += spec.length
        wanted = kept_spec(spec)
        if wanted is None:
            codes.append(f"{spec.length}x")
            continue
        name, kind = wanted
        code = _UINT_CODES.get(spec.length) if kind is Kind.UINT else None
        codes.append(code or f"{spec.length}s")
        kept.append((name, kind, code is None))
    layout = None if variable else struct.Struct("".join(codes))
    return Template(
        template_id=template_id,
        fields=fields,
        scope_count=scope_count,
        is_options=is_options,
        record_length=record_length,
        layout=layout,
        kept=tuple(kept),
    )
