"""The playbook prompts name tools that exist, and the calls they spell out validate against those tools."""

from __future__ import annotations

import json
import re

from netscope_aggregator.app import build_mcp
from netscope_aggregator.backends import Backends
from netscope_aggregator.sdk_adapter import check_arguments
from netscope_aggregator.settings import AggregatorSettings

CALL = re.compile(r"\b([a-z][a-z0-9_\-]+) (\{.*?\})(?=[ .,\n])")


async def test_every_call_spelled_out_in_a_prompt_is_valid() -> None:
    settings = AggregatorSettings()
    mcp = build_mcp(settings, Backends(settings))
    calls = []
    for prompt in await mcp.list_prompts():
        rendered = await mcp.get_prompt(prompt.name, {})
        text = " ".join(str(getattr(m.content, "text", "")) for m in rendered.messages)
        calls += [(prompt.name, name, arguments) for name, arguments in CALL.findall(text)]
    assert len(calls) >= 3
    for prompt_name, tool_name, arguments in calls:
        tool = mcp.catalog.tools.get(tool_name)
        assert tool is not None, f"prompt {prompt_name} names {tool_name}, which is not a tool"
        assert check_arguments(tool, json.loads(arguments)) is None, (prompt_name, tool_name, arguments)
