"""ntopng MCP style arguments: one string `content` holding a JSON object whose keys fill the named arguments."""

import json
from typing import Annotated, Any

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import AliasChoices, BaseModel, Field, ValidationError

# Plain `str` (not Optional): the SDK would otherwise pre-parse a JSON string into an object.
Content = Annotated[
    str,
    Field(
        max_length=4096,
        description='ntopng MCP style: a JSON object whose keys fill the other arguments, e.g. {"ip": "10.1.2.42"}',
    ),
]


def content_arguments(tool: str, content: str, model: type[BaseModel], given: dict[str, Any]) -> BaseModel:
    """The tool's arguments: `given`, with the keys of the JSON object in `content` filling them, validated."""
    merged = {k: v for k, v in given.items() if v != ""}
    parsed = parse_content(tool, content, _keys(model))
    for name, field in model.model_fields.items():  # a key in content wins over the argument it is an alias of
        names = {name, *(field.validation_alias.choices if isinstance(field.validation_alias, AliasChoices) else ())}
        if names & set(parsed):
            merged = {k: v for k, v in merged.items() if k not in names}
    merged.update(parsed)
    try:
        return model.model_validate(merged)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ToolError(f"{tool}: invalid arguments: {problems}") from None


def _keys(model: type[BaseModel]) -> set[str]:
    """The keys content may carry: the model's fields, their aliases, and `content_keys` a model's validator maps."""
    keys = set(model.model_fields) | set(getattr(model, "content_keys", ()))
    for field in model.model_fields.values():
        if isinstance(field.validation_alias, AliasChoices):
            keys.update(a for a in field.validation_alias.choices if isinstance(a, str))
    return keys


def parse_content(tool: str, content: str, allowed: set[str]) -> dict[str, Any]:
    """The JSON object in `content` ({} when blank); a clear error when it is not one or has keys nobody defines."""
    if not content.strip():
        return {}
    try:
        parsed = json.loads(content)
    except json.JSONDecodeError as exc:
        raise ToolError(
            f"{tool}: content is not valid JSON ({exc.msg} at character {exc.pos}); send a JSON object such as "
            f"{json.dumps(dict.fromkeys(sorted(allowed)[:2], '...'))} (or {{}})"
        ) from None
    if not isinstance(parsed, dict):
        raise ToolError(
            f"{tool}: content must be a JSON object with keys among: {', '.join(sorted(allowed)) or 'none'}"
        )
    unknown = sorted(set(parsed) - allowed)
    if unknown:
        raise ToolError(
            f"{tool}: unknown key(s) {', '.join(unknown)} in content; allowed: {', '.join(sorted(allowed)) or 'none'}"
        )
    return parsed
