"""The SQL guard refuses every statement of the hostile corpus and admits ordinary analyst SQL."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netscope_common.errors import InvalidArgument
from netscope_flows.sql_guard import ALLOWED_FORMS, SqlGuard
from tests.support.hostile_sql import ALLOWED_SQL, HOSTILE_SQL

GUARD = SqlGuard("default")


def test_corpus_is_large_enough() -> None:
    assert len(HOSTILE_SQL) >= 200


@pytest.mark.parametrize("sql", HOSTILE_SQL)
def test_hostile_sql_is_refused_with_the_allowed_forms(sql: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        GUARD.check(sql)
    assert refused.value.field == "sql"
    assert ALLOWED_FORMS in refused.value.message


@pytest.mark.parametrize("sql", ALLOWED_SQL)
def test_analyst_sql_is_admitted(sql: str) -> None:
    checked = GUARD.check(sql)
    assert GUARD.check(checked.sql) == checked  # what runs is itself one admitted statement


def test_what_runs_is_the_rendering_of_the_checked_tree() -> None:
    checked = GUARD.check("select /* note */ count(*) from flows;")
    assert checked.sql.upper().startswith("/* NOTE */ SELECT COUNT(")
    assert checked.kind == "select"


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT 1; SELECT 2", "found 2 statements"),
        ("DROP TABLE flows", "DROP statements change data or schema"),
        ("SELECT * FROM remote('h', db.t)", "function remote() reaches files"),
        ("SELECT sleepEachRow(3) FROM numbers(10)", "function sleepeachrow() holds the query (it sleeps)"),
        ("SELECT throwIf(1)", "function throwif() fails the query on purpose"),
        ("SELECT filesystemAvailable()", "function filesystemavailable() exposes the server's disks"),
        ("SELECT * FROM system.users", "system table system.users describes the server"),
        ("SELECT * FROM system.functions", "readable system tables: numbers, numbers_mt, one, zeros, zeros_mt"),
        ("SELECT 1 SETTINGS readonly = 0", "SETTINGS and FORMAT clauses are not allowed"),
        ("SELEC 1", "SQL could not be parsed"),
        ("SHOW GRANTS", "'SHOW' is not a permitted statement"),
    ],
)
def test_refusals_say_what_was_wrong(sql: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message.replace("(", r"\(").replace(")", r"\)")):
        GUARD.check(sql)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_is_refused_or_rendered_as_one_statement(text: str) -> None:
    try:
        checked = GUARD.check(text)
    except InvalidArgument as refused:
        assert refused.message
        return
    assert checked.kind in {"select", "show", "describe", "explain"}
