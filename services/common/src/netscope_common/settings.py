"""Settings shared by every service; each service subclasses ServiceSettings with its own env prefix."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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
