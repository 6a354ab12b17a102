"""ntopng's `content` call style on any tool: keys fill the tool's own arguments, validated the same way."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from netscope_aggregator.auth import Principal, Role
from netscope_aggregator.catalog import Catalog, Declaration
from netscope_aggregator.tools.shared.content_style import ntopng_style, with_content


async def describe(table: str, limit: Annotated[int, Field(ge=1, le=10)] = 5) -> dict[str, Any]:
    """A tool with one required argument."""
    return {"table": table, "limit": limit}


def declaration(name: str = "describe_table") -> Declaration:
    return Declaration(describe, name, "describe a table", ("flows",), ())


async def test_content_keys_fill_the_arguments_and_win_over_defaults() -> None:
    run = with_content(declaration()).handler
    assert await run(content='{"table": "flows", "limit": 2}') == {"table": "flows", "limit": 2}
    assert await run(table="alerts", content="") == {"table": "alerts", "limit": 5}
    assert await run(table="alerts", content="{}") == {"table": "alerts", "limit": 5}


async def test_aliases_name_ntopng_keys() -> None:
    run = with_content(declaration(), {"name": "table"}).handler
    assert await run(content='{"name": "flows"}') == {"table": "flows", "limit": 5}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"table": "flows", "rows": 1}', "unknown key(s) rows in content; allowed: limit, table"),
        ("not json", "content is not valid JSON"),
        ("[1]", "content must be a JSON object"),
        ('{"table": "flows", "limit": 99}', "limit: Input should be less than or equal to 10"),
        ("{}", "send table as arguments or as keys of content"),
    ],
)
async def test_bad_content_is_a_clear_error(content: str, message: str) -> None:
    with pytest.raises(ToolError, match=message.replace("(", r"\(").replace(")", r"\)")):
        await with_content(declaration()).handler(content=content)


def test_schema_says_what_is_needed_unless_content_is_given() -> None:
    catalog = Catalog(toolsets="all", read_only=False, stdio_principal=Principal("s", Role.READ), prepare=ntopng_style)
    catalog.declare(declaration(), declaration("not_ntopng_named"))
    named = catalog.tools["describe_table"].parameters
    assert named["anyOf"] == [{"required": ["table"]}, {"required": ["content"]}]
    assert "content" in named["properties"] and "required" not in named
    plain = catalog.tools["not_ntopng_named"].parameters
    assert plain["required"] == ["table"] and "content" not in plain["properties"]
