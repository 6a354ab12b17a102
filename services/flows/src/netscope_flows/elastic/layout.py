"""Which document fields hold what: the seam between the Elasticsearch backend and a cluster's NetFlow layout.

Every query, aggregation and document read of the backend names its fields through a FieldLayout, never
literally, so supporting another layout of NetFlow in Elasticsearch/OpenSearch is one more FieldLayout.
Today there is one: ECS as `netscope scenario` renders it and IngestFlows writes it (close to the Elastic
Agent / Filebeat NetFlow integration's documents, with ntopng's application names in netflow.application_name).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldLayout:
    """The field of each fact the backend reads (dotted ECS-style paths)."""

    name: str
    start: str  # the flow's first packet: the time every window is taken on
    end: str  # its last packet
    duration: str  # in nanoseconds
    bytes: str  # both directions
    packets: str
    src_ip: str
    dst_ip: str
    src_port: str
    dst_port: str
    src_bytes: str  # client to server
    dst_bytes: str  # server to client
    transport: str  # tcp, udp, ... (text)
    ip_protocol: str  # the IP protocol number
    application: str  # nDPI's application name
    exporter: str  # the exporter's address
    ingress: str  # ifIndex of the exporter's input interface
    egress: str  # ifIndex of its output interface
    flow_id: str  # unique per flow: breaks sort ties so pages never overlap
    direction: str  # ECS network.direction: internal, outbound, inbound, external
    hosts: str  # both addresses of a flow
    src_country: str
    dst_country: str
    dst_asn: str
    dns_name: str  # the name a DNS flow asked for

    def side(self, which: str) -> tuple[str, str, str]:
        """(address, bytes sent, country) fields of the "source" or "destination" side."""
        if which == "source":
            return self.src_ip, self.src_bytes, self.src_country
        return self.dst_ip, self.dst_bytes, self.dst_country


def value(document: dict[str, Any], field: str) -> Any:
    """A field of a document's `_source`, by its dotted path (None when absent)."""
    found: Any = document
    for part in field.split("."):
        if not isinstance(found, dict):
            return None
        found = found.get(part)
    return found


SCENARIO = FieldLayout(
    name="scenario",
    start="event.start",
    end="event.end",
    duration="event.duration",
    bytes="network.bytes",
    packets="network.packets",
    src_ip="source.ip",
    dst_ip="destination.ip",
    src_port="source.port",
    dst_port="destination.port",
    src_bytes="source.bytes",
    dst_bytes="destination.bytes",
    transport="network.transport",
    ip_protocol="netflow.protocol_identifier",
    application="netflow.application_name",
    exporter="observer.ip",
    ingress="netflow.ingress_interface",
    egress="netflow.egress_interface",
    flow_id="flow.id",
    direction="network.direction",
    hosts="related.ip",
    src_country="source.geo.country_iso_code",
    dst_country="destination.geo.country_iso_code",
    dst_asn="destination.as.number",
    dns_name="dns.question.name",
)
