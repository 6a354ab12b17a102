"""ntopng's embedded-MCP call style on any tool: one `content` string holding a JSON object whose keys are the tool's
own argument names (and the ntopng names given as aliases), e.g. `{"content": "{\"table\": \"flows\"}"}` or
`{"content": "{}"}`. The keys are validated exactly as the named arguments are; the tool's own handler runs."""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Mapping
from typing import Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from netscope_aggregator.catalog import Declaration
from netscope_aggregator.tools.shared.content import Content, parse_content


def _is_context(annotation: Any) -> bool:
    return inspect.isclass(annotation) and issubclass(annotation, Context)


def _argument_model(name: str, parameters: list[inspect.Parameter]) -> type[BaseModel]:
    fields: dict[str, Any] = {
        p.name: (p.annotation, ... if p.default is inspect.Parameter.empty else p.default) for p in parameters
    }
    return create_model(f"{name}_content", __config__=ConfigDict(extra="forbid"), **fields)


def with_content(declaration: Declaration, aliases: Mapping[str, str] | None = None) -> Declaration:
    """`declaration` also taking `content`. Its required arguments become optional in the signature (content may
    carry them) and the input schema says `anyOf: [{required: [...]}, {required: [content]}]`; `aliases` maps an
    ntopng key to the argument it fills (e.g. `{"sql": "query"}`)."""
    aliases = dict(aliases or {})
    signature = inspect.signature(declaration.handler, eval_str=True)
    own = [p for p in signature.parameters.values() if not _is_context(p.annotation)]
    if any(p.name == "content" for p in own):
        raise ValueError(f"tool {declaration.name} already takes content")
    required = [p.name for p in own if p.default is inspect.Parameter.empty]
    model = _argument_model(declaration.name, own)
    allowed = {p.name for p in own} | set(aliases)
    handler = declaration.handler

    @functools.wraps(handler)
    async def run(*args: Any, content: str = "", **kwargs: Any) -> Any:
        given = {k: v for k, v in kwargs.items() if k in model.model_fields and v is not None}
        for key, value in parse_content(declaration.name, content, allowed).items():
            given[aliases.get(key, key)] = value
        try:
            checked = model.model_validate(given)
        except ValidationError as error:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors())
            need = f" (send {', '.join(required)} as arguments or as keys of content)" if required else ""
            raise ToolError(f"invalid arguments for {declaration.name}: {problems}{need}") from None
        kwargs.update({name: getattr(checked, name) for name in model.model_fields})
        result = handler(*args, **kwargs)
        return await result if inspect.isawaitable(result) else result

    content_parameter = inspect.Parameter("content", inspect.Parameter.KEYWORD_ONLY, default="", annotation=Content)
    parameters = [p.replace(default=None) if p.name in required else p for p in signature.parameters.values()]
    keyword = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in parameters]
    run.__signature__ = signature.replace(parameters=[*keyword, content_parameter])  # type: ignore[attr-defined]
    run.__annotations__ = {
        **{p.name: p.annotation for p in keyword},
        "content": Content,
        "return": signature.return_annotation,
    }
    return dataclasses.replace(
        declaration,
        handler=run,
        required_any=((tuple(required), ("content",)) if required else ()),
    )


# Tools ntopng's embedded MCP names (seeds 001/002 and its community tools) that take `content` through this layer,
# with the ntopng keys that fill one of their arguments. Keys of nAnalyst's (pro) tools are not public: their
# content keys are the tool's own argument names.
NTOPNG_NAMED: dict[str, dict[str, str]] = {
    "add_certificate_alert_exclusion": {},
    "add_domain_alert_exclusion": {},
    "add_host_alert_exclusion": {},
    "chart": {},
    "create_ai_policy": {},
    "describe_table": {},
    "discover_lan": {},
    "get_interface_addresses": {},
    "get_preferences": {},
    "list_networks": {},
    "get_asset_info": {"host": "ip"},
    "get_historical_flow": {},
    "get_live_flows": {"ip": "host"},
    "list_available_active_monitoring_scripts": {},
    "list_enabled_active_monitoring_scripts": {"interface_id": "ifid"},
    "list_expected_servers": {},
    "list_protos": {},
    "list_tables": {},
    "search_docs": {},
}

# ntopng-named tools that read `content` with their own key model: what they need unless `content` is given.
OWN_CONTENT_REQUIRES: dict[str, tuple[tuple[str, ...], ...]] = {
    "get_host_info": (("ip",), ("content",)),
    "get_live_flows_for_host": (("ip",), ("content",)),
    "get_mac_info": (("mac",), ("content",)),
    "get_snmp_device_info": (("device",), ("content",)),
    "add_active_monitoring_script": (("kind",), ("measurement",), ("content",)),
    "query": (("content",), ("sql",)),
}


# Tools whose arguments are all optional but which need one of these sets (the schema's anyOf).
NEEDS_ONE_OF: dict[str, tuple[tuple[str, ...], ...]] = {
    "create_ai_policy": (("name", "rule"), ("description",), ("content",)),
}


def ntopng_style(declaration: Declaration) -> Declaration:
    """The catalog's preparation of each declaration: ntopng-named tools take `content` and say what they need."""
    if declaration.name in NTOPNG_NAMED:
        prepared = with_content(declaration, NTOPNG_NAMED[declaration.name])
        needs = NEEDS_ONE_OF.get(declaration.name)
        return dataclasses.replace(prepared, required_any=needs) if needs else prepared
    if declaration.name in OWN_CONTENT_REQUIRES and not declaration.required_any:
        return dataclasses.replace(declaration, required_any=OWN_CONTENT_REQUIRES[declaration.name])
    return declaration
