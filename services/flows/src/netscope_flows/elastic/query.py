"""Validate a FlowFilter and turn it into an Elasticsearch bool query over ECS NetFlow fields.

The validation messages are the ClickHouse path's (same parsers); fields ECS NetFlow documents do not carry
(ntopng's score and interface id) are refused with a message saying so.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from netscope.flows.v1 import flows_pb2
from netscope_common.errors import FailedPrecondition, InvalidArgument
from netscope_common.timeutil import resolve_window
from netscope_flows.filters import MAX_SPAN, parse_country, parse_l4, parse_l7
from netscope_ntopng.ndpi import L7_PROTOCOLS

TIME_FIELD = "event.start"  # the flow's first packet, as FIRST_SEEN on the ClickHouse path


def not_in_ecs(what: str, field: str) -> FailedPrecondition:
    """The error for a request part that needs ntopng data ECS NetFlow documents do not have."""
    return FailedPrecondition(
        f"{what} is ntopng data that ECS NetFlow documents do not carry; this service is configured for "
        "Elasticsearch: leave it unset, or use the ClickHouse backend",
        field=field,
    )


@dataclass(frozen=True)
class EsFilter:
    """A validated filter: its window and the bool query (always bounded by the window)."""

    start: datetime
    end: datetime
    query: dict[str, Any]


def window_range(start: datetime, end: datetime) -> dict[str, Any]:
    """`event.start` in [start, end)."""
    return {
        "range": {
            TIME_FIELD: {
                "gte": int(start.timestamp() * 1000),
                "lt": int(end.timestamp() * 1000),
                "format": "epoch_millis",
            }
        }
    }


def _network(text: str, field: str) -> str:
    try:
        return str(ipaddress.ip_network(text.strip(), strict=False))
    except ValueError:
        raise InvalidArgument(
            f"{field} must be an IPv4/IPv6 address or CIDR such as 10.1.0.0/16 or 2001:db8::/32; got {text!r}",
            field=f"filter.{field}",
        ) from None


def _port(value: int, field: str) -> int:
    if value > 65535:
        raise InvalidArgument(f"{field} must be a port 0-65535; got {value}", field=f"filter.{field}")
    return value


def _either(*clauses: dict[str, Any]) -> dict[str, Any]:
    return {"bool": {"should": list(clauses), "minimum_should_match": 1}}


def _term(field: str, value: object) -> dict[str, Any]:
    return {"term": {field: value}}


def compile_es_filter(flt: flows_pb2.FlowFilter, *, default_span: timedelta = timedelta(hours=1)) -> EsFilter:
    """Validate every field of `flt`; raises InvalidArgument naming the field and what is allowed."""
    start, end = resolve_window(flt.window, default_span=default_span, max_span=MAX_SPAN)
    must: list[dict[str, Any]] = [window_range(start, end)]
    if flt.src_ip:
        must.append(_term("source.ip", _network(flt.src_ip, "src_ip")))
    if flt.dst_ip:
        must.append(_term("destination.ip", _network(flt.dst_ip, "dst_ip")))
    if flt.host:
        net = _network(flt.host, "host")
        must.append(_either(_term("source.ip", net), _term("destination.ip", net)))
    if flt.HasField("dst_port"):
        must.append(_term("destination.port", _port(flt.dst_port, "dst_port")))
    if flt.HasField("port"):
        port = _port(flt.port, "port")
        must.append(_either(_term("source.port", port), _term("destination.port", port)))
    if flt.l4_proto:
        must.append(_term("netflow.protocol_identifier", parse_l4(flt.l4_proto)))
    if flt.l7_proto:
        must.append(_term("netflow.application_name", L7_PROTOCOLS[parse_l7(flt.l7_proto)][0]))
    if flt.country:
        parse_country(flt.country)
        code = flt.country.strip().upper()
        must.append(
            _either(_term("source.geo.country_iso_code", code), _term("destination.geo.country_iso_code", code))
        )
    if flt.exporter:
        try:
            probe = ipaddress.IPv4Address(flt.exporter.strip())
        except ValueError:
            raise InvalidArgument(
                f"exporter must be the exporter's IPv4 address such as 192.0.2.1; got {flt.exporter!r}",
                field="filter.exporter",
            ) from None
        must.append(_term("observer.ip", str(probe)))
    if flt.HasField("if_index"):
        must.append(
            _either(_term("netflow.ingress_interface", flt.if_index), _term("netflow.egress_interface", flt.if_index))
        )
    if flt.HasField("interface_id"):
        raise not_in_ecs("interface_id (an ntopng interface)", "filter.interface_id")
    if flt.min_bytes:
        must.append({"range": {"network.bytes": {"gte": int(flt.min_bytes)}}})
    if flt.min_score:
        raise not_in_ecs("min_score (ntopng's flow score)", "filter.min_score")
    return EsFilter(start, end, {"bool": {"filter": must}})
