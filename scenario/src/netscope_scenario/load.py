"""Bulk-load the world's ntopng tables into ClickHouse (a chdb DSN `chdb:///path` or a server)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from netscope_ntopng.schema import (
    ALERT_TABLES,
    FLOW_ALERTS_VIEW_DDL,
    alert_columns,
    alert_table_ddl,
    flows_ddl,
)
from netscope_scenario.render import ntopng_alerts, ntopng_flows
from netscope_scenario.world import World

FLOWS_FILE = Path("ntopng") / "flows.parquet"
ALERTS_DIR = Path("ntopng") / "alerts"


def create_tables(client: Any) -> None:
    """Create ntopng's flows table, alert tables and flow_alerts_view if they do not exist."""
    client.command(flows_ddl())
    for table in ALERT_TABLES:
        client.command(alert_table_ddl(table))
    client.command(FLOW_ALERTS_VIEW_DDL)


def load_clickhouse(
    client: Any,
    source: World | str | Path,
    *,
    batch_size: int = 100_000,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Create the ntopng tables and insert the world's flows and alerts; returns rows inserted per table.

    `source` is a World (rendered on the fly) or a directory written by `generate`. `progress` is called with
    the number of flow rows inserted by each batch.
    """
    create_tables(client)
    counts: dict[str, int] = {"flows": 0}
    if isinstance(source, World):
        for batch in ntopng_flows.column_batches(source, size=batch_size):
            table = ntopng_flows.to_arrow(batch)
            client.insert_arrow("flows", table)
            counts["flows"] += table.num_rows
            if progress:
                progress(table.num_rows)
        alerts = ntopng_alerts.alert_rows(source)
    else:
        root = Path(source)
        flows_path = root / FLOWS_FILE
        if not flows_path.is_file():
            raise FileNotFoundError(
                f"{flows_path} not found: point --from at a directory written by 'scenario generate'"
            )
        parquet = pq.ParquetFile(flows_path)
        for i in range(parquet.num_row_groups):
            table = parquet.read_row_group(i)
            client.insert_arrow("flows", table)
            counts["flows"] += table.num_rows
            if progress:
                progress(table.num_rows)
        alerts = read_alerts(root)
    for table, rows in alerts.items():
        if rows:
            cols = [name for name, _ in alert_columns(table)]
            client.insert(table, [[row[c] for c in cols] for row in rows], column_names=cols)
        counts[table] = len(rows)
    return counts


def read_alerts(root: Path) -> dict[str, list[dict[str, object]]]:
    """Alert rows from `<root>/ntopng/alerts/<table>.jsonl` (missing files mean no alerts)."""
    out: dict[str, list[dict[str, object]]] = {}
    for table in ALERT_TABLES:
        path = root / ALERTS_DIR / f"{table}.jsonl"
        out[table] = [json.loads(line) for line in path.read_text().splitlines()] if path.is_file() else []
    return out
