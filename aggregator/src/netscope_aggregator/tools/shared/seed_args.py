"""Seed 003's argument shapes (elastickent/netflow_mcp): time_range in date math, anomaly_type, direction, focus,
resolved beside netscope's own arguments, with a clear error when a call gives both ways of saying one thing."""

from typing import Annotated, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from netscope.flows.v1 import flows_pb2

TimeRange = Annotated[
    str | None,
    Field(
        max_length=64,
        description="instead of hours: a start in Elasticsearch date math (now-15m, now-1h, now-7d, now-1d/d) "
        "or ISO 8601 (2025-11-01T00:00:00Z), up to now",
    ),
]
AnomalyType = Literal["all", "port_scan", "traffic_spike", "rare_ports"]
ANOMALY_TYPES: dict[str, list[str]] = {
    "all": [],  # every detector
    "port_scan": ["horizontal_scan", "vertical_scan"],
    "traffic_spike": ["traffic_spike", "traffic_drop"],
    "rare_ports": ["rare_port"],
}
Direction = Literal["both", "source", "destination"]
DIRECTIONS: dict[str, int] = {
    "both": flows_pb2.HOST_DIRECTION_BOTH,
    "source": flows_pb2.HOST_DIRECTION_SOURCE,
    "destination": flows_pb2.HOST_DIRECTION_DESTINATION,
}
Focus = Literal["summary", "top_talkers", "services", "geographic"]


def window_hours(hours: float | None, time_range: str | None, default: float) -> tuple[float | None, str]:
    """(hours, "") or (None, time_range): which of the two windows a call asked for, `default` hours if neither."""
    if hours is not None and time_range:
        raise ToolError(
            f"give either hours ({hours:g}) or time_range ({time_range!r}), not both: "
            "hours counts back from now, time_range is a start in date math such as now-1h"
        )
    if time_range:
        return None, time_range.strip()
    return (default if hours is None else hours), ""


def window_label(hours: float | None, time_range: str) -> str:
    """'over 1 h' or 'since now-15m' for a summary line."""
    return f"since {time_range}" if hours is None else f"over {hours:g} h"


def anomaly_kinds(kinds: list[str], anomaly_type: str | None) -> list[str]:
    """The detector names a call asked for, from netscope's kinds or the seed's anomaly_type."""
    if kinds and anomaly_type:
        raise ToolError(
            f"give either kinds ({', '.join(kinds)}) or anomaly_type ({anomaly_type!r}), not both: anomaly_type "
            + "; ".join(f"{name} = {', '.join(mapped) or 'every kind'}" for name, mapped in ANOMALY_TYPES.items())
        )
    return ANOMALY_TYPES[anomaly_type] if anomaly_type else list(kinds)


def host_ip(ip: str | None, ip_address: str | None) -> str:
    """The host of investigate_host: `ip` or the seed's `ip_address`, exactly one of them."""
    if ip and ip_address and ip.strip() != ip_address.strip():
        raise ToolError(f"give either ip ({ip!r}) or ip_address ({ip_address!r}), not two different addresses")
    chosen = ip or ip_address
    if not chosen:
        raise ToolError("give the host's address as ip (or ip_address), e.g. 10.1.2.42")
    return chosen
