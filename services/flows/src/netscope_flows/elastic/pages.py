"""SearchFlows on Elasticsearch: sorted pages with `search_after` and an opaque token carrying the sort values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from netscope.flows.v1 import flows_pb2
from netscope_common.errors import InvalidArgument
from netscope_common.timeutil import to_timestamp
from netscope_flows.elastic.query import not_in_ecs
from netscope_flows.page_tokens import open_token, seal

S = flows_pb2.FlowSort
_SORTS: dict[int, list[dict[str, str]]] = {
    S.FLOW_SORT_UNSPECIFIED: [{"event.start": "desc"}, {"flow.id": "desc"}],
    S.FLOW_SORT_NEWEST: [{"event.start": "desc"}, {"flow.id": "desc"}],
    S.FLOW_SORT_OLDEST: [{"event.start": "asc"}, {"flow.id": "asc"}],
    S.FLOW_SORT_BYTES: [{"network.bytes": "desc"}, {"flow.id": "desc"}],
    S.FLOW_SORT_PACKETS: [{"network.packets": "desc"}, {"flow.id": "desc"}],
    S.FLOW_SORT_DURATION: [{"event.duration": "desc"}, {"flow.id": "desc"}],
}


def sort_of(request: flows_pb2.SearchFlowsRequest) -> list[dict[str, str]]:
    """The sort clause of a search (flow.id breaks ties, so search_after pages never overlap)."""
    if request.sort == S.FLOW_SORT_SCORE:
        raise not_in_ecs("sort SCORE (ntopng's flow score)", "sort")
    if request.sort not in _SORTS:
        raise InvalidArgument(f"unknown sort {request.sort}; use a FlowSort value", field="sort")
    return _SORTS[request.sort]


def encode_token(request: flows_pb2.SearchFlowsRequest, after: list[Any]) -> str:
    """Opaque token for the page after the hit whose sort values are `after`."""
    return seal(request, {"a": after})


def _sort_values(data: dict[str, Any]) -> list[Any]:
    after = list(data["a"])
    if len(after) != 2 or not all(isinstance(v, int | float | str) for v in after):
        raise ValueError("bad sort values")
    return after


def decode_token(request: flows_pb2.SearchFlowsRequest) -> list[Any] | None:
    """The search_after values of the requested page (None for the first); refuses tokens of another search."""
    if not request.page_token:
        return None
    return open_token(request, _sort_values)


def _time(text: str | None) -> Any:
    if not text:
        return None
    return to_timestamp(datetime.fromisoformat(text.replace("Z", "+00:00")))


def to_record(source: dict[str, Any]) -> flows_pb2.FlowRecord:
    """One ECS document as a FlowRecord (ntopng-only fields stay empty)."""
    src, dst = source.get("source", {}), source.get("destination", {})
    net, nf, event = source.get("network", {}), source.get("netflow", {}), source.get("event", {})
    observer = source.get("observer", {}).get("ip") or [""]
    record = flows_pb2.FlowRecord(
        flow_id=int(source.get("flow", {}).get("id") or 0),
        src_ip=src.get("ip", ""), src_port=int(src.get("port") or 0),
        dst_ip=dst.get("ip", ""), dst_port=int(dst.get("port") or 0),
        l4_proto=str(net.get("transport", "")), l7_proto=str(nf.get("application_name", "")),
        bytes=int(net.get("bytes") or 0), src2dst_bytes=int(src.get("bytes") or 0),
        dst2src_bytes=int(dst.get("bytes") or 0), packets=int(net.get("packets") or 0),
        src_country=src.get("geo", {}).get("country_iso_code", ""),
        dst_country=dst.get("geo", {}).get("country_iso_code", ""),
        exporter=observer[0] if isinstance(observer, list) else str(observer),
        input_if_index=int(nf.get("ingress_interface") or 0), output_if_index=int(nf.get("egress_interface") or 0),
    )  # fmt: skip
    for name, value in (("first_seen", _time(event.get("start"))), ("last_seen", _time(event.get("end")))):
        if value is not None:
            getattr(record, name).CopyFrom(value)
    return record
