"""Small conversions shared by both sources: timestamps, protocol names, address validation."""

from __future__ import annotations

import ipaddress

from google.protobuf.timestamp_pb2 import Timestamp

from netscope_common.errors import InvalidArgument

L4_NAMES = {1: "ICMP", 2: "IGMP", 6: "TCP", 17: "UDP", 47: "GRE", 50: "ESP", 58: "ICMPv6", 132: "SCTP"}


def timestamp(epoch: float) -> Timestamp:
    """Epoch seconds as a protobuf Timestamp."""
    ts = Timestamp()
    ts.FromNanoseconds(int(max(0.0, epoch) * 1e9))
    return ts


def l4_name(protocol: int) -> str:
    """'TCP', 'UDP', ... or the protocol number as text."""
    return L4_NAMES.get(protocol, str(protocol))


def valid_ip(ip: str, field: str = "ip") -> str:
    """The canonical text of an IPv4/IPv6 address; InvalidArgument otherwise."""
    try:
        return str(ipaddress.ip_address(ip.strip()))
    except ValueError:
        raise InvalidArgument(
            f"{field} {ip[:60]!r} is not an IPv4 or IPv6 address (e.g. 192.168.1.10 or 2001:db8::1)", field=field
        ) from None
