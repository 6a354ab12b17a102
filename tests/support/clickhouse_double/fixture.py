"""Start the test double as a process over a chdb directory, with the two users netscope needs."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.processes import free_port, running, wait_http_ok

# The two ClickHouse users of docs/operations.md: a reader whose profile is readonly=2 and a writer.
READER = {"name": "netscope_reader", "password": "reader-secret", "readonly": 2}
WRITER = {"name": "netscope_writer", "password": "writer-secret", "readonly": 0}


@dataclass(frozen=True)
class Double:
    """A running double: where it listens."""

    host: str
    port: int


@contextmanager
def running_double(data_dir: Path, log_dir: Path, users: list[dict[str, object]] | None = None) -> Iterator[Double]:
    """Serve `data_dir` (a chdb directory no other process holds) over ClickHouse's HTTP interface."""
    spec = {str(u["name"]): {k: v for k, v in u.items() if k != "name"} for u in (users or [READER, WRITER])}
    users_file = log_dir / "double-users.json"
    log_dir.mkdir(parents=True, exist_ok=True)
    users_file.write_text(json.dumps(spec))
    port = free_port()
    args = [sys.executable, "-m", "tests.support.clickhouse_double", str(data_dir), str(port), str(users_file)]
    with running("clickhouse-double", args, {}, log_dir) as process:
        wait_http_ok(f"http://127.0.0.1:{port}/ping", timeout=60, process=process)
        yield Double("127.0.0.1", port)


def flows_env(double: Double, *, writer: bool = True) -> dict[str, str]:
    """Flows settings for the double: the readonly=2 reader, the writer unless `writer` is False, one lane."""
    env = {
        "NETSCOPE_FLOWS_DSN": "",
        "NETSCOPE_FLOWS_CH_HOST": double.host,
        "NETSCOPE_FLOWS_CH_PORT": str(double.port),
        "NETSCOPE_FLOWS_CH_DATABASE": "default",
        "NETSCOPE_FLOWS_CH_USER": str(READER["name"]),
        "NETSCOPE_FLOWS_CH_PASSWORD": str(READER["password"]),
        "NETSCOPE_FLOWS_SQL_CONCURRENCY": "1",  # the double runs one query at a time (chdb's limit)
    }
    if writer:
        env["NETSCOPE_FLOWS_CH_WRITER_USER"] = str(WRITER["name"])
        env["NETSCOPE_FLOWS_CH_WRITER_PASSWORD"] = str(WRITER["password"])
    return env
