"""A live-table flow entry for tests of the live service's ingest path."""

from __future__ import annotations

import dataclasses
from typing import Any

from netscope_live.entries import FlowEntry


def http_flow_entry(client_port: int, **changes: Any) -> FlowEntry:
    """A finished HTTP flow 10.0.0.1:client_port -> 10.0.0.2:80 from exporter 192.0.2.1; `changes` override fields."""
    entry = FlowEntry(
        key=("192.0.2.1", 0, 6, "10.0.0.1", client_port, "10.0.0.2", 80),
        exporter="192.0.2.1",
        vlan=0,
        protocol=6,
        client_ip="10.0.0.1",
        client_port=client_port,
        server_ip="10.0.0.2",
        server_port=80,
        application="HTTP",
        first_seen=1_700_000_000.0,
        last_seen=1_700_000_060.0,
        updated=0,
        created=0,
        bytes_c2s=100,
        bytes_s2c=50,
    )
    return dataclasses.replace(entry, **changes)
