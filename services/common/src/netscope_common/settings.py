"""Settings shared by every service; each service subclasses ServiceSettings with its own env prefix."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal, TypeVar

from pydantic import AliasChoices, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

SettingsT = TypeVar("SettingsT", bound=BaseSettings)


class ServiceSettings(BaseSettings):
    """Network, logging and health settings common to all services (env `NETSCOPE_<SERVICE>_*`).

    A `.env` file in the working directory is read too, as mcp-ntopng reads its own; variables set in the
    environment win over the file."""

    model_config = SettingsConfigDict(
        env_prefix="NETSCOPE_", extra="ignore", env_file=".env", env_file_encoding="utf-8"
    )

    host: str = Field("127.0.0.1", description="address the gRPC server binds to")
    port: int = Field(50051, ge=0, le=65535, description="gRPC port (0 picks a free port)")
    metrics_port: int | None = Field(None, ge=0, le=65535, description="Prometheus /metrics port; unset = off")
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR")
    log_format: Literal["json", "console"] = "json"
    health_interval_seconds: float = Field(5.0, gt=0, description="how often the backend health is checked")
    grace_seconds: float = Field(5.0, ge=0, description="graceful shutdown time for in-flight calls")
    max_message_bytes: int = Field(16 * 1024 * 1024, gt=0, description="largest gRPC message accepted")


def _env_names(settings_class: type[BaseSettings], key: str) -> str:
    """The environment variable(s) a settings field is read from, for a key that is its name or one alias."""
    prefix = str(settings_class.model_config.get("env_prefix", ""))
    for name, field in settings_class.model_fields.items():
        alias = field.validation_alias
        choices = alias.choices if isinstance(alias, AliasChoices) else [alias] if isinstance(alias, str) else []
        names = [choice for choice in choices if isinstance(choice, str)] or [f"{prefix}{name}".upper()]
        if key == name or key in names:
            return " or ".join(names)
    return key


def validation_message(exc: ValidationError, where: Callable[[list[str]], str] = ".".join) -> str:
    """One line naming each bad field (as `where` writes its location) and its rule, never echoing the input
    (it may be a secret)."""
    parts = []
    for err in exc.errors(include_input=False, include_url=False):
        place = where([str(part) for part in err["loc"]])
        parts.append(f"{place}: {err['msg']}" if place else err["msg"])
    return "; ".join(parts)


def settings_error_message(settings_class: type[BaseSettings], exc: ValidationError) -> str:
    """One line naming each bad environment variable and its rule."""
    return validation_message(exc, lambda loc: ".".join([_env_names(settings_class, loc[0]), *loc[1:]]) if loc else "")


def load_settings(settings_class: type[SettingsT], service: str) -> SettingsT:
    """The service's settings from the environment; bad values stop the process with a message, not a traceback."""
    try:
        return settings_class()
    except ValidationError as exc:
        message = settings_error_message(settings_class, exc)
    except SettingsError as exc:  # a JSON-valued variable that does not parse
        found = re.search(r'field "(\w+)"', str(exc))
        names = _env_names(settings_class, found.group(1)) if found else "a setting"
        message = f"{names}: not valid JSON ({exc.__cause__ or exc})"
    raise SystemExit(f"invalid {service} settings: {message}")
