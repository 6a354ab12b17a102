"""Alerts service settings (env `NETSCOPE_ALERTS_*`; ntopng's `NTOPNG_HOST`/`NTOPNG_API_KEY` are honoured)."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from netscope_common.settings import ServiceSettings

DEFAULT_DATA_DIR = Path.home() / ".local" / "share" / "netscope" / "alerts"


class AlertsSettings(ServiceSettings):
    """Settings of the alerts service."""

    model_config = SettingsConfigDict(env_prefix="NETSCOPE_ALERTS_", extra="ignore")

    port: int = Field(50052, ge=0, le=65535, description="gRPC port (0 picks a free port)")
    dsn: str = Field(
        f"chdb://{DEFAULT_DATA_DIR}",
        description="alert store: chdb://<dir> (embedded), chdb://memory, or a ClickHouse URL such as "
        "http://user:password@host:8123/ntopng",
    )
    database: str = Field("", description="database inside the store (created if missing; empty = the default)")
    query_timeout_seconds: float = Field(30.0, gt=0, le=600, description="per-query time limit in the store")
    policy_interval_seconds: float = Field(
        60.0, ge=0, description="how often enabled policies are evaluated (0 = never)"
    )
    ntopng_url: str = Field(
        "",
        validation_alias=AliasChoices("NETSCOPE_ALERTS_NTOPNG_URL", "NTOPNG_HOST"),
        description="a real ntopng to push exclusions to (e.g. https://ntopng:3000); empty = embedded only",
    )
    ntopng_api_key: str = Field(
        "",
        validation_alias=AliasChoices("NETSCOPE_ALERTS_NTOPNG_API_KEY", "NTOPNG_API_KEY"),
        description="ntopng API token (sent as `Authorization: Token <key>`)",
    )
    ntopng_timeout_seconds: float = Field(10.0, gt=0, le=120, description="ntopng REST call time limit")
    ntopng_verify_tls: bool = Field(True, description="verify ntopng's TLS certificate")
