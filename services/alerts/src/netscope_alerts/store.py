"""The alert store: clickhouse-connect clients (embedded chdb or a ClickHouse server) in a thread pool.

chdb has no async client and allows one data directory per process, so one Store per process holds the
clients and runs every call in a small thread pool, keeping the grpc.aio event loop free. On a ClickHouse
server, reads and writes use two users: the reader (`dsn`) and the writer (`writer_dsn`); both carry no
session (a server session runs one query at a time). Without a writer the store serves reads only.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from netscope_common.errors import (
    DeadlineExceeded,
    FailedPrecondition,
    InvalidArgument,
    ResourceExhausted,
    ServiceError,
    Unavailable,
)
from netscope_common.tracing import STATEMENT_CHARS, span

_CODE = re.compile(r"Code: (\d+)")


_DATABASE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


READS_ONLY = (
    "this alerts service serves reads only: no writer is configured for the ClickHouse server "
    "(NETSCOPE_ALERTS_WRITER_DSN), so alerts, exclusions, policies and expected servers cannot be changed"
)


def _open(dsn: str, database: str, *, create: bool) -> Client:
    options: dict[str, Any] = {} if dsn.startswith("chdb://") else {"autogenerate_session_id": False}
    if dsn.startswith("chdb://") and dsn != "chdb://memory":
        Path(dsn.removeprefix("chdb://")).mkdir(parents=True, exist_ok=True)
    if not database:
        return clickhouse_connect.get_client(dsn=dsn, **options)
    if create:
        bootstrap = clickhouse_connect.get_client(dsn=dsn, **options)
        bootstrap.command(f"CREATE DATABASE IF NOT EXISTS `{database}`")
        bootstrap.close()
    return clickhouse_connect.get_client(dsn=dsn, database=database, **options)


class Store:
    """Async facade over one clickhouse-connect client."""

    def __init__(
        self,
        dsn: str,
        *,
        writer_dsn: str = "",
        database: str = "",
        workers: int = 4,
        query_timeout_seconds: float = 30.0,
    ) -> None:
        if database and not _DATABASE.match(database):
            raise InvalidArgument(f"invalid database name {database!r}: letters, digits and '_' only")
        self.dsn = dsn
        self.database = database
        self.embedded = dsn.startswith("chdb://")
        self._writer_dsn = dsn if self.embedded else writer_dsn
        self._timeout = query_timeout_seconds
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="alerts-store")
        self._client: Client | None = None
        self._writer: Client | None = None

    @property
    def can_write(self) -> bool:
        """Whether the store has a writer (always embedded; on a server, with a writer DSN)."""
        return bool(self._writer_dsn)

    def _connect(self) -> tuple[Client, Client | None]:
        if self.embedded:
            client = _open(self.dsn, self.database, create=True)
            return client, client
        writer = _open(self._writer_dsn, self.database, create=True) if self._writer_dsn else None
        return _open(self.dsn, self.database, create=False), writer

    async def open(self) -> None:
        """Connect (or open the embedded data directory)."""
        if self._client is None:
            self._client, self._writer = await asyncio.get_running_loop().run_in_executor(self._pool, self._connect)

    async def close(self) -> None:
        """Close the clients and the thread pool."""
        clients = {id(c): c for c in (self._client, self._writer) if c is not None}
        self._client = self._writer = None
        for client in clients.values():
            await asyncio.get_running_loop().run_in_executor(self._pool, client.close)
        self._pool.shutdown(wait=False)

    @property
    def client(self) -> Client:
        """The reader."""
        if self._client is None:
            raise Unavailable("the alert store is not open yet")
        return self._client

    @property
    def writer(self) -> Client:
        """The writer; FailedPrecondition when the store serves reads only."""
        if self._client is None:
            raise Unavailable("the alert store is not open yet")
        if self._writer is None:
            raise FailedPrecondition(READS_ONLY)
        return self._writer

    async def _run(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        statement = str(args[0])[:STATEMENT_CHARS] if args else ""
        try:
            with span(f"alerts.store {fn.__name__}", db_system="clickhouse", db_query_text=statement):
                return await loop.run_in_executor(self._pool, lambda: fn(*args, **kwargs))
        except Exception as exc:
            raise _translate(exc) from exc

    async def rows(self, sql: str, parameters: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Run a SELECT and return its rows."""
        settings = {"max_execution_time": self._timeout}
        result = await self._run(self.client.query, sql, parameters=parameters or {}, settings=settings)
        return list(result.result_rows)

    async def command(self, sql: str, parameters: dict[str, Any] | None = None) -> None:
        """Run DDL or a mutation (never with per-call settings: chdb would keep them)."""
        await self._run(self.writer.command, sql, parameters=parameters or {})

    async def insert(self, table: str, rows: Sequence[Sequence[Any]], columns: Sequence[str]) -> None:
        """Insert rows into a table."""
        await self._run(self.writer.insert, table, list(rows), column_names=list(columns))

    async def has_table(self, name: str) -> bool:
        """True when the current database holds a table or view with that name."""
        rows = await self.rows(
            "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = {n:String}",
            {"n": name},
        )
        return bool(rows[0][0])

    async def ping(self) -> None:
        """Raise Unavailable when the store does not answer."""
        await self.rows("SELECT 1")


def _translate(exc: Exception) -> Exception:
    """Map store errors to service errors with a clear message."""
    if isinstance(exc, ServiceError):
        return exc
    text = str(exc)
    match = _CODE.search(text)
    code = int(match.group(1)) if match else None
    if code == 159:
        return DeadlineExceeded("the alert query ran past its time limit; narrow the window or filters")
    if code in (241, 158):
        return ResourceExhausted("the alert query hit a store memory or row limit; narrow the window or filters")
    return exc
