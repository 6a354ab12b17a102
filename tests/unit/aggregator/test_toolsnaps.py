"""Every tool's input schema and description is recorded in __toolsnaps__/<tool>.json; a change must be recorded.

What assistants see of a tool is its description and input schema. A change to either shows up in review as a
change to a snapshot file. After an intended change, rewrite the snapshots with
`UPDATE_TOOLSNAPS=1 uv run pytest tests/unit/aggregator/test_toolsnaps.py` and commit them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from netscope_aggregator.app import build_mcp
from netscope_aggregator.backends import Backends
from netscope_aggregator.settings import AggregatorSettings

SNAPS = Path(__file__).parent / "__toolsnaps__"
UPDATE = os.environ.get("UPDATE_TOOLSNAPS") == "1"


async def _served() -> dict[str, dict[str, Any]]:
    settings = AggregatorSettings()
    tools = await build_mcp(settings, Backends(settings)).list_tools()
    return {t.name: {"name": t.name, "description": t.description, "inputSchema": t.input_schema} for t in tools}


def _text(snapshot: dict[str, Any]) -> str:
    return json.dumps(snapshot, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


async def test_every_tool_matches_its_snapshot() -> None:
    served = await _served()
    if UPDATE:
        SNAPS.mkdir(exist_ok=True)
        for stale in SNAPS.glob("*.json"):
            if stale.stem not in served:
                stale.unlink()
        for name, snapshot in served.items():
            (SNAPS / f"{name}.json").write_text(_text(snapshot))
    changed = [
        name
        for name, snap in served.items()
        if not (SNAPS / f"{name}.json").is_file() or (SNAPS / f"{name}.json").read_text() != _text(snap)
    ]
    removed = sorted({p.stem for p in SNAPS.glob("*.json")} - set(served))
    if changed or removed:
        pytest.fail(
            f"tool schemas changed without their snapshot: {sorted(changed)}; snapshots of tools no longer "
            f"served: {removed}. Review the change, then run UPDATE_TOOLSNAPS=1 uv run pytest "
            "tests/unit/aggregator/test_toolsnaps.py and commit tests/unit/aggregator/__toolsnaps__"
        )
