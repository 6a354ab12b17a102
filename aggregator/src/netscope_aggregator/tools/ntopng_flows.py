"""mcp-ntopng's historical flow tools: top-k and clause queries over ntopng's flows table, exporter stats.

They take mcp-ntopng's arguments (`ifid`, integer epochs or the text forms, the SQL clauses); the statement
composed from the clauses goes through the flows service's Query, so the same SQL guard as raw SQL checks
it. `ifid` selects INTERFACE_ID; an ifid without flows is an error naming the ifids present.
"""

from datetime import UTC, datetime
from typing import Annotated, Any, TypeAlias

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from netscope.flows.v1 import flows_pb2
from netscope_aggregator import contracts
from netscope_aggregator.backends import Backends
from netscope_aggregator.catalog import Catalog
from netscope_aggregator.confirmations import Confirmations
from netscope_aggregator.contracts import Rpc
from netscope_aggregator.declare import composite
from netscope_aggregator.render import to_plain, value_to_python
from netscope_aggregator.tools.shared.flow_filter import Hours, flow_filter
from netscope_aggregator.tools.shared.query import QueryAnswer, query_answer

Ifid = Annotated[
    int | None, Field(ge=0, le=65535, description="ntopng interface id (INTERFACE_ID); default: every interface")
]
TimeClause = Annotated[
    int | str,
    Field(
        description="a time: epoch seconds (integer or text), '2026-11-24 00:00:00' (UTC unless an offset is "
        "given), or a SQL expression such as now() - 3600; empty = unbounded",
    ),
]
MaxHits = Annotated[int, Field(ge=1, le=1000, description="rows to return")]
DeviceStatsRpc: TypeAlias = Rpc[flows_pb2.DeviceStatsRequest, flows_pb2.DeviceStatsResponse]

# ntopng's historical value names (its older flow store and tags) mapped to the ClickHouse flows columns.
VALUE_ALIASES = {
    "BYTES": "TOTAL_BYTES",
    "TRAFFIC": "TOTAL_BYTES",
    "IN_BYTES": "SRC2DST_BYTES",
    "OUT_BYTES": "DST2SRC_BYTES",
    "IN_PKTS": "SRC2DST_PACKETS",
    "OUT_PKTS": "DST2SRC_PACKETS",
    "PACKETS": "PACKETS",
    "SCORE": "SCORE",
}
TOPK_FUNCTIONS = {"SUM": "sum", "AVG": "avg", "MAX": "max", "MIN": "min", "COUNT": "count"}
_IPV4_COLUMNS = {"IPV4_SRC_ADDR", "IPV4_DST_ADDR", "PROBE_IP"}
_TRUE, _FALSE = ("true", "1", ""), ("false", "0")


def _time_sql(clause: int | str) -> str:
    """A time bound as SQL: epoch seconds or a date/time text (UTC unless it has an offset) become a
    toDateTime(...) literal; anything else is taken as a SQL expression (e.g. now() - 3600) for the guard."""
    if isinstance(clause, int):
        return f"toDateTime({clause})"
    text = clause.strip()
    if text.isdigit():
        return f"toDateTime({int(text)})"
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    return f"toDateTime({int((when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp())})"


def where_sql(where_clause: str, begin: int | str, end: int | str, ifid: int | None) -> str:
    """A WHERE clause from mcp-ntopng's fragments (empty when none is given)."""
    conditions = [
        where_clause.strip(),
        f"FIRST_SEEN >= {_time_sql(begin)}" if str(begin).strip() else "",
        f"FIRST_SEEN < {_time_sql(end)}" if str(end).strip() else "",
        f"INTERFACE_ID = {ifid}" if ifid is not None else "",
    ]
    kept = [c for c in conditions if c]
    return f" WHERE {' AND '.join(f'({c})' for c in kept)}" if kept else ""


def top_k_sql(keys_clause: str, values_clause: str, topk_clause: str, where: str, maxhits: int) -> str:
    """The top-k statement: keys grouped, each value aggregated with the topk function, largest first."""
    function = TOPK_FUNCTIONS.get(topk_clause.strip().upper())
    if function is None:
        raise ToolError(f"topk_clause must be one of {', '.join(TOPK_FUNCTIONS)} (got an unknown function)")
    keys = [k.strip() for k in keys_clause.split(",") if k.strip()]
    values = [v.strip() for v in values_clause.split(",") if v.strip()]
    if not keys or not values:
        raise ToolError("select_keys_clause and select_values_clause each need at least one column")
    aggregates = [f"{function}({VALUE_ALIASES.get(v.upper(), v)}) AS {v}" for v in values]
    ranked = (
        f"SELECT {', '.join(keys + aggregates)} FROM flows{where} GROUP BY {', '.join(keys)} "
        f"ORDER BY {values[0]} DESC LIMIT {maxhits}"
    )
    if not any(k.upper() in _IPV4_COLUMNS for k in keys):
        return ranked
    # IPv4 keys read as addresses; renamed outside the ranking so where_clause still sees the numeric columns.
    shown = [f"IPv4NumToString({k}) AS {k}" if k.upper() in _IPV4_COLUMNS else k for k in keys]
    return f"SELECT {', '.join(shown + values)} FROM ({ranked}) ORDER BY {values[0]} DESC"


def register(catalog: Catalog, backends: Backends, confirmations: Confirmations) -> None:
    """Add mcp-ntopng's historical flow tools."""

    async def run(sql: str, maxhits: int, ifid: int | None) -> QueryAnswer:
        if ifid is not None:
            await check_ifid(ifid)
        reply = await backends.call(contracts.flows.Query, flows_pb2.QueryRequest(sql=sql, max_rows=maxhits))
        return query_answer(reply)

    async def check_ifid(ifid: int) -> None:
        """A ToolError naming the ifids with flows when `ifid` has none."""
        probe = f"SELECT count() FROM (SELECT 1 FROM flows WHERE INTERFACE_ID = {ifid} LIMIT 1)"
        found = await backends.call(contracts.flows.Query, flows_pb2.QueryRequest(sql=probe, max_rows=1))
        if found.table.rows and value_to_python(found.table.rows[0].values[0]):
            return
        sql = "SELECT DISTINCT INTERFACE_ID FROM flows ORDER BY INTERFACE_ID LIMIT 1000"
        reply = await backends.call(contracts.flows.Query, flows_pb2.QueryRequest(sql=sql, max_rows=1000))
        present = [int(value_to_python(r.values[0])) for r in reply.table.rows]
        if ifid not in present:
            known = ", ".join(map(str, present)) or "none (no flows stored)"
            raise ToolError(f"no flows on ifid {ifid}; ifids with flows: {known} (fetch_ntopng_all_ifids lists them)")

    async def get_ntopng_top_k_flows(
        ctx: Context,
        ifid: Ifid = None,
        begin_time_clause: TimeClause = "",
        end_time_clause: TimeClause = "",
        select_keys_clause: Annotated[str, Field(max_length=500)] = "IPV4_SRC_ADDR,IPV4_DST_ADDR,L7_PROTO",
        select_values_clause: Annotated[
            str, Field(max_length=500, description="columns to aggregate; BYTES, PACKETS, IN_BYTES… map to columns")
        ] = "BYTES",
        where_clause: Annotated[str, Field(max_length=2000)] = "",
        topk_clause: Annotated[str, Field(max_length=16, description="SUM, AVG, MAX, MIN or COUNT")] = "SUM",
        approx_search: Annotated[
            bool | str, Field(description="true|false; netscope answers exactly either way")
        ] = "true",
        maxhits_clause: MaxHits = 10,
    ) -> QueryAnswer:
        """mcp-ntopng's top-k over SQL fragments; the composed statement goes through the SQL guard."""
        if isinstance(approx_search, str) and approx_search.strip().lower() not in _TRUE + _FALSE:
            raise ToolError("approx_search must be true or false")
        where = where_sql(where_clause, begin_time_clause, end_time_clause, ifid)
        sql = top_k_sql(select_keys_clause, select_values_clause, topk_clause, where, maxhits_clause)
        return await run(sql, maxhits_clause, ifid)

    async def query_ntopng_flows_data(
        ctx: Context,
        ifid: Ifid = None,
        begin_time_clause: TimeClause = "",
        end_time_clause: TimeClause = "",
        select_clause: Annotated[str, Field(max_length=2000)] = "*",
        where_clause: Annotated[str, Field(max_length=2000)] = "",
        maxhits_clause: MaxHits = 10,
        order_by_clause: Annotated[str, Field(max_length=500)] = "",
        group_by_clause: Annotated[str, Field(max_length=500)] = "",
    ) -> QueryAnswer:
        """mcp-ntopng's flows query over SQL fragments; the composed statement goes through the SQL guard."""
        where = where_sql(where_clause, begin_time_clause, end_time_clause, ifid)
        sql = f"SELECT {select_clause or '*'} FROM flows{where}"
        if group_by_clause.strip():
            sql += f" GROUP BY {group_by_clause}"
        if order_by_clause.strip():
            sql += f" ORDER BY {order_by_clause}"
        sql += f" LIMIT {maxhits_clause}"
        return await run(sql, maxhits_clause, ifid)

    def device_stats(rpc: DeviceStatsRpc) -> Any:
        async def tool(ctx: Context, ifid: Ifid = None, hours: Hours = 24) -> dict[str, Any]:
            flt = flow_filter(hours)
            if ifid is not None:
                flt.interface_id = ifid
            reply = await backends.call(rpc, flows_pb2.DeviceStatsRequest(filter=flt))
            if ifid is not None and not reply.exporters:
                await check_ifid(ifid)
            answer = to_plain(reply)
            answer.setdefault("exporters", [])
            return answer

        return tool

    tools: tuple[tuple[Any, str, str, tuple[Any, ...]], ...] = (
        (
            get_ntopng_top_k_flows,
            "get_ntopng_top-k_flows",
            "Top-k flows from the ntopng flows table: select_keys_clause grouped, select_values_clause aggregated "
            "with topk_clause (SUM, AVG, MAX, MIN, COUNT), largest first (mcp-ntopng arguments).",
            (contracts.flows.Query,),
        ),
        (
            query_ntopng_flows_data,
            "query_ntopng_flows_data",
            "Flows from the ntopng flows table built from select/where/group/order clauses (mcp-ntopng "
            "arguments); read-only, checked like raw SQL.",
            (contracts.flows.Query,),
        ),
        (
            device_stats(contracts.flows.FlowDeviceStats),
            "get_ntopng_flow_devices_stats",
            "Per flow exporter (NetFlow/IPFIX probe) and interface: flows, bytes, packets, first/last seen.",
            (contracts.flows.FlowDeviceStats, contracts.flows.Query),
        ),
        (
            device_stats(contracts.flows.SflowDeviceStats),
            "get_ntopng_sflow_devices_stats",
            "Per sFlow device and interface: flows, bytes, packets, first/last seen.",
            (contracts.flows.SflowDeviceStats, contracts.flows.Query),
        ),
    )
    for fn, name, description, rpcs in tools:
        catalog.declare(
            composite(fn, name=name, description=description, toolsets=("flows", "ntopng-compat"), rpcs=rpcs)
        )
