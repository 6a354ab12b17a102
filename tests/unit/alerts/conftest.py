"""chdb-backed fixtures for the alerts core: one chdb path per process, one database per test module."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import clickhouse_connect
import pytest

from netscope_alerts.alerts import AlertRepository
from netscope_alerts.audit import AuditLog
from netscope_alerts.exclusions import ExclusionStore
from netscope_alerts.expected import ExpectedServers
from netscope_alerts.policies import PolicyEngine
from netscope_alerts.schema import ensure_schema
from netscope_alerts.store import Store
from tests.unit.alerts import seed

_INITIALISED = re.compile(r"already initialized with path '([^']+)'")


@pytest.fixture(scope="session")
def chdb_dsn(tmp_path_factory: pytest.TempPathFactory) -> str:
    """This process's chdb DSN: a fresh directory, or the path chdb was already opened with here."""
    path = str(tmp_path_factory.mktemp("alerts-chdb"))
    try:
        clickhouse_connect.get_client(dsn=f"chdb://{path}").close()
    except Exception as exc:
        found = _INITIALISED.search(str(exc))
        if not found:
            raise
        path = found.group(1)
    return f"chdb://{Path(path)}"


class Core:
    """The domain modules over one store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.exclusions = ExclusionStore(store)
        self.alerts = AlertRepository(store, self.exclusions)
        self.policies = PolicyEngine(store, self.alerts)
        self.expected = ExpectedServers(store, self.alerts)
        self.audit = AuditLog(store)


@pytest.fixture(scope="module")
async def core(chdb_dsn: str, request: pytest.FixtureRequest) -> AsyncIterator[Core]:
    """A seeded store in a database of its own (named after the test module)."""
    database = "alerts_" + re.sub(r"\W", "_", request.module.__name__.rsplit(".", 1)[-1])
    bootstrap = clickhouse_connect.get_client(dsn=chdb_dsn)
    bootstrap.command(f"DROP DATABASE IF EXISTS {database}")
    bootstrap.close()
    store = Store(chdb_dsn, database=database)
    await store.open()
    await ensure_schema(store)
    seed.seed(store.client)
    yield Core(store)
    await store.close()
