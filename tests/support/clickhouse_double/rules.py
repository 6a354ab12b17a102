"""The ClickHouse rules the double enforces, each from ClickHouse's documentation.

- HTTP interface (https://clickhouse.com/docs/interfaces/http): parameters that are not HTTP options are
  settings; `session_id` names a session whose settings persist, and a session serves one query at a time
  ("Session is locked by a concurrent client", SESSION_IS_LOCKED, code 373); `session_check=1` on an unknown
  session fails (SESSION_NOT_FOUND, code 372); `query_id` names the query (a duplicate running id is
  QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING, code 216); a GET request runs with readonly = 1.
- Permissions for queries (https://clickhouse.com/docs/operations/settings/permissions-for-queries):
  readonly = 1 allows read queries and USE only, and no settings change; readonly = 2 also allows SET and
  CREATE TEMPORARY TABLE and settings changes (which settings a user may change is read from the engine's own
  system.settings `readonly` column under that level); KILL QUERY runs whatever readonly is.
- KILL QUERY (https://clickhouse.com/docs/sql-reference/statements/kill): read-only users can only stop their
  own queries; a stopped query answers QUERY_WAS_CANCELLED (code 394).
- max_execution_time (https://clickhouse.com/docs/operations/settings/settings#max_execution_time): enforced
  by the engine itself (TIMEOUT_EXCEEDED, code 159) — the double only passes the setting on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

HTTP_OPTIONS = frozenset(
    {
        "query", "database", "default_format", "user", "password", "quota_key", "query_id", "session_id",
        "session_timeout", "session_check", "close_session", "compress", "decompress", "buffer_size",
        "wait_end_of_query", "stacktrace", "role", "client_protocol_version",
    }
)  # fmt: skip

READ_KEYWORDS = frozenset({"SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXISTS", "EXPLAIN", "USE"})
SETTING_KEYWORDS = frozenset({"SET"})
KILL_QUERY = re.compile(r"^KILL\s+QUERY\s+WHERE\s+query_id\s*=\s*'([^']*)'(?:\s+(?:SYNC|ASYNC|TEST))?\s*;?\s*$", re.I)
SET_STATEMENT = re.compile(r"^SET\s+(\w+)\s*=\s*(.+?)\s*;?\s*$", re.I | re.S)
TRAILING_FORMAT = re.compile(r"\s+FORMAT\s+(\w+)\s*;?\s*$", re.I)
_FIRST_WORD = re.compile(r"^\s*(?:(?:--[^\n]*\n|/\*.*?\*/)\s*)*\(*\s*(\w+)", re.S)


class DoubleError(Exception):
    """A ClickHouse error: code, name and message, rendered as the server renders it."""

    def __init__(self, code: int, name: str, message: str, http_status: int = 500) -> None:
        super().__init__(message)
        self.code, self.name, self.message, self.http_status = code, name, message, http_status

    def body(self) -> bytes:
        return f"Code: {self.code}. DB::Exception: {self.message}. ({self.name}) (version double)\n".encode()


@dataclass(frozen=True)
class User:
    """A user of the double: password, readonly level and profile settings."""

    name: str
    password: str = ""
    readonly: int = 0
    profile: dict[str, str] = field(default_factory=dict)


def first_keyword(sql: str) -> str:
    """The statement's first keyword (after comments and opening parentheses), upper-case."""
    found = _FIRST_WORD.match(sql)
    return found.group(1).upper() if found else ""


def check_statement(sql: str, readonly: int) -> None:
    """Refuse a statement the readonly level does not allow (READONLY, code 164)."""
    if not readonly:
        return
    keyword = first_keyword(sql)
    if keyword in READ_KEYWORDS:
        return
    if readonly == 2 and (keyword in SETTING_KEYWORDS or re.match(r"^\s*CREATE\s+TEMPORARY\s+TABLE", sql, re.I)):
        return
    raise DoubleError(164, "READONLY", "Cannot execute query in readonly mode")
