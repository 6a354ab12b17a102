"""get_preferences (ntopng's community MCP tool): this server's runtime settings in ntopng's preference shape,
secrets shown only as <set>/<unset>."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field, SecretStr

from netscope_aggregator.backends import Backends
from netscope_aggregator.catalog import Catalog
from netscope_aggregator.confirmations import Confirmations
from netscope_aggregator.declare import composite
from netscope_aggregator.settings import AggregatorSettings

ENV_PREFIX = "NETSCOPE_AGGREGATOR_"
SECTIONS = {
    "services": ("flows_target", "alerts_target", "snmp_target", "live_target", "snmp_shard_targets"),
    "access": ("tokens", "tokens_file", "confirm_secret", "stdio_role", "toolsets", "read_only"),
    "http": ("host", "port", "stateless_http", "json_response", "allowed_hosts", "allowed_origins"),
    "limits": ("call_timeout_seconds", "max_body_bytes", "max_answer_bytes", "rate_limit_per_minute"),
    "logging": ("log_level", "log_format"),
}


class Preference(BaseModel):
    """One setting: where it belongs, its name, the environment variable that sets it, its type and value."""

    section: str
    key: str
    env: str
    type: str
    value: Any
    description: str = ""


class PreferencesAnswer(BaseModel):
    """The matching settings."""

    preferences: list[Preference]
    summary: str


def _value(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return "<set>" if value.get_secret_value() else "<unset>"
    return str(value) if value is not None and not isinstance(value, bool | int | float | str) else value


def preferences(settings: AggregatorSettings, section: str, search: str) -> PreferencesAnswer:
    """The settings of `section` (all when empty) whose key or variable contains `search` (case-insensitive)."""
    if section and section not in SECTIONS:
        raise ToolError(f"unknown section {section!r}; sections: {', '.join(SECTIONS)}")
    fields = type(settings).model_fields
    found = [
        Preference(
            section=name,
            key=key,
            env=ENV_PREFIX + key.upper(),
            type=type(getattr(settings, key)).__name__,
            value=_value(getattr(settings, key)),
            description=fields[key].description or "",
        )
        for name, keys in SECTIONS.items()
        if not section or name == section
        for key in keys
        if search.lower() in key.lower() or search.lower() in (ENV_PREFIX + key).lower()
    ]
    return PreferencesAnswer(
        preferences=found,
        summary=f"{len(found)} setting(s)" if found else "No matching preferences found.",
    )


def register(catalog: Catalog, backends: Backends, confirmations: Confirmations) -> None:
    """Add get_preferences."""

    async def get_preferences(
        section: Annotated[str, Field(max_length=32, description=f"one of {', '.join(SECTIONS)} (empty = all)")] = "",
        search: Annotated[str, Field(max_length=64, description="case-insensitive part of a key or variable")] = "",
    ) -> PreferencesAnswer:
        return preferences(AggregatorSettings(), section, search)

    catalog.declare(
        composite(
            get_preferences,
            name="get_preferences",
            description="This server's runtime settings (services, access, http, limits, logging) with the variable "
            "that sets each; secrets show as <set>/<unset>.",
            toolsets=("admin",),
            rpcs=(),
        )
    )
