"""Alerts service settings (env `NETSCOPE_ALERTS_*`, plus mcp-ntopng's `NTOPNG_*` for pushing exclusions)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from netscope_common.settings import ServiceSettings
from netscope_ntopng.settings import NtopngSettings

DEFAULT_DATA_DIR = Path.home() / ".local" / "share" / "netscope" / "alerts"


class AlertsSettings(ServiceSettings, NtopngSettings):
    """Settings of the alerts service; with NTOPNG_HOST set, exclusions are also pushed to that ntopng."""

    model_config = SettingsConfigDict(env_prefix="NETSCOPE_ALERTS_", extra="ignore", populate_by_name=True)

    port: int = Field(50052, ge=0, le=65535, description="gRPC port (0 picks a free port)")
    dsn: str = Field(
        f"chdb://{DEFAULT_DATA_DIR}",
        description="alert store: chdb://<dir> (embedded), chdb://memory, or a ClickHouse URL such as "
        "http://user:password@host:8123/ntopng",
    )
    writer_dsn: str = Field(
        "",
        description="ClickHouse server URL of the writer user (alerts, exclusions, policies); empty on a server: "
        "reads only (the embedded store always writes)",
    )
    database: str = Field("", description="database inside the store (created if missing; empty = the default)")
    query_timeout_seconds: float = Field(30.0, gt=0, le=600, description="per-query time limit in the store")
    policy_interval_seconds: float = Field(
        60.0, ge=0, description="how often enabled policies are evaluated (0 = never)"
    )
