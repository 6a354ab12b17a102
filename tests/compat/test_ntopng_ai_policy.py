"""create_ai_policy as seeds 001/002 describe it: a natural-language description turned into one structured rule by
the client's model through MCP sampling, shown in the dry-run preview, created only on confirmation. The client's
model is outside netscope; here the official client's sampling callback answers for it, and the test checks what
netscope asked and what it did with the answer."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CreateMessageRequestParams, CreateMessageResult, TextContent

from tests.compat.conftest import TOKEN
from tests.compat.test_ntopng_embedded_mcp import content, ntopng_url
from tests.support.demo import Demo
from tests.support.stack import mcp_session

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

DESCRIPTION = "Raise an error when any host of 10.1.0.0/16 talks to Russia or North Korea"
DRAFT = {
    "name": "lan-to-ru-kp",
    "rule": "host_country",
    "severity": "error",
    "host_cidrs": ["10.1.0.0/16"],
    "countries": ["RU", "KP"],
}


async def test_a_description_becomes_a_rule_the_user_confirms(demo: Demo) -> None:
    asked: list[CreateMessageRequestParams] = []

    async def model(context: Any, params: CreateMessageRequestParams) -> CreateMessageResult:
        asked.append(params)
        return CreateMessageResult(
            role="assistant", content=TextContent(type="text", text=json.dumps(DRAFT)), model="client-model"
        )

    http = httpx2.AsyncClient(headers={"Authorization": f"Token {TOKEN}"}, timeout=60)
    async with (
        http,
        streamable_http_client(ntopng_url(demo), http_client=http) as (read, write),
        ClientSession(read, write, sampling_callback=model) as session,
    ):
        await session.initialize()
        # Created disabled: the shared demo's alerts stay as the other tests expect them.
        preview = await content(session, "create_ai_policy", {"description": DESCRIPTION, "enabled": False})
        assert preview["status"] == "confirmation_required", preview
        # The description went to the model with the rule schema; the draft is in the dry-run preview.
        assert asked and DESCRIPTION in asked[0].messages[0].content.text  # type: ignore[union-attr]
        assert "host_country" in (asked[0].system_prompt or "")
        assert "lan-to-ru-kp" in preview["preview"] and "would have raised" in preview["preview"]
        fields = {**DRAFT, "description": DESCRIPTION, "enabled": False, "confirm_id": preview["confirm_id"]}
        done = await content(session, "create_ai_policy", fields)
        policies = await session.call_tool("list_alert_policies", {})
    assert done["status"] == "done" and done["result"]["created"]
    assert not policies.is_error and "lan-to-ru-kp" in json.dumps(policies.structured_content)


async def test_a_draft_that_does_not_validate_is_refused_with_the_fields(demo: Demo) -> None:
    async def model(context: Any, params: CreateMessageRequestParams) -> CreateMessageResult:
        bad = {"name": "x", "rule": "dns_tunnel"}
        return CreateMessageResult(role="assistant", content=TextContent(type="text", text=json.dumps(bad)), model="m")

    http = httpx2.AsyncClient(headers={"Authorization": f"Token {TOKEN}"}, timeout=60)
    async with (
        http,
        streamable_http_client(ntopng_url(demo), http_client=http) as (read, write),
        ClientSession(read, write, sampling_callback=model) as session,
    ):
        await session.initialize()
        result = await session.call_tool("create_ai_policy", {"content": json.dumps({"description": DESCRIPTION})})
    assert result.is_error
    text = result.content[0].text  # type: ignore[union-attr]
    assert "does not validate" in text and "rule" in text and "host_country" in text


async def test_a_client_without_sampling_is_told_the_structured_fields(demo: Demo) -> None:
    async with mcp_session(ntopng_url(demo), TOKEN) as session:
        result = await session.call_tool("create_ai_policy", {"description": DESCRIPTION})
    assert result.is_error
    text = result.content[0].text  # type: ignore[union-attr]
    assert "does not offer" in text and "sampling" in text
    assert all(field in text for field in ("name", "rule", "host_cidrs", "countries", "min_bytes", "alert_type"))
