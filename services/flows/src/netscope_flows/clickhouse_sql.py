"""Raw SQL (Query, ListTables, DescribeTable): a capability only the ClickHouse backend has.

Assistant SQL is untrusted: every statement passes the guard (`sql_guard`), then waits for a slot of the fair
admission (a bounded number at once, per-token caps, a bounded wait; `netscope_common.admission`), then runs at
the engine's SQL time limit, stopped on a server when the caller goes (`ClickHouseStore.read_untrusted`).
The path of one Query call: FlowsServicer.Query -> ClickHouseSql.query -> SqlGuard.check -> Admission.slot ->
ClickHouseStore.read_untrusted. ListTables and DescribeTable are netscope's own reads and do not queue.
"""

from __future__ import annotations

import re

from netscope.common.v1 import common_pb2
from netscope.flows.v1 import flows_pb2
from netscope_common.admission import Admission, AdmissionLimits
from netscope_common.errors import InvalidArgument, NotFound
from netscope_common.interceptors import current_principal
from netscope_common.values import to_row
from netscope_flows.metrics import SQL_OVERRUNNING, SQL_REFUSALS, SQL_RUNNING, SQL_WAITING
from netscope_flows.settings import FlowsSettings
from netscope_flows.sql_guard import SqlGuard
from netscope_flows.store import ClickHouseStore

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


def sql_limits(settings: FlowsSettings) -> AdmissionLimits:
    """The admission limits the settings ask for (one lane on the embedded engine)."""
    return AdmissionLimits(
        slots=settings.sql_lanes,
        per_token_running=min(settings.sql_per_token_running, settings.sql_lanes),
        per_token_waiting=settings.sql_per_token_waiting,
        wait_seconds=settings.sql_wait_seconds,
    )


class ClickHouseSql:
    """Answers the SQL RPCs over a ClickHouse store: limits checked, statement guarded, rows capped."""

    def __init__(self, store: ClickHouseStore, settings: FlowsSettings) -> None:
        self._store = store
        self._settings = settings
        self._guard = SqlGuard(store.database)
        self.admission = Admission(sql_limits(settings), what="SQL queries")
        SQL_RUNNING.set_function(lambda: self.admission.running)
        SQL_WAITING.set_function(lambda: self.admission.waiting)
        SQL_OVERRUNNING.set_function(lambda: int(store.overrunning))

    async def query(self, request: flows_pb2.QueryRequest) -> flows_pb2.QueryResponse:
        """Run one guarded, read-only statement; at most max_rows rows come back (the rest is flagged)."""
        if request.max_rows > self._settings.max_rows:
            raise InvalidArgument(
                f"max_rows may be at most {self._settings.max_rows}; got {request.max_rows}", field="max_rows"
            )
        if request.timeout_seconds < 0 or request.timeout_seconds > self._settings.query_timeout_seconds:
            raise InvalidArgument(
                f"timeout_seconds must be between 0 and {self._settings.query_timeout_seconds:g}",
                field="timeout_seconds",
            )
        try:
            checked = self._guard.check(request.sql)
        except InvalidArgument:
            SQL_REFUSALS.inc()
            raise
        async with self.admission.slot(current_principal()):
            result = await self._store.read_untrusted(checked.sql)
        max_rows = request.max_rows or self._settings.default_max_rows
        truncated = len(result.rows) > max_rows
        table = common_pb2.Table(
            columns=[
                common_pb2.Column(name=n, type=t) for n, t in zip(result.column_names, result.column_types, strict=True)
            ],
            rows=[to_row(r) for r in result.rows[:max_rows]],
            truncated=truncated,
            truncated_reason=f"more than {max_rows} rows; add LIMIT or aggregate" if truncated else "",
            rows_read=result.rows_read,
            elapsed_seconds=result.elapsed_seconds,
        )
        return flows_pb2.QueryResponse(table=table, executed_sql=checked.sql)

    async def list_tables(self, request: flows_pb2.ListTablesRequest) -> flows_pb2.ListTablesResponse:
        """The tables of the database assistant SQL reads."""
        result = await self._store.read(
            "SELECT name, engine, total_rows, comment FROM system.tables "
            "WHERE database = currentDatabase() ORDER BY name"
        )
        return flows_pb2.ListTablesResponse(
            database=self._store.database,
            tables=[
                flows_pb2.TableInfo(name=n, engine=e, total_rows=int(r or 0), comment=c or "")
                for n, e, r, c in result.rows
            ],
        )

    async def describe_table(self, request: flows_pb2.DescribeTableRequest) -> flows_pb2.DescribeTableResponse:
        """One table's columns; an unknown table is NotFound with the list of tables."""
        name = request.table.strip()
        if not _IDENTIFIER.match(name):
            raise InvalidArgument(
                "table must be a plain table name (letters, digits, underscore), e.g. 'flows'", field="table"
            )
        result = await self._store.read(
            "SELECT name, type, comment FROM system.columns "
            f"WHERE database = currentDatabase() AND table = '{name}' ORDER BY position"
        )
        if not result.rows:
            tables = await self.list_tables(flows_pb2.ListTablesRequest())
            known = ", ".join(t.name for t in tables.tables) or "none"
            raise NotFound(f"table '{name}' does not exist; tables: {known}")
        return flows_pb2.DescribeTableResponse(
            table=name, columns=[common_pb2.Column(name=n, type=t, comment=c) for n, t, c in result.rows]
        )
