"""ClickHouse access (server or embedded chdb through clickhouse-connect), off the event loop.

Two clients: a reader for untrusted SQL and a writer for schema and ingest. On chdb the reader's session
gets the limits and then `readonly=1` (which also refuses file()/url(), and any later attempt to change
a setting). On a ClickHouse server the reader is session-less (a server session serves one query at a time)
and logs in as a user whose profile is `readonly=2`, so the limits travel with each query; the writer is a
second user (INSERT on flows and the ingest ledger), and without it the store serves reads only. Either way
the SQL guard has already refused anything but a single read.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import clickhouse_connect
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError, DatabaseError, OperationalError

from netscope_common.errors import (
    DeadlineExceeded,
    FailedPrecondition,
    InvalidArgument,
    ResourceExhausted,
    ServiceError,
    Unavailable,
)
from netscope_common.logs import get_logger
from netscope_common.tracing import STATEMENT_CHARS, span
from netscope_flows.settings import READS_ONLY, FlowsSettings
from netscope_ntopng import schema

log = get_logger("netscope.flows.store")

_CODE = re.compile(r"Code: (\d+)")
_INVALID_CODES = {
    6,
    27,
    36,
    41,
    42,
    43,
    44,
    46,
    47,
    48,
    53,
    60,
    62,
    70,
    81,
    113,
    179,
    184,
    215,
    352,
    386,
    396,
    403,
    497,
}
_LIMIT_CODES = {
    158: "it reads more rows than allowed",
    241: "it needs more memory than allowed",
    307: "too many bytes",
}


INGEST_LEDGER = "netscope_ingest_batches"
INGEST_LEDGER_DDL = (
    f"CREATE TABLE IF NOT EXISTS {INGEST_LEDGER} (batch_id String, stored_at DateTime, flows UInt32) "
    "ENGINE = ReplacingMergeTree ORDER BY batch_id COMMENT 'IngestFlows batch ids already stored (idempotency)'"
)
# Where a batch's rows are (written before them, so a retry can tell a stored batch from an interrupted one);
# added to ledgers created before these columns existed.
INGEST_LEDGER_RANGES = (
    f"ALTER TABLE {INGEST_LEDGER} ADD COLUMN IF NOT EXISTS first_flow_id UInt64, "
    "ADD COLUMN IF NOT EXISTS last_flow_id UInt64, ADD COLUMN IF NOT EXISTS first_seen_min UInt32, "
    "ADD COLUMN IF NOT EXISTS first_seen_max UInt32"
)
LEDGER_COLUMNS = (
    "batch_id", "stored_at", "flows", "first_flow_id", "last_flow_id", "first_seen_min", "first_seen_max"
)  # fmt: skip


@dataclass
class QueryResult:
    """Rows of one query with what the engine reported."""

    column_names: Sequence[str]
    column_types: Sequence[str]
    rows: list[Sequence[Any]]
    rows_read: int
    elapsed_seconds: float


def map_engine_error(exc: Exception, timeout_seconds: float) -> ServiceError:
    """Turn a ClickHouse/chdb error into a domain error with the engine's explanation."""
    message = str(exc).strip()
    first_line = message.splitlines()[0] if message else type(exc).__name__
    first_line = re.sub(r"^(?:\w+Error: )+", "", first_line)
    found = _CODE.search(message)
    code = int(found.group(1)) if found else 0
    if code == 159:
        return DeadlineExceeded(
            f"query cut at its time limit of {timeout_seconds:g} s; narrow the time window or add LIMIT"
        )
    if code in _LIMIT_CODES:
        return ResourceExhausted(f"query refused: {_LIMIT_CODES[code]}; narrow the time window or aggregate more")
    if code == 164:
        return InvalidArgument("query refused by the read-only engine session: only reads are allowed", field="sql")
    if code in _INVALID_CODES or (isinstance(exc, DatabaseError) and code):
        return InvalidArgument(f"the database rejected the query: {first_line[:500]}", field="sql")
    if isinstance(exc, OperationalError) or not code:
        return Unavailable(f"the flow database is not reachable: {first_line[:200]}")
    return InvalidArgument(f"the database rejected the query: {first_line[:500]}", field="sql")


def _make_client(settings: FlowsSettings, *, writer: bool) -> Client:
    if settings.is_embedded:
        path = settings.dsn.removeprefix("chdb://")
        if path not in ("memory", "") and path.startswith("/"):
            Path(path).mkdir(parents=True, exist_ok=True)
        return clickhouse_connect.get_client(dsn=settings.dsn)
    return clickhouse_connect.get_client(**server_client_kwargs(settings, writer=writer))


def server_client_kwargs(settings: FlowsSettings, *, writer: bool = False) -> dict[str, Any]:
    """clickhouse-connect arguments for a ClickHouse server, mirroring mcp-ntopng's settings.

    The reader carries no session (a session runs one query at a time: concurrent reads would be refused
    with "session is locked"); the writer logs in as the writer user.
    """
    port, _ = settings.ch_http_port
    user, password = (
        (settings.ch_writer_user, settings.ch_writer_password) if writer else (settings.ch_user, settings.ch_password)
    )
    return {
        "host": settings.ch_host,
        "port": port,
        "username": user,
        "password": password.get_secret_value(),
        "autogenerate_session_id": False,
        "database": settings.ch_database,
        "secure": settings.ch_secure,
        "verify": settings.ch_verify,
        "connect_timeout": settings.ch_connect_timeout,
        "send_receive_timeout": settings.ch_send_receive_timeout,
    }


def _check_reader_profile(level: int) -> None:
    """A server reader must be readonly=2: with 1 it cannot set the per-query limits; with 0 it could write."""
    if level == 1:
        raise Unavailable(
            "the ClickHouse reader user's profile is readonly=1, which refuses the per-query limits every query "
            "sets (max_execution_time, ...): give it a readonly=2 profile (docs/operations.md, ClickHouse users)"
        )
    if level == 0:
        log.warning("reader_can_write", detail="the ClickHouse reader user may write: give it a readonly=2 profile")


class ClickHouseStore:
    """The flow database behind one process: a read-only reader and a writer, both off the event loop."""

    engine_grace_seconds = 5.0  # how long past its limit an assistant statement is waited for before answering

    def __init__(self, settings: FlowsSettings) -> None:
        self._settings = settings
        self._executor = ThreadPoolExecutor(
            max_workers=settings.query_workers + settings.sql_lanes, thread_name_prefix="clickhouse"
        )
        self._killer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clickhouse-kill")
        self._reader: Client | None = None
        self._writer: Client | None = None
        # chdb: an assistant statement the engine still runs after its caller was answered (it cannot be stopped)
        self._overrun: asyncio.Future[Any] | None = None
        self._limits: dict[str, Any] = {
            "max_execution_time": settings.sql_time_limit,
            "max_result_rows": settings.max_rows + 1,
            "max_result_bytes": settings.max_result_bytes,
            "result_overflow_mode": "break",
            "max_memory_usage": settings.max_memory_bytes,
        }
        if settings.max_rows_to_read:
            self._limits["max_rows_to_read"] = settings.max_rows_to_read

    @property
    def database(self) -> str:
        """The database assistant SQL may read."""
        return self._settings.database

    async def _call(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    @property
    def can_write(self) -> bool:
        """Whether ingest has a writer (else the store serves reads only)."""
        return self._settings.can_write

    def _open(self) -> None:
        if self._reader is not None:
            return
        writer = _make_client(self._settings, writer=True) if self._settings.can_write else None
        if writer is not None:
            if self._settings.is_embedded and self._settings.create_schema:
                writer.command(schema.flows_ddl())
                writer.command(schema.FLOW_ALERTS_VIEW_DDL)
            writer.command(INGEST_LEDGER_DDL)
            writer.command(INGEST_LEDGER_RANGES)
        else:
            log.info("reads_only", detail=READS_ONLY)
        reader = _make_client(self._settings, writer=False)
        if self._settings.is_embedded:
            for name, value in self._limits.items():
                quoted = f"'{value}'" if isinstance(value, str) else value
                reader.command(f"SET {name} = {quoted}")
            reader.command("SET readonly = 1")
        else:
            _check_reader_profile(int(reader.query("SELECT getSetting('readonly')").result_rows[0][0]))
        self._reader, self._writer = reader, writer

    async def open(self) -> None:
        """Connect (and create ntopng's tables in an embedded store)."""
        if self._reader is None and not self._settings.is_embedded and (note := self._settings.ch_http_port[1]):
            log.warning("clickhouse_native_port", detail=note)
        try:
            await self._call(self._open)
        except ClickHouseError as exc:
            raise Unavailable(f"cannot open the flow database: {str(exc).splitlines()[0][:200]}") from exc

    async def ping(self) -> None:
        """Raise when the database does not answer a trivial query."""
        await self.open()
        await self.read("SELECT 1")

    def _read(
        self, sql: str, parameters: Mapping[str, Any] | None, limits: Mapping[str, Any] | None = None
    ) -> QueryResult:
        assert self._reader is not None
        per_query = None if self._settings.is_embedded else {**self._limits, **(limits or {})}
        started = time.perf_counter()
        result = self._reader.query(sql, parameters=dict(parameters) if parameters else None, settings=per_query)
        summary = result.summary or {}
        return QueryResult(
            column_names=result.column_names,
            column_types=[t.name for t in result.column_types],
            rows=list(result.result_rows),
            rows_read=int(summary.get("read_rows", 0) or 0),
            elapsed_seconds=time.perf_counter() - started,
        )

    async def read(self, sql: str, parameters: Mapping[str, Any] | None = None) -> QueryResult:
        """Run one read on the read-only session; engine errors become domain errors."""
        await self.open()
        try:
            with span("flows.store read", db_system="clickhouse", db_query_text=sql[:STATEMENT_CHARS]):
                return await asyncio.wait_for(
                    self._call(self._read, sql, parameters), self._settings.query_timeout_seconds + 5
                )
        except TimeoutError:
            raise DeadlineExceeded(
                f"query cut at its time limit of {self._settings.query_timeout_seconds:g} s"
            ) from None
        except ClickHouseError as exc:
            raise map_engine_error(exc, self._settings.query_timeout_seconds) from None

    @property
    def overrunning(self) -> bool:
        """Whether the embedded engine still runs an assistant statement whose caller was already answered."""
        return self._overrun is not None and not self._overrun.done()

    async def read_untrusted(self, sql: str) -> QueryResult:
        """Run assistant SQL (already guarded) at the engine's SQL time limit, stopped when the caller goes.

        On a server the query carries an id and, when the caller's deadline passes or the client goes away
        (this task is cancelled), `KILL QUERY` stops it on the server. chdb cannot interrupt a running query
        from another thread (nor run a second query meanwhile), so on the embedded engine the engine's own
        time limit ends it; a statement that overruns even that is waited for before the next one starts its
        clock (else each next caller's time would go to the one before, and its statement would overrun too).
        """
        await self.open()
        overrun = self._overrun
        if overrun is not None and not overrun.done():
            await asyncio.wait([overrun])
        limit = self._settings.sql_time_limit
        query_id = f"netscope-sql-{uuid.uuid4().hex}"
        limits = {"max_execution_time": limit, "query_id": query_id}
        running = asyncio.ensure_future(self._call(self._read, sql, None, limits))
        try:
            with span("flows.store read", db_system="clickhouse", db_query_text=sql[:STATEMENT_CHARS]):
                return await asyncio.wait_for(asyncio.shield(running), limit + self.engine_grace_seconds)
        except TimeoutError:
            self._abandon(running, sql)
            await self._kill(query_id)
            raise DeadlineExceeded(f"query cut at its time limit of {limit:g} s") from None
        except asyncio.CancelledError:
            self._abandon(running, sql)
            await asyncio.shield(self._kill(query_id))
            raise
        except ClickHouseError as exc:
            raise map_engine_error(exc, limit) from None

    def _abandon(self, running: asyncio.Future[QueryResult], sql: str) -> None:
        """Keep track of a statement its caller no longer waits for; on chdb the engine is busy until it ends."""
        started = time.perf_counter()

        def ended(done: asyncio.Future[QueryResult]) -> None:
            if not done.cancelled():
                done.exception()  # retrieved: the caller was answered already
            log.warning("sql_overran", seconds_after_answer=round(time.perf_counter() - started, 1), sql=sql[:200])

        running.add_done_callback(ended)
        if self._settings.is_embedded:
            self._overrun = running

    async def _kill(self, query_id: str) -> None:
        """Stop a query on a ClickHouse server (a user may always kill its own queries)."""
        if self._settings.is_embedded or self._reader is None:
            return
        reader = self._reader
        with contextlib.suppress(ClickHouseError):
            await asyncio.get_running_loop().run_in_executor(
                self._killer, reader.command, f"KILL QUERY WHERE query_id = '{query_id}' ASYNC"
            )
        log.info("sql_killed", query_id=query_id)

    def _writer_client(self) -> Client:
        if self._writer is None:
            raise FailedPrecondition(READS_ONLY)
        return self._writer

    def _write(self, table: str, column_names: Sequence[str], columns: Sequence[Sequence[Any]]) -> None:
        self._writer_client().insert(table, columns, column_names=list(column_names), column_oriented=True)

    async def write(self, table: str, column_names: Sequence[str], columns: Sequence[Sequence[Any]]) -> None:
        """Insert column-oriented data with the writer client (trusted callers only)."""
        await self.open()
        try:
            with span("flows.store write", db_system="clickhouse", db_collection_name=table):
                await self._call(self._write, table, column_names, columns)
        except ClickHouseError as exc:
            raise Unavailable(f"could not store the flows: {str(exc).splitlines()[0][:200]}") from None

    def _command(self, sql: str, settings: dict[str, Any] | None) -> None:
        self._writer_client().command(sql, settings=settings)

    async def command(self, sql: str, settings: dict[str, Any] | None = None) -> None:
        """Run one statement with the writer client (trusted callers only, e.g. ingest recovery)."""
        await self.open()
        try:
            await self._call(self._command, sql, settings)
        except ClickHouseError as exc:
            raise Unavailable(f"could not change the stored flows: {str(exc).splitlines()[0][:200]}") from None

    def _write_arrow(self, table: str, data: Any) -> None:
        self._writer_client().insert_arrow(table, data)

    async def write_arrow(self, table: str, data: Any) -> None:
        """Insert a pyarrow Table with the writer client (trusted callers only)."""
        await self.open()
        try:
            with span("flows.store write", db_system="clickhouse", db_collection_name=table):
                await self._call(self._write_arrow, table, data)
        except ClickHouseError as exc:
            raise Unavailable(f"could not store the flows: {str(exc).splitlines()[0][:200]}") from None

    async def close(self) -> None:
        """Release the clients and the worker threads."""
        for client in (self._reader, self._writer):
            if client is not None:
                await self._call(client.close)
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._killer.shutdown(wait=False, cancel_futures=True)
