"""The small scenario world both backends are loaded with (≤ 5k flows: osmem indexes about 1.2k docs/s).

Usage (chdb allows one data path per process, so this runs as its own process):
    python -m tests.integration.flows_elastic.world chdb:///DIR [END [HOURS]]   (END: ISO time the world ends at)
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
FLOWS_PER_HOUR = 40


def small_world(end: datetime = END, hours: float = HOURS) -> World:
    """The test world (deterministic: same arguments, same flows)."""
    return build_world(SEED, hours, end, FLOWS_PER_HOUR)


if __name__ == "__main__":
    client = clickhouse_connect.get_client(dsn=sys.argv[1])
    ending = datetime.fromisoformat(sys.argv[2]) if len(sys.argv) > 2 else END
    hours = float(sys.argv[3]) if len(sys.argv) > 3 else HOURS
    print(json.dumps(load_clickhouse(client, small_world(ending, hours))))
