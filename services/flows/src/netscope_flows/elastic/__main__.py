"""Index a scenario's ECS documents into the configured cluster.

Usage: python -m netscope_flows.elastic DIR   (DIR holds ecs/logs-netflow-*.ndjson.gz, as `netscope scenario
generate` writes them; the cluster comes from NETSCOPE_FLOWS_ES_* / ES_* variables)
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from netscope_common.settings import load_settings
from netscope_flows.elastic.loader import load_ecs
from netscope_flows.elastic.transport import make_client
from netscope_flows.settings import FlowsSettings


async def _load(directory: Path) -> int:
    client = make_client(load_settings(FlowsSettings, "flows"))
    try:
        return await load_ecs(client, directory)
    finally:
        await client.close()


def main(argv: list[str]) -> int:
    """Load DIR; prints how many documents were indexed."""
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        print(f"indexed {asyncio.run(_load(Path(argv[0])))} documents")
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
