"""Admit exactly one read-only statement of assistant-written SQL, decided on a real parse tree.

The guard is one of two layers: the query also runs on a read-only engine session (see store.py).
It parses with sqlglot's ClickHouse dialect and re-renders the statement from the checked tree, so what
runs is what was checked (no parser differential between the guard and the engine).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from netscope_common.errors import InvalidArgument

logging.getLogger("sqlglot").setLevel(logging.ERROR)

MAX_SQL_BYTES = 64 * 1024
ALLOWED_FORMS = "exactly one SELECT, WITH ... SELECT, SHOW, DESCRIBE or EXPLAIN statement"
SAFE_TABLE_FUNCTIONS = frozenset({"numbers", "numbers_mt", "zeros", "zeros_mt", "generate_series", "generateseries"})
DENIED_FUNCTIONS = frozenset(
    {
        "file",
        "url",
        "urlcluster",
        "s3",
        "s3cluster",
        "gcs",
        "azureblobstorage",
        "azureblobstoragecluster",
        "hdfs",
        "hdfscluster",
        "remote",
        "remotesecure",
        "cluster",
        "clusterallreplicas",
        "mysql",
        "postgresql",
        "mongodb",
        "redis",
        "sqlite",
        "jdbc",
        "odbc",
        "executable",
        "executablepool",
        "input",
        "dictionary",
        "merge",
        "mergetreeindex",
        "iceberg",
        "icebergs3",
        "deltalake",
        "hudi",
        "fuzzjson",
        "fuzzquery",
        "view",
        "viewifpermitted",
        "loop",
        "format",
        "dictget",
        "dictgetordefault",
        "dictgetornull",
        "dicthas",
        "dictgethierarchy",
        "dictisin",
        "dictgetchildren",
        "dictgetdescendants",
        "joinget",
        "joingetornull",
        "filesystemavailable",
        "filesystemcapacity",
        "filesystemunreserved",
        "getserverport",
        "sleep",
        "sleepeachrow",
        "throwif",
        "addresstoline",
        "addresstosymbol",
        "demangle",
    }
)
# system tables that only generate constants (one row, a number sequence, zeros) and reveal nothing about the
# server; every other system table (users, grants, settings, processes, logs, functions, tables, ...) describes
# the server, its users or other databases. Schema discovery goes through SHOW TABLES / DESCRIBE / ListTables,
# which see the flow database only.
ALLOWED_SYSTEM_TABLES = frozenset({"one", "numbers", "numbers_mt", "zeros", "zeros_mt"})
_SHOW_FORMS = re.compile(
    r"^SHOW\s+(?:TABLES|DATABASES|(?:CREATE\s+TABLE|COLUMNS\s+FROM)\s+`?[A-Za-z_][A-Za-z0-9_]*`?)$",
    re.IGNORECASE,
)
_EXPLAIN_PREFIX = re.compile(r"^EXPLAIN(?:\s+(?:AST|SYNTAX|QUERY\s+TREE|PLAN|PIPELINE|ESTIMATE))?\s+", re.IGNORECASE)


@dataclass(frozen=True)
class CheckedSql:
    """A statement the guard admitted, in the form that will run."""

    sql: str
    kind: str


def _refuse(reason: str) -> InvalidArgument:
    return InvalidArgument(f"SQL refused: {reason}. Allowed: {ALLOWED_FORMS} over the flow tables.", field="sql")


def _function_name(node: Any) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    if isinstance(node, exp.Func):
        return node.sql_name().lower().replace("_", "")
    return ""


_DENIAL_REASONS = {
    "sleep": "holds the query (it sleeps)",
    "sleepeachrow": "holds the query (it sleeps)",
    "throwif": "fails the query on purpose",
    "addresstoline": "inspects the server's own binary",
    "addresstosymbol": "inspects the server's own binary",
    "demangle": "inspects the server's own binary",
    "filesystemavailable": "exposes the server's disks",
    "filesystemcapacity": "exposes the server's disks",
    "filesystemunreserved": "exposes the server's disks",
    "getserverport": "exposes the server's ports",
}


def _denial(name: str) -> str:
    """Why a function is refused, as the error says it."""
    return _DENIAL_REASONS.get(name, "reaches files, networks, dictionaries or servers")


def _is_denied(name: str) -> bool:
    """Denied by name, or a dictionary/join-table lookup of any flavour (dictGetString, dictGetOrNull, ...)."""
    return name in DENIED_FUNCTIONS or name.startswith(("dict", "joinget"))


class SqlGuard:
    """Checks assistant SQL against an allow-list of statement kinds, databases and table functions."""

    def __init__(self, database: str = "default") -> None:
        self._database = database

    def check(self, sql: str) -> CheckedSql:
        """Return the statement to run, or raise InvalidArgument saying what is wrong and what is allowed."""
        text = sql.strip().rstrip(";").strip()
        if not text:
            raise _refuse("the statement is empty")
        if len(text.encode()) > MAX_SQL_BYTES:
            raise _refuse(f"the statement is longer than {MAX_SQL_BYTES} bytes")
        if "\x00" in text:
            raise _refuse("the statement contains a NUL byte")
        explain = _EXPLAIN_PREFIX.match(text)
        if explain:
            inner = self.check(text[explain.end() :])
            if inner.kind != "select":
                raise _refuse("EXPLAIN may only wrap a SELECT")
            return CheckedSql(f"{explain.group(0).strip().upper()} {inner.sql}", "explain")
        try:
            statements = [s for s in sqlglot.parse(text, read="clickhouse") if s is not None]
        except (ParseError, TokenError) as exc:
            raise InvalidArgument(
                f"SQL could not be parsed: {str(exc).splitlines()[0][:300]}. Allowed: {ALLOWED_FORMS}.",
                field="sql",
            ) from None
        if len(statements) != 1:
            raise _refuse(f"found {len(statements)} statements; multi-statement SQL is not allowed")
        statement = statements[0]
        if isinstance(statement, exp.Command):
            return self._check_command(statement, text)
        if isinstance(statement, exp.Describe):
            if not isinstance(statement.this, exp.Table) or not isinstance(statement.this.this, exp.Identifier):
                raise _refuse("DESCRIBE takes a plain table name, e.g. DESCRIBE flows")
            self._check_tables(statement, set())
            return CheckedSql(statement.sql(dialect="clickhouse"), "describe")
        if not isinstance(statement, exp.Query):
            raise _refuse(f"{statement.key.upper()} statements change data or schema")
        self._check_query(statement)
        return CheckedSql(statement.sql(dialect="clickhouse"), "select")

    def _check_command(self, statement: exp.Command, text: str) -> CheckedSql:
        keyword = str(statement.this).upper()
        normalized = " ".join(text.split())
        if keyword == "SHOW" and _SHOW_FORMS.match(normalized):
            return CheckedSql(normalized, "show")
        raise _refuse(f"'{keyword}' is not a permitted statement")

    def _check_query(self, query: Any) -> None:
        ctes = {cte.alias_or_name for cte in query.find_all(exp.CTE)}
        for node in query.walk():
            if isinstance(node, exp.Query) and (node.args.get("settings") or node.args.get("format")):
                raise _refuse("SETTINGS and FORMAT clauses are not allowed (limits are set by the service)")
            if isinstance(node, exp.Into):
                raise _refuse("INTO OUTFILE / INTO TABLE is not allowed")
            if isinstance(node, (exp.Anonymous, exp.Func)) and _is_denied(_function_name(node)):
                raise _refuse(f"function {_function_name(node)}() {_denial(_function_name(node))}")
        self._check_tables(query, ctes)

    def _check_tables(self, root: Any, ctes: set[str]) -> None:
        for table in root.find_all(exp.Table):
            source = table.this
            if isinstance(source, (exp.Anonymous, exp.Func)):
                name = _function_name(source)
                if name not in SAFE_TABLE_FUNCTIONS:
                    raise _refuse(
                        f"table function {name}() is not allowed (permitted: {', '.join(sorted(SAFE_TABLE_FUNCTIONS))})"
                    )
                continue
            alias = table.args.get("alias")
            if alias is not None and alias.args.get("columns"):
                raise _refuse(f"a column list after table {table.name} is not supported")
            database = table.db.lower() if table.db else ""
            if table.catalog:
                raise _refuse(f"catalog-qualified table {table.sql(dialect='clickhouse')} is not allowed")
            if database in ("", self._database.lower()):
                continue
            if database == "system" and table.name.lower() in ALLOWED_SYSTEM_TABLES:
                continue
            if database == "system":
                raise _refuse(
                    f"system table system.{table.name} describes the server, not the flows (readable system tables: "
                    f"{', '.join(sorted(ALLOWED_SYSTEM_TABLES))}; use SHOW TABLES or DESCRIBE for the schema)"
                )
            if not database and table.name in ctes:
                continue
            raise _refuse(f"table {database}.{table.name} is outside the allowed database '{self._database}'")
