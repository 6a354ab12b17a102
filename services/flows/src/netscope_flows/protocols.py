"""ListProtocols: nDPI application protocols as ntopng stores them, the same on every backend."""

from __future__ import annotations

from netscope.flows.v1 import flows_pb2
from netscope_ntopng.ndpi import L7_PROTOCOLS


def list_protocols(name_contains: str) -> flows_pb2.ListProtocolsResponse:
    """Every protocol whose name contains `name_contains` (case-insensitive), by id."""
    needle = name_contains.strip().lower()
    return flows_pb2.ListProtocolsResponse(
        protocols=[
            flows_pb2.ProtocolInfo(id=key, name=name, category_id=category)
            for key, (name, category) in sorted(L7_PROTOCOLS.items())
            if needle in name.lower()
        ]
    )
