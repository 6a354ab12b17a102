"""Any JSON, admitted by a tool's schema or not, gets a result or a clear tool error — never a crash or a hang."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.conftest import ADMIN_TOKEN, Stack, mcp_session

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=8,
)


async def _tools(url: str) -> dict[str, list[str]]:
    async with mcp_session(url, ADMIN_TOKEN) as session:
        return {t.name: list(t.input_schema.get("properties", {})) for t in (await session.list_tools()).tools}


async def _call_all(url: str, calls: list[tuple[str, dict[str, Any]]]) -> list[tuple[bool, str]]:
    out = []
    async with mcp_session(url, ADMIN_TOKEN) as session:
        for name, arguments in calls:
            result = await asyncio.wait_for(session.call_tool(name, arguments), 30)
            text = " ".join(getattr(c, "text", "") for c in result.content)
            out.append((bool(result.is_error), text))
    return out


def test_fuzzed_arguments_never_break_a_tool(stack: Stack) -> None:
    tools = asyncio.run(_tools(stack.mcp_url))
    names = sorted(tools)

    @st.composite
    def call(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
        name = draw(st.sampled_from(names))
        keys = st.sampled_from(tools[name]) if tools[name] else st.text(max_size=8)
        arguments = draw(st.dictionaries(keys | st.text(max_size=8), JSON, max_size=4))
        return name, arguments

    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(call(), min_size=10, max_size=10))
    def run(calls: list[tuple[str, dict[str, Any]]]) -> None:
        for (name, arguments), (is_error, text) in zip(
            calls, asyncio.run(_call_all(stack.mcp_url, calls)), strict=True
        ):
            if is_error:
                assert text.strip(), name
                assert "Traceback" not in text, name
                assert text.strip() != f"Error executing tool {name}", (name, arguments)  # an unexpected crash

    run()
    assert httpx.get(f"{stack.base_url}/healthz").status_code == 200
    assert stack.flows.popen.poll() is None and stack.aggregator.popen.poll() is None
