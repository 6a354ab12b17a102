"""The SQL mcp-ntopng's flow tools compose from their clauses (ntopng's value aliases, topk functions, ifid)."""

import pytest
from mcp.server.mcpserver.exceptions import ToolError

from netscope_aggregator.tools.ntopng_flows import top_k_sql, where_sql


def test_where_takes_integer_and_text_epochs_and_the_interface() -> None:
    assert where_sql("", 1700000000, "1700003600", 2) == (
        " WHERE (FIRST_SEEN >= toDateTime(1700000000)) AND (FIRST_SEEN < toDateTime(1700003600)) AND (INTERFACE_ID = 2)"
    )
    assert where_sql("", "", "", None) == ""
    assert where_sql("PROTOCOL = 6", "", "", 0) == " WHERE (PROTOCOL = 6) AND (INTERFACE_ID = 0)"


@pytest.mark.parametrize(
    ("values", "topk", "aggregate"),
    [
        ("BYTES", "SUM", "sum(TOTAL_BYTES) AS BYTES"),
        ("PACKETS", "max", "max(PACKETS) AS PACKETS"),
        ("IN_BYTES", "AVG", "avg(SRC2DST_BYTES) AS IN_BYTES"),
        ("OUT_BYTES", "MIN", "min(DST2SRC_BYTES) AS OUT_BYTES"),
        ("TOTAL_BYTES", "COUNT", "count(TOTAL_BYTES) AS TOTAL_BYTES"),
    ],
)
def test_top_k_maps_aliases_and_functions(values: str, topk: str, aggregate: str) -> None:
    sql = top_k_sql("L7_PROTO", values, topk, "", 5)
    assert sql == f"SELECT L7_PROTO, {aggregate} FROM flows GROUP BY L7_PROTO ORDER BY {values} DESC LIMIT 5"


def test_ipv4_keys_read_as_addresses_outside_the_ranking() -> None:
    where = " WHERE (IPV4_SRC_ADDR = IPv4StringToNum('10.0.0.1'))"
    assert top_k_sql("IPV4_SRC_ADDR,L7_PROTO", "BYTES", "SUM", where, 5) == (
        "SELECT IPv4NumToString(IPV4_SRC_ADDR) AS IPV4_SRC_ADDR, L7_PROTO, BYTES FROM (SELECT IPV4_SRC_ADDR, "
        f"L7_PROTO, sum(TOTAL_BYTES) AS BYTES FROM flows{where} GROUP BY IPV4_SRC_ADDR, L7_PROTO ORDER BY BYTES "
        "DESC LIMIT 5) ORDER BY BYTES DESC"
    )


def test_top_k_refuses_unknown_functions_and_empty_clauses() -> None:
    with pytest.raises(ToolError, match="SUM, AVG, MAX, MIN, COUNT"):
        top_k_sql("IPV4_SRC_ADDR", "BYTES", "MEDIAN", "", 5)
    with pytest.raises(ToolError, match="at least one column"):
        top_k_sql("", "BYTES", "SUM", "", 5)
