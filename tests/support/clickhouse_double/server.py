"""A test double of ClickHouse's HTTP interface in front of chdb's real engine.

Queries run on chdb's engine (the ClickHouse engine in a library), so SQL, types, formats, limits and engine
errors are ClickHouse's own. The double adds only the server rules listed in rules.py (sessions, users and
readonly levels, settings changes, KILL QUERY, query ids), each from ClickHouse's documentation.

What it is not: chdb runs one query at a time per process (a second concurrent query on its one connection
deadlocks inside chdb), so the double serialises engine calls — a real server runs queries concurrently.
chdb cannot interrupt a running query from another thread, so KILL QUERY stops a query that waits for the
engine at once and makes a running one answer QUERY_WAS_CANCELLED when the engine returns (the engine's
max_execution_time still ends it). There are no GRANTs, quotas or clusters.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import chdb
import lz4.frame
from backports import zstd

from tests.support.clickhouse_double.rules import (
    HTTP_OPTIONS,
    KILL_QUERY,
    SET_STATEMENT,
    TRAILING_FORMAT,
    DoubleError,
    User,
    check_statement,
    first_keyword,
)

_DECODERS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.decompress,
    "deflate": zlib.decompress,
    "lz4": lz4.frame.decompress,
    "zstd": zstd.decompress,
}
_INLINE_INSERT = re.compile(rb"^\s*(INSERT\s.*?\sFORMAT\s+\w+)[ \t]*\r?\n?", re.I | re.S)
_OWN_SETTINGS = re.compile(r"\sSETTINGS\s+\w+\s*=\s*[^()']*$", re.I)
_SETTINGS_CLAUSE_KEYWORDS = frozenset({"SELECT", "WITH", "ALTER"})  # where a SETTINGS clause ends the statement


@dataclass
class _Query:
    query_id: str
    user: str
    killed: threading.Event = field(default_factory=threading.Event)


class Engine:
    """chdb's engine: one connection, one query at a time (chdb's own limit)."""

    def __init__(self, path: str) -> None:
        self._conn = chdb.connect(path)
        self._lock = threading.Lock()
        self._database = "default"
        self._known: dict[tuple[str, int], tuple[str, bool]] = {}

    def _use(self, database: str) -> None:
        if database and database != self._database:
            self._conn.query(f"USE `{database}`", "TabSeparated")
            self._database = database

    def acquire(self, killed: threading.Event) -> None:
        """Wait for the engine; a query killed while it waits stops here."""
        while not self._lock.acquire(timeout=0.02):
            if killed.is_set():
                raise DoubleError(394, "QUERY_WAS_CANCELLED", "Query was cancelled")

    def release(self) -> None:
        self._lock.release()

    def query(self, sql: str, fmt: str, database: str, params: Mapping[str, str]) -> Any:
        """Run one statement (the caller holds the engine)."""
        self._use(database)
        return self._conn._conn.query(sql, fmt, params=dict(params)) if params else self._conn._conn.query(sql, fmt)

    def insert(self, statement: str, fmt: str, data: bytes, database: str) -> int:
        """Stream `data` (in `fmt`) into an INSERT statement (the caller holds the engine)."""
        self._use(database)
        with self._conn.send_insert(statement, fmt) as inserter:
            inserter.append(data)
            result = inserter.finish()
        return int(getattr(result, "rows_written", 0) or 0)

    def settings(self, names: list[str], readonly: int) -> dict[str, tuple[str, bool]]:
        """Each setting's default value and whether a user at this readonly level may change it (the engine's
        answer, asked once per setting and level)."""
        missing = [n for n in names if (n, readonly) not in self._known]
        if missing:
            quoted = ", ".join("'" + n.replace("'", "") + "'" for n in missing)
            self.acquire(threading.Event())
            try:
                raw = self._conn._conn.query(
                    f"SELECT name, value, readonly FROM system.settings WHERE name IN ({quoted}) "
                    f"SETTINGS readonly = {readonly}",
                    "JSONCompact",
                ).bytes()
            finally:
                self.release()
            for name, value, locked in json.loads(raw)["data"]:
                self._known[(str(name), readonly)] = (str(value), bool(int(locked)))
        return {n: self._known[(n, readonly)] for n in names if (n, readonly) in self._known}


class DoubleState:
    """Users, sessions and running queries of one double."""

    def __init__(self, engine: Engine, users: Mapping[str, User]) -> None:
        self.engine = engine
        self.users = dict(users)
        self._lock = threading.Lock()
        self._sessions: dict[str, dict[str, str]] = {}
        self._busy_sessions: set[str] = set()
        self._queries: dict[str, _Query] = {}

    def authenticate(self, name: str, password: str) -> User:
        user = self.users.get(name)
        if user is None or user.password != password:
            raise DoubleError(
                516, "AUTHENTICATION_FAILED", f"{name}: Authentication failed: password is incorrect, or there is no "
                "user with such name", 403
            )  # fmt: skip
        return user

    def open_session(self, session_id: str, check: bool) -> dict[str, str]:
        with self._lock:
            if session_id in self._busy_sessions:
                raise DoubleError(373, "SESSION_IS_LOCKED", f"Session {session_id} is locked by a concurrent client")
            if check and session_id not in self._sessions:
                raise DoubleError(372, "SESSION_NOT_FOUND", f"Session {session_id} not found")
            self._busy_sessions.add(session_id)
            return self._sessions.setdefault(session_id, {})

    def close_session(self, session_id: str) -> None:
        with self._lock:
            self._busy_sessions.discard(session_id)

    def start_query(self, query_id: str, user: str) -> _Query:
        with self._lock:
            if query_id in self._queries:
                raise DoubleError(
                    216, "QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING", f"Query with id = {query_id} is already running."
                )
            query = self._queries[query_id] = _Query(query_id, user)
            return query

    def end_query(self, query: _Query) -> None:
        with self._lock:
            self._queries.pop(query.query_id, None)

    def kill(self, query_id: str, user: User) -> list[str]:
        """Mark the query stopped; read-only users may stop only their own queries."""
        with self._lock:
            query = self._queries.get(query_id)
            if query is None or (user.readonly and query.user != user.name):
                return []
            query.killed.set()
            return [query_id]


@dataclass
class _Request:
    user: User
    readonly: int
    sql: str
    data: bytes
    settings: dict[str, str]
    params: dict[str, str]
    database: str
    default_format: str


class _Handler(BaseHTTPRequestHandler):
    server: DoubleServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        if urlsplit(self.path).path in ("/ping", "/") and not urlsplit(self.path).query:
            self._reply(200, b"Ok.\n", {})
            return
        self._handle(get=True)

    def do_POST(self) -> None:
        self._handle(get=False)

    def _reply(self, status: int, body: bytes, headers: Mapping[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline().strip():  # trailers up to the blank line
                pass
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _read(self, get: bool) -> _Request:
        params = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
        body = self._body()
        encoding = (self.headers.get("Content-Encoding") or "").lower()
        if body and encoding in _DECODERS:
            body = _DECODERS[encoding](body)
        name = self.headers.get("X-ClickHouse-User") or params.get("user") or "default"
        password = self.headers.get("X-ClickHouse-Key") or params.get("password") or ""
        auth = self.headers.get("Authorization") or ""
        if auth.startswith("Basic "):
            name, _, password = base64.b64decode(auth[6:]).decode().partition(":")
        user = self.server.state.authenticate(name, password)
        readonly = user.readonly or (1 if get else 0)  # a GET request runs with readonly = 1
        if "query" in params:
            sql, data = params["query"], body
            if body and first_keyword(sql) != "INSERT":
                sql, data = f"{sql}\n{body.decode()}", b""
        elif inline := _INLINE_INSERT.match(body):  # "INSERT ... FORMAT X" then the data, all in the body
            sql, data = inline.group(1).decode(), body[inline.end() :]
        else:
            sql, data = body.decode(), b""
        settings = {k: v for k, v in params.items() if k not in HTTP_OPTIONS and not k.startswith("param_")}
        query_params = {k.removeprefix("param_"): v for k, v in params.items() if k.startswith("param_")}
        return _Request(
            user, readonly, sql.strip(), data, settings, query_params, params.get("database", ""),
            params.get("default_format", "TabSeparated"),
        )  # fmt: skip

    def _handle(self, get: bool) -> None:
        params = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
        query_id = params.get("query_id") or str(uuid.uuid4())
        session_id = params.get("session_id", "")
        headers = {"X-ClickHouse-Query-Id": query_id, "X-ClickHouse-Timezone": "UTC",
                   "X-ClickHouse-Server-Display-Name": "clickhouse-double"}  # fmt: skip
        opened = False
        query = None
        try:
            request = self._read(get)
            state = self.server.state
            session = state.open_session(session_id, params.get("session_check") == "1") if session_id else {}
            opened = bool(session_id)
            query = state.start_query(query_id, request.user.name)
            body, fmt, summary = self._execute(request, session, query)
            headers.update({"X-ClickHouse-Format": fmt, "X-ClickHouse-Summary": json.dumps(summary),
                            "Content-Type": "application/octet-stream"})  # fmt: skip
            self._reply(200, body, headers)
        except DoubleError as exc:
            self._reply(exc.http_status, exc.body(), {**headers, "X-ClickHouse-Exception-Code": str(exc.code)})
        except RuntimeError as exc:  # the engine's own error, already "Code: N. DB::Exception: ..."
            text = str(exc).removeprefix("Streaming query failed: ")
            code = text.split(".", 1)[0].removeprefix("Code: ") if text.startswith("Code: ") else "1001"
            self._reply(500, (text + "\n").encode(), {**headers, "X-ClickHouse-Exception-Code": code})
        finally:
            if query is not None:
                self.server.state.end_query(query)
            if opened:
                self.server.state.close_session(session_id)

    def _check_changes(self, request: _Request, current: Mapping[str, str], changes: Mapping[str, str]) -> None:
        """Refuse settings changes the user's readonly level does not allow."""
        if not request.readonly or not changes:
            return
        known = self.server.state.engine.settings(sorted(changes), request.readonly)
        for name, value in changes.items():
            default, locked = known.get(name, ("", False))
            if value == current.get(name, default):
                continue  # not a change
            if request.readonly == 1 or locked:
                raise DoubleError(164, "READONLY", f"Cannot modify '{name}' setting in readonly mode")

    def _execute(self, request: _Request, session: dict[str, str], query: _Query) -> tuple[bytes, str, dict[str, Any]]:
        state = self.server.state
        current = {**request.user.profile, **session}
        killing = KILL_QUERY.match(request.sql)
        if killing:  # KILL QUERY runs whatever the readonly level
            stopped = state.kill(killing.group(1), request.user)
            return "".join(f"finished\t{q}\t{request.user.name}\n" for q in stopped).encode(), "TabSeparated", {}
        self._check_changes(request, current, request.settings)
        setting = SET_STATEMENT.match(request.sql)
        check_statement(request.sql, request.readonly)
        if setting:
            name, value = setting.group(1), setting.group(2).strip().strip("'")
            self._check_changes(request, current, {name: value})
            session[name] = value
            return b"", "TabSeparated", {}
        applied = {**current, **request.settings}
        if request.readonly:
            applied = {"readonly": str(request.readonly), **applied}
        sql, fmt = request.sql, request.default_format
        found = TRAILING_FORMAT.search(sql)
        if found:
            sql, fmt = sql[: found.start()], found.group(1)
        if applied and not request.data and first_keyword(sql) in _SETTINGS_CLAUSE_KEYWORDS:
            own = _OWN_SETTINGS.search(sql)  # the statement's own SETTINGS clause, last: extend it
            sql += (", " if own else " SETTINGS ") + ", ".join(f"{k} = {_literal(v)}" for k, v in applied.items())
        state.engine.acquire(query.killed)
        started = time.perf_counter()
        try:
            if request.data:
                written = state.engine.insert(sql, fmt, request.data, request.database)
                result = None
            else:
                result = state.engine.query(sql, fmt, request.database, request.params)
        except RuntimeError:
            if query.killed.is_set():  # stopped while the engine ran it: the client hears of the KILL
                raise DoubleError(394, "QUERY_WAS_CANCELLED", "Query was cancelled") from None
            raise
        finally:
            state.engine.release()
        if query.killed.is_set():
            raise DoubleError(394, "QUERY_WAS_CANCELLED", "Query was cancelled")
        elapsed_ns = int((time.perf_counter() - started) * 1e9)
        if result is None:
            return b"", fmt, {"written_rows": str(written), "elapsed_ns": str(elapsed_ns)}
        summary = {"read_rows": str(result.rows_read()), "read_bytes": str(result.bytes_read()),
                   "written_rows": "0", "elapsed_ns": str(elapsed_ns)}  # fmt: skip
        return result.bytes(), fmt, summary


def _literal(value: str) -> str:
    try:
        float(value)
    except ValueError:
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return value


class DoubleServer(ThreadingHTTPServer):
    """The double's HTTP server; `state` holds its users, sessions and running queries."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: DoubleState) -> None:
        super().__init__(address, _Handler)
        self.state = state
