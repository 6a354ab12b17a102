"""Historical flow tools: guarded SQL, table listing and description (mcp-ntopng and ntopng names)."""

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import BaseModel, Field

from netscope.flows.v1 import flows_pb2
from netscope_aggregator import contracts
from netscope_aggregator.backends import Backends
from netscope_aggregator.catalog import Catalog
from netscope_aggregator.confirmations import Confirmations
from netscope_aggregator.tools.shared.query import QueryAnswer, query_answer

MaxRows = Annotated[int, Field(ge=1, le=10_000, description="row cap for the answer (default 200)")]


class TableSummary(BaseModel):
    """One table of the flow database."""

    name: str
    engine: str
    total_rows: int
    comment: str = ""


class TablesAnswer(BaseModel):
    """The tables of the flow database."""

    database: str
    tables: list[TableSummary]


class ColumnInfo(BaseModel):
    """One column of a table."""

    name: str
    type: str
    comment: str = ""


class TableDescription(BaseModel):
    """The columns of one table."""

    table: str
    columns: list[ColumnInfo]


def register(catalog: Catalog, backends: Backends, confirmations: Confirmations) -> None:
    """Add the flow database tools."""

    async def run_query(sql: str, max_rows: int, ctx: Context) -> QueryAnswer:
        reply = await backends.call(contracts.flows.Query, flows_pb2.QueryRequest(sql=sql, max_rows=max_rows))
        return query_answer(reply)

    async def query_ntopng_database(query: str, ctx: Context, max_rows: MaxRows = 200) -> QueryAnswer:
        return await run_query(query, max_rows, ctx)

    async def query(content: str, ctx: Context, max_rows: MaxRows = 200) -> QueryAnswer:
        return await run_query(content, max_rows, ctx)

    async def list_tables_ntopng_database(ctx: Context) -> TablesAnswer:
        reply = await backends.call(contracts.flows.ListTables, flows_pb2.ListTablesRequest())
        return TablesAnswer(
            database=reply.database,
            tables=[
                TableSummary(name=t.name, engine=t.engine, total_rows=t.total_rows, comment=t.comment)
                for t in reply.tables
            ],
        )

    async def describe_table(table: str, ctx: Context) -> TableDescription:
        reply = await backends.call(contracts.flows.DescribeTable, flows_pb2.DescribeTableRequest(table=table))
        return TableDescription(
            table=reply.table,
            columns=[ColumnInfo(name=c.name, type=c.type, comment=c.comment) for c in reply.columns],
        )

    sql_help = (
        " Only one SELECT / WITH / SHOW / DESCRIBE / EXPLAIN statement; no table functions that reach files or"
        " networks, no SETTINGS. IPv4 columns are numbers: use IPv4NumToString(IPV4_SRC_ADDR) and"
        " IPv4StringToNum('10.1.2.42'). Answers are capped (truncated=true says so)."
    )
    catalog.register(
        query_ntopng_database,
        name="query_ntopng_database",
        description="Run a read-only ClickHouse SQL query on the ntopng flow database (tables: flows, ...)." + sql_help,
        toolsets=("flows", "ntopng-compat"),
    )
    catalog.register(
        query,
        name="query",
        description="Execute a read-only ClickHouse SQL query (argument `content` is the SQL)." + sql_help,
        toolsets=("flows",),
    )
    catalog.register(
        list_tables_ntopng_database,
        name="list_tables_ntopng_database",
        description="List the tables of the ntopng flow database with their row counts.",
        toolsets=("flows", "ntopng-compat"),
    )
    catalog.register(
        describe_table,
        name="describe_table",
        description="Describe one table of the flow database: columns, ClickHouse types and what each column means.",
        toolsets=("flows",),
    )
