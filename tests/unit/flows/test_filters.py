"""FlowFilter validation and the SQL it compiles to (no engine needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from netscope.flows.v1 import flows_pb2
from netscope_common.errors import InvalidArgument
from netscope_common.timeutil import make_window
from netscope_flows.filters import compile_filter, parse_country, parse_l4, parse_l7

END = datetime(2026, 11, 20, tzinfo=UTC)
WINDOW = make_window(END - timedelta(hours=1), END)


def test_cidr_becomes_a_numeric_range() -> None:
    where = compile_filter(flows_pb2.FlowFilter(window=WINDOW, src_ip="10.1.0.0/16")).where
    assert "IPV4_SRC_ADDR BETWEEN 167837696 AND 167903231" in where


def test_ipv6_and_either_side() -> None:
    where = compile_filter(flows_pb2.FlowFilter(window=WINDOW, host="2001:db8::/126")).where
    assert "toIPv6('2001:db8::')" in where and "toIPv6('2001:db8::3')" in where and " OR " in where


def test_names_are_parsed_not_quoted() -> None:
    assert parse_l7("tls") == 91 and parse_l4("UDP") == 17 and parse_country("nl") == (78 << 8) | 76
    where = compile_filter(flows_pb2.FlowFilter(window=WINDOW, l7_proto="DNS", country="US", port=53)).where
    assert "L7_PROTO = 5" in where and "'" not in where.split("FIRST_SEEN")[0]


@pytest.mark.parametrize(
    ("flt", "field", "needle"),
    [
        (flows_pb2.FlowFilter(src_ip="not-an-ip"), "filter.src_ip", "src_ip must be an IPv4/IPv6 address or CIDR"),
        (flows_pb2.FlowFilter(l7_proto="' OR 1=1 --"), "filter.l7_proto", "unknown L7 protocol"),
        (flows_pb2.FlowFilter(country="N'"), "filter.country", "two-letter code"),
        (flows_pb2.FlowFilter(l4_proto="300"), "filter.l4_proto", "0-255"),
        (flows_pb2.FlowFilter(port=65536), "filter.port", "port 0-65535"),
        (flows_pb2.FlowFilter(window=make_window(END, END - timedelta(hours=1))), "window", "inverted"),
    ],
)
def test_bad_values_name_the_field(flt: flows_pb2.FlowFilter, field: str, needle: str) -> None:
    with pytest.raises(InvalidArgument) as exc:
        compile_filter(flt)
    assert exc.value.field == field and needle in str(exc.value)
