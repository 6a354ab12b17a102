"""Seed 003's interface map: `{ifIndex: {name, capacity_mbps}}`, naming interfaces and setting their capacity in
DetectBottlenecks. Keys are an ifIndex (any exporter, as the seed's documents name no exporter) or
`EXPORTER_IP:IFINDEX` (one exporter's interface, as `interface_capacity_bps` keys are)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from netscope_common.errors import FailedPrecondition

ANY_EXPORTER = "*"


@dataclass(frozen=True)
class InterfaceInfo:
    """One entry of the map."""

    name: str
    capacity_bps: int


def _entry(key: str, spec: Any) -> tuple[tuple[str, int], InterfaceInfo]:
    exporter, _, index = str(key).rpartition(":")
    if not index.isdigit() or not isinstance(spec, dict):
        raise ValueError(f"entry {key!r}: keys are IFINDEX or EXPORTER_IP:IFINDEX, values {{name, capacity_mbps}}")
    mbps = spec.get("capacity_mbps", 0)
    if not isinstance(mbps, int | float) or mbps < 0:
        raise ValueError(f"entry {key!r}: capacity_mbps must be a number of megabits per second; got {mbps!r}")
    return (exporter or ANY_EXPORTER, int(index)), InterfaceInfo(str(spec.get("name", "")), int(mbps * 1_000_000))


def parse_interface_map(text: str) -> dict[tuple[str, int], InterfaceInfo]:
    """The map from a JSON/YAML file path or JSON text (empty: no map); ValueError saying what is wrong."""
    if not text.strip():
        return {}
    source = Path(text) if not text.lstrip().startswith("{") else None
    try:
        raw = yaml.safe_load(source.read_text()) if source else json.loads(text)
    except OSError as exc:
        raise ValueError(f"cannot read {source}: {exc.strerror}") from None
    except (ValueError, yaml.YAMLError) as exc:
        raise ValueError(f"not valid {'YAML' if source else 'JSON'}: {str(exc).splitlines()[0]}") from None
    if not isinstance(raw, dict):
        raise ValueError("the map must be an object {ifIndex: {name, capacity_mbps}}")
    return dict(_entry(k, v) for k, v in raw.items() if str(k) != "default")


def load_interface_map(text: str) -> dict[tuple[str, int], InterfaceInfo]:
    """The map as parse_interface_map reads it; FailedPrecondition saying what is wrong (the file may have changed
    since the service started)."""
    try:
        return parse_interface_map(text)
    except ValueError as exc:
        raise FailedPrecondition(
            f"NETSCOPE_FLOWS_INTERFACE_MAP ({text[:80]!r}) is not a usable interface map: {exc}", field="interface_map"
        ) from None


def lookup(table: dict[tuple[str, int], InterfaceInfo], exporter: str, if_index: int) -> InterfaceInfo | None:
    """The exporter's own entry, else the ifIndex's entry for any exporter."""
    return table.get((exporter, if_index)) or table.get((ANY_EXPORTER, if_index))
