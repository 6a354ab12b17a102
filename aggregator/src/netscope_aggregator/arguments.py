"""Tool arguments are checked strictly: an unknown argument is an error, not silently dropped.

An assistant that passes `src` where the tool takes `src_ip` must hear so; ignoring it would answer an
unfiltered question as if it were the filtered one. Validation errors are rendered as one short clause per
problem, with the arguments the tool does take; a number that was out of range is echoed, text never is (it
may be a community string or a key).
"""

from __future__ import annotations

from typing import Any, cast

from mcp.server.mcpserver.tools import Tool
from pydantic import BaseModel, ConfigDict, ValidationError


def make_strict(tool: Tool) -> None:
    """Make `tool` refuse arguments it does not declare (and say so in its input schema)."""
    loose = tool.fn_metadata.arg_model
    strict = cast(
        type[BaseModel],
        type(
            loose.__name__,
            (loose,),
            {"model_config": ConfigDict(**{**loose.model_config, "extra": "forbid"}), "__module__": loose.__module__},
        ),
    )
    tool.fn_metadata = tool.fn_metadata.model_copy(update={"arg_model": strict})
    tool.parameters = strict.model_json_schema(by_alias=True)


def allowed_arguments(tool: Tool) -> list[str]:
    """The argument names a tool takes, as its input schema lists them."""
    return list(tool.parameters.get("properties", {}))


def invalid_arguments_message(tool: Tool, error: ValidationError) -> str:
    """What is wrong with a call's arguments, one problem per clause, and what the tool takes."""
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "arguments"
        if item["type"] == "extra_forbidden":
            problems.append(f"{where}: not an argument of this tool")
            continue
        text = f"{where}: {item['msg']}"
        value = item.get("input")
        if isinstance(value, int | float) and item["type"] != "missing":  # never echo text: it may be a secret
            text += f" (got {value!r})"
        problems.append(text)
    allowed = ", ".join(allowed_arguments(tool)) or "none"
    return f"invalid arguments for {tool.name}: {'; '.join(problems)}. It takes: {allowed}."


def check_arguments(tool: Tool, arguments: dict[str, Any] | None) -> str | None:
    """None when the arguments validate, else the message for the caller."""
    try:
        tool.fn_metadata.validate_arguments(arguments or {})
    except ValidationError as error:
        return invalid_arguments_message(tool, error)
    return None
