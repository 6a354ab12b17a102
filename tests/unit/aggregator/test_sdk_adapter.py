"""sdk_adapter is the one place relying on the mcp SDK's server members; these tests fail loudly when they change.

The first test names every SDK member the adapter uses (checked against mcp 2.3.0). The others drive a small
catalog through the official in-process client: tools/list filtering, refusals, the caller of a call, argument
errors from the SDK's one validation, and the byte cap.
"""

from __future__ import annotations

import inspect
import json
from importlib.metadata import version
from typing import Annotated, Any

import pytest
from mcp import Client
from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import FuncMetadata
from pydantic import Field, ValidationError

from netscope_aggregator.auth import Principal, Role
from netscope_aggregator.caller import caller_name
from netscope_aggregator.catalog import Catalog
from netscope_aggregator.declare import composite
from netscope_aggregator.sdk_adapter import SDK_VERSION_CHECKED, NetscopeServer, check_arguments


def test_the_sdk_members_the_adapter_uses_are_there() -> None:
    """When this fails, read sdk_adapter.py against the new SDK before changing SDK_VERSION_CHECKED."""
    assert version("mcp") == SDK_VERSION_CHECKED, "mcp changed version: re-check sdk_adapter.py, then bump"
    init = inspect.signature(MCPServer.__init__).parameters
    assert {"tools", "middleware"} <= set(init)
    assert list(inspect.signature(MCPServer.call_tool).parameters) == ["self", "name", "arguments", "context"]
    assert {"fn_metadata", "parameters", "name"} <= set(Tool.model_fields)
    assert callable(Tool.from_function) and {"arg_model", "wrap_output"} <= set(FuncMetadata.model_fields)
    assert callable(FuncMetadata.validate_arguments)
    assert {"method", "request", "params"} <= {f for f in ServerRequestContext.__dataclass_fields__}


async def test_the_sdk_reports_invalid_arguments_as_a_tool_error_caused_by_validation() -> None:
    """call_tool turns this (the call's only validation) into a message naming what the tool takes."""
    catalog = _catalog(Role.READ)
    tool = catalog.tools["rows"]
    with pytest.raises(ToolError) as raised:
        await tool.run({"count": 1, "colour": "red"}, context=None)  # type: ignore[arg-type]
    assert isinstance(raised.value.__cause__, ValidationError)


def _catalog(role: Role) -> Catalog:
    catalog = Catalog(toolsets="all", read_only=False, stdio_principal=Principal("desk", role))

    async def rows(count: Annotated[int, Field(ge=1, le=5000)] = 3) -> dict[str, Any]:
        return {"rows": [[i, "x" * 40] for i in range(count)], "row_count": count, "truncated": False}

    async def whoami() -> str:
        return caller_name()

    async def wipe() -> str:
        return "wiped"

    catalog.declare(
        composite(rows, name="rows", description="Numbered rows.", toolsets=("flows",), rpcs=()),
        composite(whoami, name="whoami", description="The caller.", toolsets=("admin",), rpcs=()),
        composite(
            wipe, name="wipe", description="A write.", toolsets=("admin",), rpcs=(), role=Role.ADMIN, writes=True
        ),
    )
    return catalog


def _server(role: Role = Role.READ, cap: int = 64 * 1024) -> NetscopeServer:
    return NetscopeServer(_catalog(role), max_answer_bytes=cap, name="adapter-test")


async def test_tools_list_shows_only_what_the_caller_may_call() -> None:
    async with Client(_server(Role.READ)) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert names == {"rows", "whoami"}
    async with Client(_server(Role.ADMIN)) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert names == {"rows", "whoami", "wipe"}


async def test_a_refused_call_says_why_and_the_tool_does_not_run() -> None:
    async with Client(_server(Role.READ)) as client:
        refused = await client.call_tool("wipe", {})
    assert refused.is_error
    assert refused.content[0].text == "permission denied: tool wipe needs role 'admin'; token 'desk' has role 'read'"


async def test_a_call_runs_for_its_caller() -> None:
    async with Client(_server()) as client:
        answer = await client.call_tool("whoami", {})
    assert answer.content[0].text == "desk"
    assert caller_name() == ""  # nothing leaks out of the call


async def test_bad_arguments_are_named_with_what_the_tool_takes() -> None:
    async with Client(_server()) as client:
        unknown = await client.call_tool("rows", {"colour": "red"})
        out_of_range = await client.call_tool("rows", {"count": 0})
    assert unknown.is_error
    assert (
        unknown.content[0].text == "invalid arguments for rows: colour: not an argument of this tool. It takes: count."
    )
    assert "count: Input should be greater than or equal to 1 (got 0)" in out_of_range.content[0].text
    assert check_arguments(_catalog(Role.READ).tools["rows"], {"count": 2}) is None


async def test_every_answer_goes_through_the_byte_cap() -> None:
    async with Client(_server(cap=16 * 1024)) as client:
        small = await client.call_tool("rows", {"count": 3})
        large = await client.call_tool("rows", {"count": 5000})
    assert small.structured_content["truncated"] is False
    assert len(small.structured_content["rows"]) == 3
    data = large.structured_content
    assert data["truncated"] is True and 0 < data["row_count"] == len(data["rows"]) < 5000
    assert "narrow the question" in data["truncated_reason"]
    assert len(large.model_dump_json(by_alias=True, exclude_none=True)) <= 16 * 1024


async def test_the_text_is_the_structured_answer_as_compact_json() -> None:
    """One text block, no indentation, the same data as the structured content; a string answer stays text."""
    async with Client(_server()) as client:
        answer = await client.call_tool("rows", {"count": 2})
        caller = await client.call_tool("whoami", {})
    (block,) = answer.content
    assert json.loads(block.text) == answer.structured_content
    assert block.text == json.dumps(answer.structured_content, separators=(",", ":"))
    assert caller.content[0].text == "desk" and caller.structured_content == {"result": "desk"}
