"""NFStream flows as the live table's records."""

from __future__ import annotations

from typing import Any

from netscope_live.netflow.records import FlowRecord

PROBE_VERSION = 0  # FlowRecord.version of probe records (no NetFlow version)


def flow_record(flow: Any, exporter: str) -> FlowRecord:
    """One bidirectional NFStream `NFlow` as a FlowRecord carrying both directions.

    Bytes are link-layer frame bytes (NFStream's default accounting); the application is nDPI's
    `application_name` (`TLS`, `DNS`, `HTTP`, `TLS.Google`, ...), empty when nDPI found none.
    """
    return FlowRecord(
        exporter=exporter,
        domain=0,
        version=PROBE_VERSION,
        src_ip=str(flow.src_ip),
        dst_ip=str(flow.dst_ip),
        src_port=int(flow.src_port),
        dst_port=int(flow.dst_port),
        protocol=int(flow.protocol),
        bytes=int(flow.src2dst_bytes),
        packets=int(flow.src2dst_packets),
        rev_bytes=int(flow.dst2src_bytes),
        rev_packets=int(flow.dst2src_packets),
        first_seen=int(flow.bidirectional_first_seen_ms) / 1000,
        last_seen=int(flow.bidirectional_last_seen_ms) / 1000,
        src_mac=str(flow.src_mac or "").lower(),
        dst_mac=str(flow.dst_mac or "").lower(),
        vlan=int(flow.vlan_id or 0),
        l7_name=_application(str(flow.application_name or "")),
    )


def _application(name: str) -> str:
    """nDPI's name, or "" (the table then guesses from the port) when nDPI did not recognise it."""
    return "" if name in ("", "Unknown") else name
