"""ECS NetFlow documents (as Filebeat's netflow module indexes them) for `logs-netflow-*` indices."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from netscope_ntopng.ndpi import l7_name
from netscope_scenario.model import Flow
from netscope_scenario.world import World

TRANSPORT = {6: "tcp", 17: "udp", 1: "icmp"}


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def index_name(epoch: int) -> str:
    """Daily index of a document: logs-netflow-YYYY.MM.DD (UTC)."""
    return "logs-netflow-" + datetime.fromtimestamp(epoch, UTC).strftime("%Y.%m.%d")


def _endpoint(host_ip: str, port: int, flow_bytes: int, packets: int, mac: str, country: str, asn: int) -> dict:
    doc: dict[str, object] = {"ip": host_ip, "port": port, "bytes": flow_bytes, "packets": packets}
    if mac != "00:00:00:00:00:00":
        doc["mac"] = mac.upper().replace(":", "-")
    if country:
        doc["geo"] = {"country_iso_code": country}
    if asn:
        doc["as"] = {"number": asn}
    return doc


def document(world: World, f: Flow, community_id: str) -> dict[str, object]:
    """One flow as an ECS document (bidirectional: source = client, destination = server)."""
    c, s = f.client, f.server
    exporter, in_if, out_if = world.exporter_view(f)
    direction = "internal" if c.is_local and s.is_local else "outbound" if c.is_local else "inbound"
    app = l7_name(f.l7_proto) if f.l7_proto else l7_name(f.l7_master)
    return {
        "@timestamp": _iso(f.last_seen),
        "event": {
            "kind": "event", "category": ["network"], "type": ["connection"], "action": "netflow_flow",
            "start": _iso(f.first_seen), "end": _iso(f.last_seen),
            "duration": (f.last_seen - f.first_seen) * 1_000_000_000, "dataset": "netflow.log",
        },
        "source": _endpoint(c.ip, f.client_port, f.c2s_bytes, f.c2s_packets, c.mac, c.country, c.asn),
        "destination": _endpoint(s.ip, f.server_port, f.s2c_bytes, f.s2c_packets, s.mac, s.country, s.asn),
        "network": {
            "bytes": f.c2s_bytes + f.s2c_bytes, "packets": f.c2s_packets + f.s2c_packets,
            "transport": TRANSPORT.get(f.protocol, str(f.protocol)), "iana_number": str(f.protocol),
            "direction": direction, "community_id": community_id, "protocol": app.lower(),
        },
        "observer": {"ip": [exporter.address], "name": exporter.device_id, "type": "router"},
        "netflow": {
            "ingress_interface": in_if, "egress_interface": out_if, "protocol_identifier": f.protocol,
            "tcp_control_bits": f.c2s_flags | f.s2c_flags, "exporter": {
                "address": f"{exporter.address}:2055", "source_id": exporter.source_id, "version": 9},
            "application_name": app,
        },
        "flow": {"id": str(f.flow_id)},
        "related": {"ip": [c.ip, s.ip]},
        "data_stream": {"type": "logs", "dataset": "netflow.log", "namespace": "default"},
    }  # fmt: skip


def dumps(doc: dict[str, object]) -> str:
    """Compact, stable JSON for one document."""
    return json.dumps(doc, separators=(",", ":"))
