"""Load the scenario world into a chdb directory (run as its own process: chdb allows one data path per process).

Usage: python -m tests.integration.flows.load_world chdb:///DIR
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

import clickhouse_connect

from netscope_scenario.load import load_clickhouse
from netscope_scenario.world import World, build_world

SEED = 7
HOURS = 24.0
END = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
FLOWS_PER_HOUR = 2_000


def world() -> World:
    """The test world (deterministic: same arguments, same flows)."""
    return build_world(SEED, HOURS, END, FLOWS_PER_HOUR)


def main(dsn: str) -> None:
    """Create ntopng's tables in `dsn` and load the world's flows and alerts."""
    client = clickhouse_connect.get_client(dsn=dsn)
    print(json.dumps(load_clickhouse(client, world())))


if __name__ == "__main__":
    main(sys.argv[1])
