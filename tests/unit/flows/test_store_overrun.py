"""An assistant statement the embedded engine runs past its limit: answered at the limit, waited for by the next.

chdb cannot stop a running query, so the store answers its caller and keeps the engine counted as busy; the next
statement's clock starts when the engine is free (else its time would go to the one before and it would overrun
too). The engine is replaced here by a blocking read, the one way to make an overrun happen on demand.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from netscope_common.errors import DeadlineExceeded
from netscope_flows.settings import FlowsSettings
from netscope_flows.store import ClickHouseStore, QueryResult


class SlowEngine:
    """A read that blocks until released (the overrunning statement), then answers every read at once."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started: list[tuple[str, float]] = []

    def read(
        self, sql: str, parameters: Mapping[str, Any] | None, limits: Mapping[str, Any] | None = None
    ) -> QueryResult:
        self.started.append((sql, time.monotonic()))
        if sql == "overrun":
            self.release.wait(10)
        return QueryResult(["n"], ["UInt8"], [(1,)], 1, 0.0)


async def _opened() -> None:
    return None


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[ClickHouseStore, SlowEngine]:
    settings = FlowsSettings.model_validate({"dsn": f"chdb://{tmp_path}", "sql_time_limit_seconds": 0.2})
    store, slow = ClickHouseStore(settings), SlowEngine()
    monkeypatch.setattr(store, "open", _opened)
    monkeypatch.setattr(store, "_read", slow.read)
    monkeypatch.setattr(store, "engine_grace_seconds", 0.1)
    return store, slow


async def test_the_caller_is_answered_and_the_next_statement_waits_for_the_engine(
    engine: tuple[ClickHouseStore, SlowEngine],
) -> None:
    store, slow = engine
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded, match=r"query cut at its time limit of 0\.2 s"):
        await store.read_untrusted("overrun")
    assert time.monotonic() - started < 5  # answered at the limit and its grace, not when the engine ends (10 s)
    assert store.overrunning
    following = asyncio.ensure_future(store.read_untrusted("next"))
    await asyncio.sleep(0.5)
    assert [sql for sql, _ in slow.started] == ["overrun"]  # not started behind the busy engine
    freed = time.monotonic()
    slow.release.set()
    assert (await following).rows == [(1,)]  # its own limit counted from when the engine was free
    assert slow.started[-1][0] == "next" and slow.started[-1][1] >= freed
    assert not store.overrunning
    await store.close()
