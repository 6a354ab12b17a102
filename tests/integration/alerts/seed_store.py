"""Create the alert schema in a chdb directory and load the unit tests' seed (run as its own process).

Usage: python -m tests.integration.alerts.seed_store chdb:///DIR
"""

from __future__ import annotations

import asyncio
import sys

from netscope_alerts.schema import ensure_schema
from netscope_alerts.store import Store
from tests.unit.alerts import seed


async def main(dsn: str) -> None:
    store = Store(dsn)
    await store.open()
    await ensure_schema(store)
    seed.seed(store.client)
    await store.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
