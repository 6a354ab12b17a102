"""The test double enforces what ClickHouse documents, through clickhouse-connect's real HTTP client.

Each test names the documented rule it checks (the pages are listed in tests/support/clickhouse_double/rules.py).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import clickhouse_connect
import pytest
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import DatabaseError, ProgrammingError

from tests.support.clickhouse_double.fixture import Double, running_double

pytestmark = pytest.mark.integration

USERS: list[dict[str, object]] = [
    {"name": "admin", "password": "a", "readonly": 0},
    {"name": "reader", "password": "r", "readonly": 2},
    {"name": "strict", "password": "s", "readonly": 1},
]
RUNAWAY = "SELECT count() FROM numbers(1000000000000)"


@pytest.fixture(scope="module")
def double(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Double]:
    root = tmp_path_factory.mktemp("double")
    with running_double(root / "db", root / "logs", USERS) as running:
        admin = _client(running, "admin", "a")
        admin.command("CREATE TABLE IF NOT EXISTS t (a UInt64) ENGINE = MergeTree ORDER BY a")
        admin.insert("t", [[1], [2], [3]], column_names=["a"])
        yield running


def _client(double: Double, user: str, password: str, **kwargs: object) -> Client:
    options: dict[str, object] = {"autogenerate_session_id": False, **kwargs}
    return clickhouse_connect.get_client(
        host=double.host, port=double.port, username=user, password=password, **options
    )


def _code(exc: BaseException) -> int:
    text = str(exc)
    return int(text.split("Code: ", 1)[1].split(".", 1)[0])


def test_readonly_levels_refuse_writes_and_ddl(double: Double) -> None:
    """permissions-for-queries: readonly=1 and readonly=2 allow read queries only (READONLY, code 164)."""
    for user, password in (("reader", "r"), ("strict", "s")):
        client = _client(double, user, password)
        assert client.query("SELECT sum(a) FROM t").result_rows == [(6,)]
        for statement in ("INSERT INTO t VALUES (9)", "DROP TABLE t", "ALTER TABLE t DELETE WHERE 1"):
            with pytest.raises(DatabaseError) as refused:
                client.command(statement)
            assert _code(refused.value) == 164, (user, statement)
    assert _client(double, "admin", "a").query("SELECT count() FROM t").result_rows == [(3,)]


def test_readonly_2_may_change_settings_readonly_1_may_not(double: Double) -> None:
    """permissions-for-queries: readonly=2 allows changing settings; readonly=1 prohibits it."""
    reader = _client(double, "reader", "r")
    assert reader.query("SELECT 1", settings={"max_execution_time": 7}).result_rows == [(1,)]
    strict = _client(double, "strict", "s")
    # clickhouse-connect reads system.settings as this user: every setting is read-only for it
    with pytest.raises(ProgrammingError, match="max_execution_time is readonly"):
        strict.query("SELECT 1", settings={"max_execution_time": 7})


def test_readonly_2_cannot_lift_readonly(double: Double) -> None:
    """permissions-for-queries: a read-only user cannot change `readonly` in its session."""
    reader = _client(double, "reader", "r", session_id=f"s-{uuid.uuid4()}")
    with pytest.raises(DatabaseError) as refused:
        reader.command("SET readonly = 0")
    assert _code(refused.value) == 164


def test_a_session_runs_one_query_at_a_time(double: Double) -> None:
    """HTTP interface: a second query in a busy session fails with SESSION_IS_LOCKED (code 373)."""
    session = f"s-{uuid.uuid4()}"
    first = _client(double, "admin", "a", session_id=session)
    second = _client(double, "admin", "a", session_id=session)  # another client, same session id
    started = threading.Event()
    outcome: list[BaseException] = []

    def runaway() -> None:
        started.set()
        while not outcome:
            try:
                first.query(RUNAWAY, settings={"max_execution_time": 3})
            except DatabaseError as exc:
                if _code(exc) != 373:  # lost the race for the session to the other client: try again
                    outcome.append(exc)

    thread = threading.Thread(target=runaway)
    thread.start()
    started.wait(10)
    with pytest.raises(DatabaseError) as locked:
        while thread.is_alive():  # the first query holds the session for up to 3 s
            second.query("SELECT 1")
    thread.join(30)
    assert _code(locked.value) == 373
    assert "locked by a concurrent client" in str(locked.value)
    assert outcome and _code(outcome[0]) == 159


def test_session_settings_persist_and_sessionless_requests_do_not_share_them(double: Double) -> None:
    """HTTP interface: settings set with SET persist in the named session only."""
    session = f"s-{uuid.uuid4()}"
    client = _client(double, "admin", "a", session_id=session)
    client.command("SET max_threads = 3")
    assert client.query("SELECT getSetting('max_threads')").result_rows == [(3,)]
    other = _client(double, "admin", "a")
    assert other.query("SELECT getSetting('max_threads')").result_rows != [(3,)]


def test_max_execution_time_is_the_engines(double: Double) -> None:
    """settings: max_execution_time ends the query with TIMEOUT_EXCEEDED (code 159)."""
    with pytest.raises(DatabaseError) as cut:
        _client(double, "reader", "r").query(RUNAWAY, settings={"max_execution_time": 1})
    assert _code(cut.value) == 159


def test_kill_query_by_id_and_readonly_users_only_their_own(double: Double) -> None:
    """KILL QUERY: runs whatever readonly is; read-only users stop only their own queries; the stopped query
    answers QUERY_WAS_CANCELLED (code 394)."""
    query_id = f"q-{uuid.uuid4()}"
    owner = _client(double, "reader", "r")
    strict = _client(double, "strict", "s")  # before the runaway: the double's engine runs one query at a time
    outcome: list[BaseException] = []

    def runaway() -> None:
        try:
            owner.query(RUNAWAY, settings={"max_execution_time": 3, "query_id": query_id})
        except DatabaseError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=runaway)
    thread.start()
    killed = ""
    while thread.is_alive():  # until the query is registered
        assert not strict.command(f"KILL QUERY WHERE query_id = '{query_id}'")  # not strict's own: untouched
        killed = str(owner.command(f"KILL QUERY WHERE query_id = '{query_id}' ASYNC"))
        if query_id in killed:
            break
    thread.join(30)
    assert query_id in killed
    assert outcome and _code(outcome[0]) == 394


def test_a_running_query_id_cannot_be_reused(double: Double) -> None:
    """HTTP interface: query_id names one running query (QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING, code 216)."""
    query_id = f"q-{uuid.uuid4()}"
    first = _client(double, "admin", "a")
    second = _client(double, "admin", "a")

    def runaway() -> None:
        while True:
            try:
                first.query(RUNAWAY, settings={"max_execution_time": 2, "query_id": query_id})
                return
            except DatabaseError as exc:
                if _code(exc) != 216:  # not the race lost to the other client's use of the id: cut at 2 s
                    return

    thread = threading.Thread(target=runaway)
    thread.start()
    with pytest.raises(DatabaseError) as duplicate:
        while thread.is_alive():
            second.query("SELECT 1", settings={"query_id": query_id})
    thread.join(30)
    assert _code(duplicate.value) == 216


def test_unknown_user_is_refused(double: Double) -> None:
    """HTTP interface: a wrong password fails authentication (AUTHENTICATION_FAILED, code 516)."""
    with pytest.raises(DatabaseError) as refused:
        _client(double, "reader", "wrong")
    assert _code(refused.value) == 516
