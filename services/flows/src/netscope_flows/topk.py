"""SQL for ranking flows by a dimension and a metric over ntopng's flows table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from netscope.flows.v1 import flows_pb2
from netscope_ntopng.ndpi import l7_name

LOCAL, REMOTE = 1, 2

_SRC_IP = "if(IP_PROTOCOL_VERSION = 6, toString(IPV6_SRC_ADDR), IPv4NumToString(IPV4_SRC_ADDR))"
_DST_IP = "if(IP_PROTOCOL_VERSION = 6, toString(IPV6_DST_ADDR), IPv4NumToString(IPV4_DST_ADDR))"
_L4 = "multiIf(PROTOCOL = 6, 'tcp', PROTOCOL = 17, 'udp', PROTOCOL = 1, 'icmp', toString(PROTOCOL))"

D = flows_pb2.TopKDimension
KEY_EXPRESSIONS: dict[int, str] = {
    D.TOP_K_DIMENSION_SRC_IP: _SRC_IP,
    D.TOP_K_DIMENSION_DST_IP: _DST_IP,
    D.TOP_K_DIMENSION_IP_PAIR: f"concat({_SRC_IP}, ' -> ', {_DST_IP})",
    D.TOP_K_DIMENSION_DST_PORT: f"concat(toString(IP_DST_PORT), '/', {_L4})",
    D.TOP_K_DIMENSION_L7_PROTO: "toString(L7_PROTO)",
    D.TOP_K_DIMENSION_SRC_COUNTRY: (
        "if(SRC_COUNTRY_CODE = 0, '', char(bitShiftRight(SRC_COUNTRY_CODE, 8), bitAnd(SRC_COUNTRY_CODE, 255)))"
    ),
    D.TOP_K_DIMENSION_DST_COUNTRY: (
        "if(DST_COUNTRY_CODE = 0, '', char(bitShiftRight(DST_COUNTRY_CODE, 8), bitAnd(DST_COUNTRY_CODE, 255)))"
    ),
    D.TOP_K_DIMENSION_DST_ASN: "toString(DST_ASN)",
    D.TOP_K_DIMENSION_EXPORTER_INTERFACE: "concat(IPv4NumToString(PROBE_IP), ' if ', toString(INPUT_SNMP))",
    D.TOP_K_DIMENSION_HOST: "host.1",
}
_TOTALS = "sum(TOTAL_BYTES) AS bytes, sum(PACKETS) AS packets, count() AS flows, sum(SCORE) AS score"
# IP rankings: IPv4 rows group on the numeric address (a pair on one UInt64, source << 32 | destination) and
# IPv6 rows on the 16-byte columns, ranked apart and merged (`IpRanking`, or two ranked subqueries in one query
# for destinations); text is rendered for the top k only. An IPv6 part's version condition runs as PREWHERE, so
# an IPv4-only table costs it a scan of IP_PROTOCOL_VERSION (docs/benchmarks.md has the figures).
_V6 = "IP_PROTOCOL_VERSION = 6"
_PAIR_V4 = "bitOr(bitShiftLeft(toUInt64(IPV4_SRC_ADDR), 32), IPV4_DST_ADDR)"
_PAIR_V4_TEXT = (
    "concat(IPv4NumToString(toUInt32(bitShiftRight(g, 32))), ' -> ', IPv4NumToString(toUInt32(bitAnd(g, 4294967295))))"
)
# dimension -> ((IPv4 group key, its text from g), (IPv6 group key, its text from g))
_IP_GROUPS: dict[int, tuple[tuple[str, str], tuple[str, str]]] = {
    D.TOP_K_DIMENSION_SRC_IP: (("IPV4_SRC_ADDR", "IPv4NumToString(g)"), ("IPV6_SRC_ADDR", "toString(g)")),
    D.TOP_K_DIMENSION_DST_IP: (("IPV4_DST_ADDR", "IPv4NumToString(g)"), ("IPV6_DST_ADDR", "toString(g)")),
    D.TOP_K_DIMENSION_IP_PAIR: (
        (_PAIR_V4, _PAIR_V4_TEXT),
        ("(IPV6_SRC_ADDR, IPV6_DST_ADDR)", "concat(toString(g.1), ' -> ', toString(g.2))"),
    ),
}


def _winners_condition(dimension: int, winners: list[int]) -> str:
    """The IPv4 winners as a condition on the table's own columns (a pair's g split back into both addresses)."""
    if dimension == D.TOP_K_DIMENSION_IP_PAIR:
        pairs = ", ".join(f"({int(g) >> 32}, {int(g) & 0xFFFFFFFF})" for g in winners)
        return f"(IPV4_SRC_ADDR, IPV4_DST_ADDR) IN ({pairs})"
    return f"IPV4_SRC_ADDR IN ({', '.join(str(int(g)) for g in winners)})"


_METRIC_COLUMNS = {
    flows_pb2.METRIC_BYTES: "bytes",
    flows_pb2.METRIC_PACKETS: "packets",
    flows_pb2.METRIC_FLOWS: "flows",
    flows_pb2.METRIC_SCORE: "score",
    flows_pb2.METRIC_UNSPECIFIED: "bytes",
}


METRIC_SQL = {
    flows_pb2.METRIC_BYTES: "sum(TOTAL_BYTES)",
    flows_pb2.METRIC_PACKETS: "sum(PACKETS)",
    flows_pb2.METRIC_FLOWS: "count()",
    flows_pb2.METRIC_SCORE: "sum(SCORE)",
    flows_pb2.METRIC_UNSPECIFIED: "sum(TOTAL_BYTES)",
}


def render_key(dimension: int, key: object) -> str:
    """A ranked key as an assistant reads it: L7 ids become nDPI names."""
    if dimension == D.TOP_K_DIMENSION_L7_PROTO and str(key).isdigit():
        return l7_name(int(str(key)))
    if dimension in (D.TOP_K_DIMENSION_SRC_COUNTRY, D.TOP_K_DIMENSION_DST_COUNTRY) and not key:
        return "unknown"
    return str(key)


@dataclass(frozen=True)
class IpRanking:
    """An IP ranking in three reads: the IPv4 ranking on the ordering metric alone (group key, metric and the
    part's bytes: the aggregates of the plain GROUP BY), the IPv6 part with every aggregate (its version
    condition runs as PREWHERE, so an IPv4-only window costs a scan of IP_PROTOCOL_VERSION), and the answer's
    other aggregates for the k IPv4 winners only (`details`; the source address is the table's first key
    column, so a source or pair ranking's second read is index-driven). docs/benchmarks.md has the figures."""

    dimension: int
    v4_ranking: str
    v6_part: str
    _details: str

    def details(self, winners: list[int]) -> str:
        """Text key, bytes, packets, flows and score of the IPv4 winners (numeric keys from `v4_ranking`)."""
        return self._details.replace("{winners}", _winners_condition(self.dimension, winners))


def _conditions(request: flows_pb2.TopKRequest, dimension: int, start: datetime, end: datetime) -> tuple[str, str]:
    """The WHERE clause (window, interface, locality) and the ARRAY JOIN of a HOST ranking."""
    conditions = [
        f"FIRST_SEEN >= toDateTime({int(start.timestamp())})",
        f"FIRST_SEEN < toDateTime({int(end.timestamp())})",
    ]
    if request.HasField("interface_id"):
        conditions.append(f"INTERFACE_ID = {int(request.interface_id)}")
    join = ""
    if dimension == D.TOP_K_DIMENSION_HOST:
        join = f" ARRAY JOIN [({_SRC_IP}, CLIENT_LOCATION), ({_DST_IP}, SERVER_LOCATION)] AS host"
        if request.locality:
            conditions.append(f"host.2 = {LOCAL if request.locality == flows_pb2.LOCALITY_LOCAL else REMOTE}")
    elif request.locality:
        column = "SERVER_LOCATION" if dimension == D.TOP_K_DIMENSION_DST_IP else "CLIENT_LOCATION"
        conditions.append(f"{column} = {LOCAL if request.locality == flows_pb2.LOCALITY_LOCAL else REMOTE}")
    return " AND ".join(conditions), join


# the rankings read in parts: their IPv4 winners' read is index-driven (a destination ranking's would scan
# IPV4_DST_ADDR and read every granule, slower than the one union query of `build_topk_sql`)
_SPLIT = (D.TOP_K_DIMENSION_SRC_IP, D.TOP_K_DIMENSION_IP_PAIR)


def build_ip_ranking(request: flows_pb2.TopKRequest, start: datetime, end: datetime) -> IpRanking | None:
    """The reads of a SRC_IP or IP_PAIR ranking over a checked request (`arguments`); None for the other
    dimensions (`build_topk_sql`). Every interpolated value is an enum-chosen expression or an integer."""
    dimension = request.dimension or D.TOP_K_DIMENSION_SRC_IP
    if dimension not in _SPLIT:
        return None
    (v4_group, v4_text), (v6_group, v6_text) = _IP_GROUPS[dimension]
    where, _ = _conditions(request, dimension, start, end)
    k = request.k or 10
    order = _METRIC_COLUMNS[request.metric]
    return IpRanking(
        dimension=dimension,
        v4_ranking=(
            f"SELECT {v4_group} AS g, {METRIC_SQL[request.metric]} AS metric, sum(sum(TOTAL_BYTES)) OVER () AS "
            f"part_bytes FROM flows WHERE {where} AND IP_PROTOCOL_VERSION != 6 GROUP BY g ORDER BY metric DESC "
            f"LIMIT {k}"
        ),
        v6_part=(
            f"SELECT {v6_text} AS key, bytes, packets, flows, score, part_bytes FROM (SELECT {v6_group} AS g, "
            f"{_TOTALS}, sum(sum(TOTAL_BYTES)) OVER () AS part_bytes FROM flows WHERE {where} AND {_V6} GROUP BY g "
            f"ORDER BY {order} DESC LIMIT {k})"
        ),
        _details=(
            f"SELECT {v4_text} AS key, bytes, packets, flows, score FROM (SELECT {v4_group} AS g, {_TOTALS} "
            f"FROM flows WHERE {where} AND IP_PROTOCOL_VERSION != 6 AND {{winners}} GROUP BY g)"
        ),
    )


def build_topk_sql(request: flows_pb2.TopKRequest, start: datetime, end: datetime) -> str:
    """One aggregate query over a checked request (`arguments`), for the dimensions `build_ip_ranking` does not
    read in parts; every interpolated value is an enum-chosen expression or an integer. Rows: key, bytes, packets,
    flows, score, and in the last column the bytes of every group (the window's total when the request has
    neither interface_id nor locality), computed by window functions before the LIMIT, so the total costs no
    second scan."""
    dimension = request.dimension or D.TOP_K_DIMENSION_SRC_IP
    order = _METRIC_COLUMNS[request.metric]
    where, join = _conditions(request, dimension, start, end)
    k = request.k or 10
    if dimension in _IP_GROUPS:
        parts = [
            f"SELECT {text} AS key, bytes, packets, flows, score, part_bytes, {version_number} AS part FROM (SELECT "
            f"{group} AS g, {_TOTALS}, sum(sum(TOTAL_BYTES)) OVER () AS part_bytes FROM flows WHERE {where} "
            f"AND {version} GROUP BY g ORDER BY {order} DESC LIMIT {k})"
            for (group, text), version, version_number in zip(
                _IP_GROUPS[dimension], ("IP_PROTOCOL_VERSION != 6", _V6), (4, 6), strict=True
            )
        ]
        # each part's bytes counted once (on its first row), summed over both parts before the LIMIT
        return (
            "SELECT key, bytes, packets, flows, score, sum(first_of_part) OVER () AS all_bytes FROM (SELECT *, "
            "if(row_number() OVER (PARTITION BY part) = 1, part_bytes, 0) AS first_of_part "
            f"FROM ({' UNION ALL '.join(parts)})) ORDER BY {order} DESC, key LIMIT {k}"
        )
    return (
        f"SELECT {KEY_EXPRESSIONS[dimension]} AS key, {_TOTALS}, sum(sum(TOTAL_BYTES)) OVER () AS all_bytes "
        f"FROM flows{join} WHERE {where} GROUP BY key ORDER BY {order} DESC, key LIMIT {k}"
    )
