"""Alerts service settings (env `NETSCOPE_ALERTS_*`, plus mcp-ntopng's `NTOPNG_*` for pushing exclusions)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from netscope_common.settings import ServiceSettings
from netscope_ntopng.clickhouse import check_dsn, http_port, selects_server
from netscope_ntopng.settings import NtopngSettings, host_name

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
    # mcp-ntopng's ClickHouse settings: with NTOPNG_HOST and one of these, and no NETSCOPE_ALERTS_DSN, the alert
    # store is ntopng's own ClickHouse database (read over HTTP; NTOPNG_DBPORT 9000/9440 map to 8123/8443).
    ntopng_db_user: str = Field("default", validation_alias="NTOPNG_DBUSER")
    ntopng_db_password: SecretStr = Field(SecretStr(""), validation_alias="NTOPNG_DBPASSWORD")
    ntopng_db_port: int | None = Field(None, ge=1, le=65535, validation_alias="NTOPNG_DBPORT")
    ntopng_db_name: str = Field("ntopng", validation_alias="NTOPNG_DBNAME")
    clickhouse_port_note: str = Field("", exclude=True, description="set when a native port was mapped")

    @field_validator("dsn", "writer_dsn")
    @classmethod
    def _store_address(cls, value: str) -> str:
        return check_dsn(value)

    @model_validator(mode="after")
    def _ntopng_selects_server(self) -> AlertsSettings:
        others = {"ntopng_db_user", "ntopng_db_password", "ntopng_db_port", "ntopng_db_name"}
        if selects_server(self.model_fields_set, "ntopng_host", others):
            secure = bool(self.ntopng_secure)
            port, self.clickhouse_port_note = http_port(self.ntopng_db_port, secure)
            user = quote(self.ntopng_db_user, safe="")
            password = quote(self.ntopng_db_password.get_secret_value(), safe="")
            host = host_name(self.ntopng_host)
            host = f"[{host}]" if ":" in host else host
            self.dsn = f"{'https' if secure else 'http'}://{user}:{password}@{host}:{port}/{self.ntopng_db_name}"
            self.database = self.database or self.ntopng_db_name
        return self
