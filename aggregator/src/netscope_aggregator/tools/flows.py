"""Historical flow tools: guarded SQL, table listing and description (mcp-ntopng and ntopng names)."""

from typing import Annotated

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from netscope.flows.v1 import flows_pb2
from netscope_aggregator import contracts
from netscope_aggregator.backends import Backends
from netscope_aggregator.catalog import Catalog
from netscope_aggregator.confirmations import Confirmations
from netscope_aggregator.declare import unary
from netscope_aggregator.tools.shared.query import query_answer

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


def query_ntopng_database(query: str, max_rows: MaxRows = 200) -> flows_pb2.QueryRequest:
    """The request of query_ntopng_database."""
    return flows_pb2.QueryRequest(sql=query, max_rows=max_rows)


def query(
    content: Annotated[str, Field(description="the SQL (ntopng MCP's form)")] = "",
    sql: Annotated[str, Field(description="the SQL (ntopng MCP's {sql: ...} shorthand)")] = "",
    max_rows: MaxRows = 200,
) -> flows_pb2.QueryRequest:
    """The request of query (ntopng MCP's name: the SQL is `content`, or `sql`)."""
    if not (content or sql).strip():
        raise ToolError("query: send the SQL statement as `content` (or `sql`), e.g. SELECT COUNT(*) FROM flows")
    if content and sql and content != sql:
        raise ToolError("query: send the SQL once, as `content` or as `sql`, not two different statements")
    return flows_pb2.QueryRequest(sql=content or sql, max_rows=max_rows)


def list_tables_ntopng_database() -> flows_pb2.ListTablesRequest:
    """The request of list_tables_ntopng_database."""
    return flows_pb2.ListTablesRequest()


def describe_table(table: str) -> flows_pb2.DescribeTableRequest:
    """The request of describe_table."""
    return flows_pb2.DescribeTableRequest(table=table)


def tables_answer(reply: flows_pb2.ListTablesResponse) -> TablesAnswer:
    """The tables as the tools answer them."""
    return TablesAnswer(
        database=reply.database,
        tables=[
            TableSummary(name=t.name, engine=t.engine, total_rows=t.total_rows, comment=t.comment) for t in reply.tables
        ],
    )


def table_description(reply: flows_pb2.DescribeTableResponse) -> TableDescription:
    """One table's columns as the tools answer them."""
    return TableDescription(
        table=reply.table, columns=[ColumnInfo(name=c.name, type=c.type, comment=c.comment) for c in reply.columns]
    )


SQL_HELP = (
    " Only one SELECT / WITH / SHOW / DESCRIBE / EXPLAIN statement; no table functions that reach files or"
    " networks, no SETTINGS. IPv4 columns are numbers: use IPv4NumToString(IPV4_SRC_ADDR) and"
    " IPv4StringToNum('10.1.2.42'). Answers are capped (truncated=true says so)."
)


def register(catalog: Catalog, backends: Backends, confirmations: Confirmations) -> None:
    """Declare the flow database tools."""
    catalog.declare(
        unary(
            backends,
            name="query_ntopng_database",
            description="Run a read-only ClickHouse SQL query on the ntopng flow database (tables: flows, ...)."
            + SQL_HELP,
            toolsets=("flows", "ntopng-compat"),
            rpc=contracts.flows.Query,
            request=query_ntopng_database,
            render=query_answer,
        ),
        unary(
            backends,
            name="query",
            description="Execute a read-only ClickHouse SQL query (argument `content` is the SQL)." + SQL_HELP,
            toolsets=("flows",),
            rpc=contracts.flows.Query,
            request=query,
            render=query_answer,
        ),
        unary(
            backends,
            name="list_tables_ntopng_database",
            description="List the tables of the ntopng flow database with their row counts.",
            toolsets=("flows", "ntopng-compat"),
            rpc=contracts.flows.ListTables,
            request=list_tables_ntopng_database,
            render=tables_answer,
        ),
        unary(
            backends,
            name="list_tables",
            description="List the tables of the flow database with their row counts (nAnalyst's name).",
            toolsets=("flows",),
            rpc=contracts.flows.ListTables,
            request=list_tables_ntopng_database,
            render=tables_answer,
        ),
        unary(
            backends,
            name="describe_table",
            description="Describe one table of the flow database: columns, ClickHouse types and what each column "
            "means.",
            toolsets=("flows",),
            rpc=contracts.flows.DescribeTable,
            request=describe_table,
            render=table_description,
        ),
    )
