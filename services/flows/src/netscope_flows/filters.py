"""Validate a FlowFilter and turn it into a WHERE clause over ntopng's flows table.

Only numbers and re-rendered addresses are interpolated: every text field is parsed (ipaddress, nDPI
name table, two ASCII letters) before it reaches SQL, so no caller text is ever quoted into a statement.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from netscope.flows.v1 import flows_pb2
from netscope_common.errors import InvalidArgument
from netscope_common.timeutil import resolve_window
from netscope_flows import arguments
from netscope_ntopng.ndpi import L7_PROTOCOLS

L4_NAMES = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58, "gre": 47, "esp": 50, "sctp": 132}
L7_BY_LOWER = {name.lower(): key for key, (name, _) in L7_PROTOCOLS.items()}
MAX_SPAN = timedelta(days=366)

SRC_IP_SQL = "if(IP_PROTOCOL_VERSION = 6, toString(IPV6_SRC_ADDR), IPv4NumToString(IPV4_SRC_ADDR))"
DST_IP_SQL = "if(IP_PROTOCOL_VERSION = 6, toString(IPV6_DST_ADDR), IPv4NumToString(IPV4_DST_ADDR))"
L4_SQL = "multiIf(PROTOCOL = 6, 'tcp', PROTOCOL = 17, 'udp', PROTOCOL = 1, 'icmp', toString(PROTOCOL))"


def country_sql(column: str) -> str:
    """Two-letter country from ntopng's packed 16-bit code ('' when unset)."""
    return f"if({column} = 0, '', char(bitShiftRight({column}, 8), bitAnd({column}, 255)))"


@dataclass(frozen=True)
class CompiledFilter:
    """A validated filter: its window and the SQL condition (always bounded by the window)."""

    start: datetime
    end: datetime
    conditions: tuple[str, ...] = ()  # the filter's conditions besides the window

    @property
    def where(self) -> str:
        """The SQL condition: flows starting in the window that meet every condition."""
        window = (
            f"FIRST_SEEN >= toDateTime({int(self.start.timestamp())})",
            f"FIRST_SEEN < toDateTime({int(self.end.timestamp())})",
        )
        return " AND ".join(window + self.conditions)

    def reaching_back(self, seconds: int) -> CompiledFilter:
        """The same filter over a window starting `seconds` earlier (a baseline read before the window)."""
        return replace(self, start=self.start - timedelta(seconds=seconds))


def parse_network(text: str, field: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise InvalidArgument(
            f"{field} must be an IPv4/IPv6 address or CIDR such as 10.1.0.0/16 or 2001:db8::/32; got {text!r}",
            field=f"filter.{field}",
        ) from None


def parse_exporter(text: str) -> ipaddress.IPv4Address:
    """An exporter's IPv4 address."""
    try:
        return ipaddress.IPv4Address(text.strip())
    except ValueError:
        raise InvalidArgument(
            f"exporter must be the exporter's IPv4 address such as 192.0.2.1; got {text!r}", field="filter.exporter"
        ) from None


def _ip_condition(net: ipaddress.IPv4Network | ipaddress.IPv6Network, side: str) -> str:
    first, last = net.network_address, net.broadcast_address
    if net.version == 4:
        column = f"IPV4_{side}_ADDR"
        if first == last:
            return f"(IP_PROTOCOL_VERSION = 4 AND {column} = {int(first)})"
        return f"(IP_PROTOCOL_VERSION = 4 AND {column} BETWEEN {int(first)} AND {int(last)})"
    column = f"IPV6_{side}_ADDR"
    return f"(IP_PROTOCOL_VERSION = 6 AND {column} BETWEEN toIPv6('{first}') AND toIPv6('{last}'))"


def host_condition(ip: str, side: str) -> str:
    """The condition "the address on `side` ("SRC" or "DST") is `ip`" (a checked address)."""
    return _ip_condition(ipaddress.ip_network(ip), side)


def parse_l4(text: str) -> int:
    """IP protocol number from a name (tcp, udp, icmp, ...) or a number 0-255."""
    value = text.strip().lower()
    if value in L4_NAMES:
        return L4_NAMES[value]
    if value.isdigit() and int(value) <= 255:
        return int(value)
    raise InvalidArgument(
        f"l4_proto must be one of {', '.join(L4_NAMES)} or an IP protocol number 0-255; got {text!r}",
        field="filter.l4_proto",
    )


def parse_l7(text: str, field: str = "filter.l7_proto") -> int:
    """nDPI protocol id from its name (case-insensitive)."""
    key = L7_BY_LOWER.get(text.strip().lower())
    if key is None:
        close = sorted(n for n in L7_BY_LOWER if n.startswith(text.strip().lower()[:2]))[:8]
        hint = f"; similar: {', '.join(L7_PROTOCOLS[L7_BY_LOWER[n]][0] for n in close)}" if close else ""
        raise InvalidArgument(
            f"unknown L7 protocol {text!r}: use an nDPI name as list_protos (ListProtocols) lists it "
            f"(e.g. TLS, DNS, HTTP){hint}",
            field=field,
        )
    return key


def parse_country(text: str) -> int:
    """ntopng's packed 16-bit code for a two-letter country."""
    value = text.strip().upper()
    if len(value) != 2 or not value.isascii() or not value.isalpha():
        raise InvalidArgument(
            f"country must be an ISO 3166 two-letter code such as NL or US; got {text!r}", field="filter.country"
        )
    return (ord(value[0]) << 8) | ord(value[1])


def parse_port(value: int, field: str) -> int:
    """A port number (0-65535)."""
    if value > 65535:
        raise InvalidArgument(f"{field} must be a port 0-65535; got {value}", field=f"filter.{field}")
    return value


def compile_filter(flt: flows_pb2.FlowFilter, *, default_span: timedelta = timedelta(hours=1)) -> CompiledFilter:
    """Validate every field of `flt`; raises InvalidArgument naming the field and what is allowed."""
    flt = arguments.resolved(flt)
    start, end = resolve_window(flt.window, default_span=default_span, max_span=MAX_SPAN)
    conds: list[str] = []
    if flt.src_ip:
        conds.append(_ip_condition(parse_network(flt.src_ip, "src_ip"), "SRC"))
    if flt.dst_ip:
        conds.append(_ip_condition(parse_network(flt.dst_ip, "dst_ip"), "DST"))
    if flt.host:
        net = parse_network(flt.host, "host")
        conds.append(f"({_ip_condition(net, 'SRC')} OR {_ip_condition(net, 'DST')})")
    if flt.HasField("dst_port"):
        conds.append(f"IP_DST_PORT = {parse_port(flt.dst_port, 'dst_port')}")
    if flt.HasField("port"):
        port = parse_port(flt.port, "port")
        conds.append(f"(IP_SRC_PORT = {port} OR IP_DST_PORT = {port})")
    if flt.l4_proto:
        conds.append(f"PROTOCOL = {parse_l4(flt.l4_proto)}")
    if flt.l7_proto:
        conds.append(f"L7_PROTO = {parse_l7(flt.l7_proto)}")
    if flt.country:
        code = parse_country(flt.country)
        conds.append(f"(SRC_COUNTRY_CODE = {code} OR DST_COUNTRY_CODE = {code})")
    if flt.exporter:
        conds.append(f"PROBE_IP = {int(parse_exporter(flt.exporter))}")
    if flt.HasField("if_index"):
        conds.append(f"(INPUT_SNMP = {flt.if_index} OR OUTPUT_SNMP = {flt.if_index})")
    if flt.HasField("interface_id"):
        if flt.interface_id > 65535:
            raise InvalidArgument("interface_id must be 0-65535", field="filter.interface_id")
        conds.append(f"INTERFACE_ID = {flt.interface_id}")
    if flt.min_bytes:
        conds.append(f"TOTAL_BYTES >= {int(flt.min_bytes)}")
    if flt.min_score:
        conds.append(f"SCORE >= {int(flt.min_score)}")
    return CompiledFilter(start, end, tuple(conds))
