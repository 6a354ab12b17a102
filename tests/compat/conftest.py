"""The upstream call shapes the contract tests send, and the shared demo's ground truth."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import mcp_session
from tests.support.demo import DEMO_TOKEN, Demo

UPSTREAM = Path(__file__).parent / "upstream"
TOKEN = DEMO_TOKEN


def upstream(name: str) -> dict[str, Any]:
    """One upstream shapes file (tests/compat/upstream/README.md describes them)."""
    return json.loads((UPSTREAM / name).read_text())


def resolved(call: dict[str, Any], now: int | None = None) -> dict[str, Any]:
    """An example call's arguments with its relative epochs made absolute (offsets from now)."""
    now = int(time.time()) if now is None else now
    arguments = dict(call["arguments"])
    for name in call.get("relative_epochs", ()):
        arguments[name] = now + int(arguments[name])
    return arguments


async def call(demo: Demo, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """One tool call over MCP as the demo's admin; its structured answer (a tool error fails the test)."""
    async with mcp_session(demo.url, TOKEN) as session:
        answer = await session.call_tool(tool, arguments)
    assert not answer.is_error, answer.content
    assert answer.structured_content is not None
    return answer.structured_content


@pytest.fixture(scope="session")
def truth(demo: Demo, demo_dir: Path) -> dict[str, Any]:
    """The shared demo's scenario ground truth (the demo fixture is in tests/conftest.py)."""
    return json.loads((demo_dir / "scenario" / "ground_truth.json").read_text())
