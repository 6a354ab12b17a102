"""The answer of a SQL statement, shared by the raw SQL tools and mcp-ntopng's fragment tools."""

from typing import Any

from pydantic import BaseModel

from netscope.flows.v1 import flows_pb2
from netscope_aggregator.render import value_to_python


class QueryAnswer(BaseModel):
    """Rows of one read-only SQL statement."""

    columns: list[str]
    types: list[str]
    rows: list[list[Any]]
    row_count: int
    truncated: bool
    truncated_reason: str = ""
    executed_sql: str
    elapsed_ms: float


def query_answer(reply: flows_pb2.QueryResponse) -> QueryAnswer:
    """A Query reply as the tools answer it."""
    table = reply.table
    return QueryAnswer(
        columns=[c.name for c in table.columns],
        types=[c.type for c in table.columns],
        rows=[[value_to_python(v) for v in r.values] for r in table.rows],
        row_count=len(table.rows),
        truncated=table.truncated,
        truncated_reason=table.truncated_reason,
        executed_sql=reply.executed_sql,
        elapsed_ms=round(table.elapsed_seconds * 1000, 2),
    )
