"""Which document fields hold what: the seam between the Elasticsearch backend and a cluster's NetFlow layout.

Every query, aggregation and document read of the backend names its fields through a FieldLayout, never
literally. Three layouts are known (LAYOUTS): `scenario` (ECS as `netscope scenario` renders it and IngestFlows
writes it, with ntopng's application names), `ecs` (the Elastic Agent / Filebeat NetFlow integration's documents)
and `seed-minimal` (only `@timestamp`, `network.bytes/packets`, the addresses, the destination port and
`netflow.ingress/egress_interface`, the fields seed 003 lists). `detect` picks one from the index mapping and
records which of its fields the index lacks (`absent`): the backend falls back where it can (see `has`) and
otherwise refuses with a message naming the field, never answering "nothing".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from netscope_common.errors import FailedPrecondition


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
    absent: frozenset[str] = field(default=frozenset())  # fields of this layout the index does not have

    def has(self, name: str) -> bool:
        """True when the index holds the field `name` (a field of this layout)."""
        return name not in self.absent

    def facts(self) -> dict[str, str]:
        """Fact -> field, for every fact this layout names."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in ("name", "absent")}

    def missing(self, name: str, what: str, index: str) -> FailedPrecondition:
        """The refusal for `what`, which needs the field `name` the index does not have."""
        return FailedPrecondition(
            f"{what} needs the field {name}, which the documents of {index} do not have (field layout {self.name}); "
            f"{MISSING_HINT}",
            field=name,
        )

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


ECS = dataclasses.replace(
    SCENARIO,
    name="ecs",
    application="network.application",
)
"""The Elastic Agent / Filebeat NetFlow integration: as the scenario's, without ntopng's application names."""

SEED_MINIMAL = dataclasses.replace(
    SCENARIO,
    name="seed-minimal",
    start="@timestamp",
    end="@timestamp",
    src_bytes="network.bytes",
    dst_bytes="network.bytes",
)
"""Seed 003's fields: each document is one direction of a flow, timed by @timestamp; its network.bytes enter by
its ingress interface and leave by its egress interface (the others fields of SCENARIO are normally absent)."""

LAYOUTS = {layout.name: layout for layout in (SCENARIO, ECS, SEED_MINIMAL)}
MISSING_HINT = (
    "add the field to the documents, or name the layout with NETSCOPE_FLOWS_ES_LAYOUT (scenario, ecs, seed-minimal)"
)


def mapped_fields(mapping: dict[str, Any]) -> set[str]:
    """Every dotted field path of an indices' get-mapping answer (all indices together)."""
    found: set[str] = set()

    def walk(properties: dict[str, Any], prefix: str) -> None:
        for name, spec in properties.items():
            path = f"{prefix}{name}"
            if "properties" in spec:
                walk(spec["properties"], f"{path}.")
            else:
                found.add(path)

    for index in mapping.values():
        walk(index.get("mappings", {}).get("properties", {}), "")
    return found


def fitted(layout: FieldLayout, fields: Iterable[str]) -> FieldLayout:
    """`layout` with `absent` set to its fields not among `fields`."""
    present = set(fields)
    return dataclasses.replace(layout, absent=frozenset(v for v in layout.facts().values() if v not in present))


def detect(fields: Iterable[str]) -> FieldLayout:
    """The known layout whose time field the index has and that lacks the fewest of its fields (scenario first)."""
    present = set(fields)
    candidates = [fitted(layout, present) for layout in LAYOUTS.values() if layout.start in present]
    if not candidates:
        return fitted(SEED_MINIMAL, present) if present else SCENARIO
    # On a tie the richer layout wins: ECS over scenario (whose application names the index then lacks too),
    # both over the seed's.
    rank = {"ecs": 0, "scenario": 1, "seed-minimal": 2}
    return min(candidates, key=lambda layout: (len(layout.absent), rank[layout.name]))


_CLAUSES = ("term", "terms", "range", "regexp", "exists", "prefix", "wildcard")


def fields_named(body: Any) -> set[str]:
    """Every document field a query/aggregation/sort body names (in `field` values and clause keys)."""
    found: set[str] = set()
    if isinstance(body, dict):
        for key, item in body.items():
            if key == "field" and isinstance(item, str):
                found.add(item)
            elif key in _CLAUSES and isinstance(item, dict):
                found.update(k for k in item if k not in ("field", "format", "boost"))
                found |= fields_named(item)
            elif key == "sort" and isinstance(item, list):
                found.update(k for clause in item if isinstance(clause, dict) for k in clause)
            else:
                found |= fields_named(item)
    elif isinstance(body, list):
        for item in body:
            found |= fields_named(item)
    return found
