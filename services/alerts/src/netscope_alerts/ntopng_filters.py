"""ntopng's alert filters in its REST syntax (`value;op[,value;op...]`) compiled to SQL over the alert tables.

The same filters mcp-ntopng passes through to ntopng's alert endpoints: each names a column of one alert
table (or of the flows table, for flow alerts). Operators are ntopng's: eq, neq, lt, lte, gt, gte, and in/nin
(strings: contains / does not contain; numbers: every bit of the value set / not set). Items of one filter
are ORed, except neq and nin items and every score item, which are ANDed (so `50;gte,200;lt` is a range);
different filters are ANDed. An empty value is no filter. Unlike ntopng, which silently drops a malformed
filter, a malformed one is an error naming the syntax.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from netscope_common.errors import InvalidArgument
from netscope_ntopng.alert_types import SEVERITY_IDS
from netscope_ntopng.ndpi import L7_PROTOCOL_IDS

OPERATORS = {"eq": "=", "neq": "!=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
ALL_OPERATORS = (*OPERATORS, "in", "nin")
MAX_ITEMS = 32
_L7_BY_LOWER = {name.lower(): key for name, key in L7_PROTOCOL_IDS.items()}
# Filters mcp-ntopng sends that select nothing: `format` picks the answer encoding of ntopng's list endpoint.
FORMATS = ("json", "txt", "csv")

_V4 = "IPv4NumToString({v4})"
_CLI_IP = "if(IP_PROTOCOL_VERSION = 6, toString(IPV6_SRC_ADDR), IPv4NumToString(IPV4_SRC_ADDR))"
_SRV_IP = "if(IP_PROTOCOL_VERSION = 6, toString(IPV6_DST_ADDR), IPv4NumToString(IPV4_DST_ADDR))"
_COUNTRY = "if({c} = 0, '', char(bitShiftRight({c}, 8), bitAnd({c}, 255)))"


@dataclass(frozen=True)
class Column:
    """What a filter compares: SQL expressions (ORed for eq-like operators), the value kind, extras."""

    exprs: tuple[str, ...]
    kind: str = "number"  # number | string | severity | l7 | country
    vlan: str = ""  # column compared with the '@vlan' suffix of an address
    probe: str = ""  # column compared with the '<ip>_' prefix of an SNMP interface


def _num(*exprs: str) -> Column:
    return Column(exprs)


def _text(*exprs: str, vlan: str = "", probe: str = "") -> Column:
    return Column(exprs, "string", vlan, probe)


_COMMON = {
    "alert_id": _num("alert_id"),
    "severity": Column(("severity",), "severity"),
    "score": _num("score"),
}
_FLOW = {
    "alert_id": _num("STATUS"),
    "severity": Column(("SEVERITY",), "severity"),
    "score": _num("SCORE"),
    "ip_version": _num("IP_PROTOCOL_VERSION"),
    "ip": _text(_CLI_IP, _SRV_IP, vlan="VLAN_ID"),
    "cli_ip": _text(_CLI_IP, vlan="VLAN_ID"),
    "srv_ip": _text(_SRV_IP, vlan="VLAN_ID"),
    "cli_name": _text("SRC_LABEL", vlan="VLAN_ID"),
    "srv_name": _text("DST_LABEL", vlan="VLAN_ID"),
    "cli_port": _num("IP_SRC_PORT"),
    "srv_port": _num("IP_DST_PORT"),
    "vlan_id": _num("VLAN_ID"),
    "l7proto": Column(("L7_PROTO", "L7_PROTO_MASTER"), "l7"),
    "cli_country": Column((_COUNTRY.format(c="SRC_COUNTRY_CODE"),), "country"),
    "srv_country": Column((_COUNTRY.format(c="DST_COUNTRY_CODE"),), "country"),
    "probe_ip": _text(_V4.format(v4="PROBE_IP")),
    "input_snmp": Column(("INPUT_SNMP",), "number", probe=_V4.format(v4="PROBE_IP")),
    "output_snmp": Column(("OUTPUT_SNMP",), "number", probe=_V4.format(v4="PROBE_IP")),
    "snmp_interface": Column(("INPUT_SNMP", "OUTPUT_SNMP"), "number", probe=_V4.format(v4="PROBE_IP")),
    "cli_host_pool_id": _num("SRC_HOST_POOL_ID"),
    "srv_host_pool_id": _num("DST_HOST_POOL_ID"),
    "cli_network": _num("SRC_NETWORK_ID"),
    "srv_network": _num("DST_NETWORK_ID"),
    "l7_error_id": _text("JSONExtractString(JSONExtractString(ALERT_JSON, 'proto'), 'l7_error_code')"),
    "traffic_direction": Column(("CLIENT_LOCATION", "SERVER_LOCATION"), "direction"),
    "info": _text("INFO"),
}
_HOST = {
    **_COMMON,
    "vlan_id": _num("vlan_id"),
    "ip_version": _num("ip_version"),
    "ip": _text("ip", vlan="vlan_id"),
    "name": _text("name", vlan="vlan_id"),
    "host_pool_id": _num("host_pool_id"),
    "network": _num("network"),
}

# Filters per alert source (the names of netscope_alerts.entities.SOURCES).
BY_SOURCE: dict[str, dict[str, Column]] = {
    "flow": _FLOW,
    "host": _HOST,
    "interface": {**_COMMON, "subtype": _text("subtype")},
    "network": {**_COMMON, "network_name": _text("name")},
    "snmp": {**_COMMON, "ip": _text("ip"), "snmp_interface": Column(("port",), "number", probe="ip")},
    "mac": dict(_COMMON),
    "user": dict(_COMMON),
    "am": dict(_COMMON),
    "system": dict(_COMMON),
}
# ntopng's traffic_direction values: (client location, server location); 0 remote, 1 local.
_DIRECTIONS = {"0": (0, 0), "1": (1, 1), "2": (0, 1), "3": (1, 0)}


def known_filters() -> list[str]:
    """Every filter name some alert source takes."""
    return sorted({name for cols in BY_SOURCE.values() for name in cols} | {"format"})


def parse_items(name: str, text: str) -> list[tuple[str, str]]:
    """`value;op[,value;op...]` as (value, op) pairs; [] for an empty text (no filter)."""
    if not text.strip():
        return []
    items: list[tuple[str, str]] = []
    for raw in text.split(","):
        value, sep, op = raw.strip().rpartition(";")
        if not sep:
            value, op = op, "eq"
        value, op = value.strip(), op.strip().lower() or "eq"
        if op not in ALL_OPERATORS or not value:
            raise InvalidArgument(
                f"filter {name}={text!r} is malformed: use ntopng's 'value;op' items separated by commas, "
                f"op one of {', '.join(ALL_OPERATORS)} (a bare value means eq; an empty string means no filter)",
                field=f"ntopng_filters.{name}",
            )
        items.append((value, op))
    if len(items) > MAX_ITEMS:
        raise InvalidArgument(f"filter {name} has more than {MAX_ITEMS} items", field=f"ntopng_filters.{name}")
    return items


class Compiler:
    """Turns filters into SQL conditions with bound parameters (names f0, f1, ... in `params`)."""

    def __init__(self, params: dict[str, Any]) -> None:
        self._params = params

    def _bind(self, value: Any, ch_type: str) -> str:
        key = f"nf{len([k for k in self._params if k.startswith('nf')])}"
        self._params[key] = value
        return f"{{{key}:{ch_type}}}"

    def condition(self, name: str, column: Column, items: list[tuple[str, str]]) -> str:
        """One filter's condition: items ORed, except neq/nin and score items (ANDed)."""
        anded: list[str] = []
        ored: list[str] = []
        for value, op in items:
            cond = self._item(name, column, value, op)
            (anded if op in ("neq", "nin") or name == "score" else ored).append(cond)
        parts = list(anded)
        if ored:
            parts.append("(" + " OR ".join(ored) + ")")
        return "(" + " AND ".join(parts) + ")"

    def _item(self, name: str, column: Column, value: str, op: str) -> str:
        negative = op in ("neq", "nin")
        extra = ""
        if column.vlan and "@" in value:
            value, _, vlan = value.rpartition("@")
            extra = f"{column.vlan} {'!=' if negative else '='} {self._bind(_number(name, vlan), 'Int64')}"
        if column.probe and "_" in value:
            probe, _, value = value.rpartition("_")
            extra = f"{column.probe} {'!=' if negative else '='} {self._bind(probe, 'String')}"
        if column.kind == "direction":
            return self._direction(name, column, value)
        compare = self._compare(name, column, value, op)
        sides = [compare(e) for e in column.exprs]
        main = "(" + (" AND " if negative else " OR ").join(sides) + ")"
        if not extra:
            return main
        return f"({main} {'OR' if negative else 'AND'} {extra})"

    def _compare(self, name: str, column: Column, value: str, op: str) -> Callable[[str], str]:
        if column.kind == "string" or (column.kind == "country" and op in ("in", "nin")):
            bound = self._bind(value.upper() if column.kind == "country" else value, "String")
            if op in ("in", "nin"):
                like = "LIKE" if op == "in" else "NOT LIKE"
                return lambda e: f"{e} {like} concat('%', {bound}, '%')"
            return lambda e: f"{e} {OPERATORS[op]} {bound}"
        if column.kind == "country":
            if len(value) != 2 or not value.isalpha():
                raise InvalidArgument(
                    f"filter {name}: {value!r} is not a two-letter country code (e.g. US, IT)",
                    field=f"ntopng_filters.{name}",
                )
            bound = self._bind(value.upper(), "String")
            return lambda e: f"{e} {OPERATORS[op]} {bound}"
        number = _l7(name, value) if column.kind == "l7" else _number(name, value, column.kind == "severity")
        bound = self._bind(number, "Int64")
        if op == "in":
            return lambda e: f"bitAnd({e}, {bound}) = {bound}"
        if op == "nin":
            return lambda e: f"bitAnd({e}, {bound}) != {bound}"
        return lambda e: f"{e} {OPERATORS[op]} {bound}"

    def _direction(self, name: str, column: Column, value: str) -> str:
        pair = _DIRECTIONS.get(value)
        if pair is None:
            raise InvalidArgument(
                f"filter {name}: {value!r} is not one of 0 (remote only), 1 (local only), 2 (remote to local), "
                "3 (local to remote)",
                field=f"ntopng_filters.{name}",
            )
        cli, srv = column.exprs
        return f"({cli} = {pair[0]} AND {srv} = {pair[1]})"


def _number(name: str, value: str, severity: bool = False) -> int:
    if severity and value.lower() in SEVERITY_IDS:
        return SEVERITY_IDS[value.lower()]
    try:
        return int(value)
    except ValueError:
        allowed = " or a severity name (" + ", ".join(SEVERITY_IDS) + ")" if severity else ""
        raise InvalidArgument(
            f"filter {name}: {value!r} is not a number{allowed}", field=f"ntopng_filters.{name}"
        ) from None


def _l7(name: str, value: str) -> int:
    if value.isdigit():
        return int(value)
    key = _L7_BY_LOWER.get(value.lower())
    if key is None:
        raise InvalidArgument(
            f"filter {name}: {value!r} is neither an nDPI protocol id nor a name (list_protos lists them)",
            field=f"ntopng_filters.{name}",
        )
    return key


def check_names(filters: Mapping[str, str], sources: list[str]) -> None:
    """Refuse a filter none of the requested sources has, naming the ones they take."""
    if (fmt := filters.get("format", "").strip()) and fmt.lower() not in FORMATS:
        raise InvalidArgument(f"format must be one of {', '.join(FORMATS)}", field="ntopng_filters.format")
    for name, text in filters.items():
        if name == "format" or not text.strip():
            continue
        if not any(name in BY_SOURCE[s] for s in sources):
            taken = sorted({n for s in sources for n in BY_SOURCE[s]} | {"format"})
            raise InvalidArgument(
                f"unknown alert filter {name!r} for these alerts; they take: {', '.join(taken)}",
                field=f"ntopng_filters.{name}",
            )


def source_condition(source: str, filters: Mapping[str, str], params: dict[str, Any]) -> str | None:
    """The condition over one source's raw table ('' = no filter), or None when a filter has no column there."""
    columns = BY_SOURCE[source]
    compiler = Compiler(params)
    conds: list[str] = []
    for name, text in sorted(filters.items()):
        if name == "format":
            continue
        items = parse_items(name, text)
        if not items:
            continue
        column = columns.get(name)
        if column is None:
            return None
        conds.append(compiler.condition(name, column, items))
    return " AND ".join(conds)
