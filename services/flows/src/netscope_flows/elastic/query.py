"""Validate a FlowFilter and turn it into an Elasticsearch bool query over a layout's NetFlow fields.

The validation messages are the ClickHouse path's (same parsers); fields ECS NetFlow documents do not carry
(ntopng's score and interface id) are refused with a message saying so.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from netscope.flows.v1 import flows_pb2
from netscope_common.errors import FailedPrecondition
from netscope_common.timeutil import resolve_window
from netscope_flows import arguments
from netscope_flows.elastic.layout import FieldLayout
from netscope_flows.filters import (
    MAX_SPAN,
    parse_country,
    parse_exporter,
    parse_l4,
    parse_l7,
    parse_network,
    parse_port,
)
from netscope_ntopng.ndpi import L7_PROTOCOLS


def not_in_ecs(what: str, field: str) -> FailedPrecondition:
    """The error for a request part that needs ntopng data ECS NetFlow documents do not have."""
    return FailedPrecondition(
        f"{what} is ntopng data that ECS NetFlow documents do not carry; this service is configured for "
        "Elasticsearch: leave it unset, or use the ClickHouse backend",
        field=field,
    )


def _start_in(time_field: str, start: datetime, end: datetime) -> dict[str, Any]:
    return {
        "range": {
            time_field: {
                "gte": int(start.timestamp() * 1000),
                "lt": int(end.timestamp() * 1000),
                "format": "epoch_millis",
            }
        }
    }


def window_range(layout: FieldLayout, start: datetime, end: datetime) -> dict[str, Any]:
    """The flow's start time (as FIRST_SEEN on the ClickHouse path) in [start, end)."""
    return _start_in(layout.start, start, end)


@dataclass(frozen=True)
class EsFilter:
    """A validated filter: its window and the bool query (always bounded by the window)."""

    start: datetime
    end: datetime
    time_field: str  # the layout's flow start field the window bounds
    clauses: tuple[dict[str, Any], ...] = ()  # the filter's clauses besides the window

    @property
    def query(self) -> dict[str, Any]:
        """The bool query: documents whose flow starts in the window and that meet every clause."""
        return {"bool": {"filter": [_start_in(self.time_field, self.start, self.end), *self.clauses]}}

    def reaching_back(self, seconds: int) -> EsFilter:
        """The same filter over a window starting `seconds` earlier (a baseline read before the window)."""
        return replace(self, start=self.start - timedelta(seconds=seconds))


def _either(*clauses: dict[str, Any]) -> dict[str, Any]:
    return {"bool": {"should": list(clauses), "minimum_should_match": 1}}


def _term(field: str, value: object) -> dict[str, Any]:
    return {"term": {field: value}}


def compile_es_filter(
    flt: flows_pb2.FlowFilter, layout: FieldLayout, *, default_span: timedelta = timedelta(hours=1)
) -> EsFilter:
    """Validate every field of `flt`; raises InvalidArgument naming the field and what is allowed."""
    flt = arguments.resolved(flt)
    start, end = resolve_window(flt.window, default_span=default_span, max_span=MAX_SPAN)
    f = layout
    must: list[dict[str, Any]] = []
    if flt.src_ip:
        must.append(_term(f.src_ip, str(parse_network(flt.src_ip, "src_ip"))))
    if flt.dst_ip:
        must.append(_term(f.dst_ip, str(parse_network(flt.dst_ip, "dst_ip"))))
    if flt.host:
        net = str(parse_network(flt.host, "host"))
        must.append(_either(_term(f.src_ip, net), _term(f.dst_ip, net)))
    if flt.HasField("dst_port"):
        must.append(_term(f.dst_port, parse_port(flt.dst_port, "dst_port")))
    if flt.HasField("port"):
        port = parse_port(flt.port, "port")
        must.append(_either(_term(f.src_port, port), _term(f.dst_port, port)))
    if flt.l4_proto:
        must.append(_term(f.ip_protocol, parse_l4(flt.l4_proto)))
    if flt.l7_proto:
        must.append(_term(f.application, L7_PROTOCOLS[parse_l7(flt.l7_proto)][0]))
    if flt.country:
        parse_country(flt.country)
        code = flt.country.strip().upper()
        must.append(_either(_term(f.src_country, code), _term(f.dst_country, code)))
    if flt.exporter:
        must.append(_term(f.exporter, str(parse_exporter(flt.exporter))))
    if flt.HasField("if_index"):
        must.append(_either(_term(f.ingress, flt.if_index), _term(f.egress, flt.if_index)))
    if flt.HasField("interface_id"):
        raise not_in_ecs("interface_id (an ntopng interface)", "filter.interface_id")
    if flt.min_bytes:
        must.append({"range": {f.bytes: {"gte": int(flt.min_bytes)}}})
    if flt.min_score:
        raise not_in_ecs("min_score (ntopng's flow score)", "filter.min_score")
    return EsFilter(start, end, layout.start, tuple(must))
