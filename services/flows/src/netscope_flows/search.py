"""SearchFlows on ClickHouse: one sorted, bounded page of flows and an opaque token for the next one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from netscope.flows.v1 import flows_pb2
from netscope_common.errors import InvalidArgument
from netscope_common.timeutil import to_timestamp
from netscope_flows.filters import DST_IP_SQL, L4_SQL, SRC_IP_SQL, CompiledFilter, country_sql
from netscope_flows.page_tokens import open_token, seal
from netscope_ntopng.ndpi import l7_name

MAX_OFFSET = 100_000

S = flows_pb2.FlowSort
_ORDER = {
    S.FLOW_SORT_UNSPECIFIED: "FIRST_SEEN DESC, FLOW_ID DESC",
    S.FLOW_SORT_NEWEST: "FIRST_SEEN DESC, FLOW_ID DESC",
    S.FLOW_SORT_OLDEST: "FIRST_SEEN ASC, FLOW_ID ASC",
    S.FLOW_SORT_BYTES: "TOTAL_BYTES DESC, FLOW_ID DESC",
    S.FLOW_SORT_PACKETS: "PACKETS DESC, FLOW_ID DESC",
    S.FLOW_SORT_SCORE: "SCORE DESC, FLOW_ID DESC",
    S.FLOW_SORT_DURATION: "(LAST_SEEN - FIRST_SEEN) DESC, FLOW_ID DESC",
}
COLUMNS = (
    "FLOW_ID, FIRST_SEEN, LAST_SEEN, "
    f"{SRC_IP_SQL}, IP_SRC_PORT, {DST_IP_SQL}, IP_DST_PORT, {L4_SQL}, L7_PROTO, TOTAL_BYTES, SRC2DST_BYTES, "
    f"DST2SRC_BYTES, PACKETS, SCORE, INFO, {country_sql('SRC_COUNTRY_CODE')}, {country_sql('DST_COUNTRY_CODE')}, "
    "SRC_LABEL, DST_LABEL, IPv4NumToString(PROBE_IP), INPUT_SNMP, OUTPUT_SNMP, INTERFACE_ID, STATUS"
)


def encode_token(request: flows_pb2.SearchFlowsRequest, offset: int) -> str:
    """Opaque token for the page starting at `offset` of this exact search."""
    return seal(request, {"o": offset})


def decode_token(request: flows_pb2.SearchFlowsRequest) -> int:
    """Offset of the requested page (0 without a token); refuses tokens of another search."""
    if not request.page_token:
        return 0
    offset = open_token(request, lambda data: int(data["o"]))
    if not 0 <= offset <= MAX_OFFSET:
        raise InvalidArgument(f"page_token offset out of range (at most {MAX_OFFSET})", field="page_token")
    return offset


def build_search_sql(request: flows_pb2.SearchFlowsRequest, flt: CompiledFilter, offset: int, size: int) -> str:
    """The page query; asks for one extra row to know whether another page exists."""
    order = _ORDER[request.sort]
    return f"SELECT {COLUMNS} FROM flows WHERE {flt.where} ORDER BY {order} LIMIT {size + 1} OFFSET {offset}"


def _ts(value: datetime) -> Any:
    return to_timestamp(value if value.tzinfo else value.replace(tzinfo=UTC))


def to_record(row: Sequence[Any]) -> flows_pb2.FlowRecord:
    """One result row of COLUMNS as a FlowRecord."""
    (fid, first, last, sip, sport, dip, dport, l4, l7, total, s2d, d2s, pkts, score, info, sc, dc, sl, dl,
     probe, inp, outp, ifid, status) = row  # fmt: skip
    return flows_pb2.FlowRecord(
        flow_id=int(fid), first_seen=_ts(first), last_seen=_ts(last), src_ip=sip, src_port=int(sport), dst_ip=dip,
        dst_port=int(dport), l4_proto=l4, l7_proto=l7_name(int(l7)), bytes=int(total), src2dst_bytes=int(s2d),
        dst2src_bytes=int(d2s), packets=int(pkts), score=int(score), info=info, src_country=sc, dst_country=dc,
        src_label=sl, dst_label=dl, exporter=probe if probe != "0.0.0.0" else "", input_if_index=int(inp),
        output_if_index=int(outp), interface_id=int(ifid), status=int(status),
    )  # fmt: skip
