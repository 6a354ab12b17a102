"""Secrets stay out of the logs of every process the test session started.

(Killing services under load and restarting them: test_kill_each_service.py, which covers each service.)
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.stack import ADMIN_TOKEN, READ_TOKEN, Stack, mcp_session

pytestmark = pytest.mark.integration

WRONG_TOKEN = "wrong-token-must-not-be-logged-0123"


async def test_tokens_never_reach_the_logs(stack: Stack, tmp_path: Path) -> None:
    """After calls with every token (and a refused one), no log of this pytest run holds a token."""
    for token in (READ_TOKEN, ADMIN_TOKEN):
        async with mcp_session(stack.mcp_url, token) as session:
            answer = await session.call_tool("query_ntopng_database", {"query": "SELECT count() FROM flows"})
            assert not answer.is_error, answer.content
            refused = await session.call_tool("add_host_alert_exclusion", {"value": "10.0.0.1"})
            assert refused.content
    refused_http = httpx.post(stack.mcp_url, headers={"Authorization": f"Token {WRONG_TOKEN}"}, json={})
    assert refused_http.status_code == 401
    logs = set(tmp_path.parent.glob("**/*.log"))  # every process this pytest session started
    assert any("aggregator" in path.name for path in logs), sorted(p.name for p in logs)
    for path in logs:
        text = path.read_text(errors="replace")
        for token in (READ_TOKEN, ADMIN_TOKEN, WRONG_TOKEN):
            assert token not in text, (path, token[:6])
