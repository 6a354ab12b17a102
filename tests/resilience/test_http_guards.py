"""The HTTP transport's guards: Host/Origin validation, body size limit, per-token rate limit.

Over the limit, a tool call gets a tool error naming the limit and when to retry (the official client keeps its
session); any other request gets HTTP 429 with Retry-After.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.processes import NETSCOPE, free_port, running, wait_http_ok
from tests.support.stack import ADMIN_TOKEN, READ_TOKEN, mcp_session

pytestmark = pytest.mark.integration
BODY = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
HEADERS = {
    "Accept": "application/json, text/event-stream",
    "Content-Type": "application/json",
    "Authorization": f"Bearer {ADMIN_TOKEN}",
}


@pytest.fixture(scope="module")
def guarded_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An aggregator with a small body limit and rate limit (no services behind it)."""
    port = free_port()
    env = {
        "NETSCOPE_AGGREGATOR_PORT": str(port),
        "NETSCOPE_AGGREGATOR_TOKENS": f"root:admin:{ADMIN_TOKEN},reader:read:{READ_TOKEN}",
        "NETSCOPE_AGGREGATOR_MAX_BODY_BYTES": "4096",
        "NETSCOPE_AGGREGATOR_RATE_LIMIT_PER_MINUTE": "8",
    }
    logs: Path = tmp_path_factory.mktemp("guards")
    with running("aggregator-guards", [*NETSCOPE, "serve", "aggregator"], env, logs) as aggregator:
        wait_http_ok(f"http://127.0.0.1:{port}/healthz", process=aggregator)
        yield f"http://127.0.0.1:{port}/mcp/"


def test_foreign_host_and_origin_are_refused(guarded_url: str) -> None:
    assert httpx.post(guarded_url, json=BODY, headers={**HEADERS, "Host": "evil.example:80"}).status_code == 421
    origin = httpx.post(guarded_url, json=BODY, headers={**HEADERS, "Origin": "http://evil.example"})
    assert origin.status_code == 403


def test_oversized_body_is_refused_before_parsing(guarded_url: str) -> None:
    big = {**BODY, "params": {"padding": "x" * 10_000}}
    reply = httpx.post(guarded_url, json=big, headers=HEADERS)
    assert reply.status_code == 413
    assert "larger than 4096 bytes" in reply.json()["error"]


def test_rate_limit_per_token_says_when_to_retry(guarded_url: str) -> None:
    codes = [httpx.post(guarded_url, json=BODY, headers=HEADERS).status_code for _ in range(12)]
    assert 429 in codes
    limited = httpx.post(guarded_url, json=BODY, headers=HEADERS)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 8  # one call comes back every 60/8 s
    assert "token 'root' may make 8 calls per minute" in limited.json()["error"]


async def test_a_tool_call_over_the_limit_is_a_tool_error_and_the_session_lives_on(guarded_url: str) -> None:
    async with mcp_session(guarded_url, READ_TOKEN) as session:  # initialize + initialized: 2 of the 8 calls
        answers = [await session.call_tool("search_docs", {"query": "rate limit"}) for _ in range(8)]
        assert not answers[0].is_error, answers[0].content
        refused = [answer for answer in answers if answer.is_error]
        assert refused, "8 tool calls after the handshake stay under a limit of 8 per minute"
        text = refused[-1].content[0].text
        assert text.startswith("rate limit reached: token 'reader' may make 8 calls per minute")
        assert float(text.rsplit("retry in ", 1)[1].removesuffix(" s")) > 0
    metrics = httpx.get(guarded_url.replace("/mcp/", "/metrics")).text
    assert "netscope_rate_limit_per_minute 8.0" in metrics
    assert 'netscope_rate_limited_total{answer="tool_error",token="reader"}' in metrics
