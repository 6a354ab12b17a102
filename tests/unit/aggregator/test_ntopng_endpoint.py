"""ntopng's MCP path: server-info GET, JSON-RPC 401, the `?ifid=` hint (shapes from ntopng's mcp.lua, see
tests/compat/upstream/ntopng_llm_tools.json `endpoint`)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from netscope_aggregator.app import build_app
from netscope_aggregator.ntopng_endpoint import NTOPNG_MCP_PATH, interface_hint
from netscope_aggregator.settings import AggregatorSettings

UPSTREAM = json.loads((Path(__file__).parents[2] / "compat/upstream/ntopng_llm_tools.json").read_text())["endpoint"]


@pytest.fixture
def client() -> httpx.AsyncClient:
    settings = AggregatorSettings(tokens=SecretStr("reader:read:read-token-123,root:admin:admin-token-123"))
    app = build_app(settings)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app.state.guarded), base_url="http://127.0.0.1")


@pytest.mark.parametrize("scheme", ["Token", "Bearer"])
async def test_get_answers_ntopng_server_info(client: httpx.AsyncClient, scheme: str) -> None:
    async with client:
        reply = await client.get(f"{NTOPNG_MCP_PATH}?ifid=0", headers={"Authorization": f"{scheme} admin-token-123"})
        reader = await client.get(NTOPNG_MCP_PATH, headers={"Authorization": f"{scheme} read-token-123"})
    assert reply.status_code == UPSTREAM["get"]["status"]
    info = reply.json()
    assert set(UPSTREAM["get"]["answer"]) <= set(info)
    assert (info["server"], info["protocol"], info["authenticated_as"]) == ("ntopng-mcp", "2025-03-26", "root")
    # The reader sees fewer tools than the admin: the count is what this token may call.
    assert 0 < reader.json()["tools_available"] < info["tools_available"]


@pytest.mark.parametrize("header", [{}, {"Authorization": "Token wrong-token-000"}])
async def test_missing_or_wrong_token_is_ntopng_jsonrpc_401(client: httpx.AsyncClient, header: dict[str, str]) -> None:
    async with client:
        reply = await client.post(NTOPNG_MCP_PATH, json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers=header)
    expected = UPSTREAM["auth"]["unauthenticated"]
    assert reply.status_code == expected["http_status"]
    body = reply.json()
    assert body["id"] is None
    assert body["error"]["code"] == expected["jsonrpc_error"]["code"]
    assert "Token" in body["error"]["message"]


@pytest.mark.parametrize(("query", "ifid"), [(b"ifid=2", 2), (b"", None), (b"ifid=x", None), (b"ifid=-1", None)])
def test_interface_hint(query: bytes, ifid: int | None) -> None:
    assert interface_hint(query) == ifid
