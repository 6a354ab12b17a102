"""Flows service settings (`NETSCOPE_FLOWS_*`, plus mcp-ntopng's `NTOPNG_*` ClickHouse variables)."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from netscope_common.settings import ServiceSettings
from netscope_flows.interface_map import parse_interface_map
from netscope_ntopng.clickhouse import check_dsn, http_port, selects_server
from netscope_ntopng.settings import host_name


def _env(name: str, *aliases: str) -> AliasChoices:
    return AliasChoices(f"NETSCOPE_FLOWS_{name}", *aliases)


READS_ONLY = (
    "this flows service serves reads only: no ClickHouse writer user is configured "
    "(NETSCOPE_FLOWS_CH_WRITER_USER/PASSWORD), so ntopng writes the flows itself"
)


class FlowsSettings(ServiceSettings):
    """Where the flows live and the limits put on assistant queries."""

    # A .env file in the working directory is read as seed 003's server reads one (the environment wins).
    model_config = SettingsConfigDict(
        env_prefix="NETSCOPE_FLOWS_", extra="ignore", populate_by_name=True, env_file=".env", env_file_encoding="utf-8"
    )

    port: int = Field(50051, ge=0, le=65535)
    backend: Literal["clickhouse", "elasticsearch"] = "clickhouse"
    dsn: str = Field(
        "chdb:///var/lib/netscope/flows",
        description="chdb:///DIR for the embedded store; empty to use the ClickHouse server settings below",
        validation_alias=_env("DSN"),
    )
    ch_host: str = Field("localhost", validation_alias=_env("CH_HOST", "NTOPNG_HOST"))
    ch_port: int | None = Field(None, validation_alias=_env("CH_PORT", "NTOPNG_DBPORT"))
    ch_user: str = Field("default", validation_alias=_env("CH_USER", "NTOPNG_DBUSER"))
    ch_password: SecretStr = Field(SecretStr(""), validation_alias=_env("CH_PASSWORD", "NTOPNG_DBPASSWORD"))
    ch_database: str = Field("ntopng", validation_alias=_env("CH_DATABASE", "NTOPNG_DBNAME"))
    ch_secure: bool = Field(False, validation_alias=_env("CH_SECURE", "NTOPNG_SECURE"))
    ch_verify: bool = Field(True, validation_alias=_env("CH_VERIFY", "NTOPNG_VERIFY"))
    ch_connect_timeout: float = Field(30, gt=0, validation_alias=_env("CH_CONNECT_TIMEOUT", "NTOPNG_CONNECT_TIMEOUT"))
    ch_send_receive_timeout: float = Field(
        300, gt=0, validation_alias=_env("CH_SEND_RECEIVE_TIMEOUT", "NTOPNG_SEND_RECEIVE_TIMEOUT")
    )
    ch_writer_user: str = Field(
        "",
        description="ClickHouse user for ingest (INSERT on flows and the ingest ledger); empty: reads only "
        "(ntopng writes the flows itself)",
        validation_alias=_env("CH_WRITER_USER"),
    )
    ch_writer_password: SecretStr = Field(SecretStr(""), validation_alias=_env("CH_WRITER_PASSWORD"))
    create_schema: bool = Field(True, description="create ntopng's tables when missing (embedded store)")
    query_timeout_seconds: float = Field(
        30, gt=0, le=600, validation_alias=_env("QUERY_TIMEOUT_SECONDS", "SELECT_QUERY_TIMEOUT_SECS")
    )
    default_max_rows: int = Field(200, ge=1, description="rows returned when a query does not ask for a cap")
    max_rows: int = Field(10_000, ge=1, description="largest row cap a query may ask for")
    max_result_bytes: int = Field(64 * 1024 * 1024, ge=1024)
    max_memory_bytes: int = Field(2 * 1024**3, ge=64 * 1024**2)
    max_rows_to_read: int = Field(0, ge=0, description="engine cap on rows scanned per query; 0 = no cap")
    query_workers: int = Field(4, ge=1, le=64, description="threads running engine calls")
    sql_concurrency: int = Field(
        4, ge=1, le=64, description="assistant SQL queries running at once (the embedded engine runs one)"
    )
    sql_per_token_running: int = Field(2, ge=1, description="assistant SQL queries one token may run at once")
    sql_per_token_waiting: int = Field(8, ge=0, description="assistant SQL queries one token may have waiting")
    sql_wait_seconds: float = Field(10, gt=0, le=120, description="longest wait for an SQL slot before refusing")
    sql_time_limit_seconds: float = Field(
        0,
        ge=0,
        le=3600,
        description="engine time limit of one assistant SQL statement; 0 = the wait bound less a second on one "
        "engine lane, the query timeout otherwise",
    )

    interface_capacity_bps: dict[str, int] = Field(
        default_factory=dict,
        description='capacity per exporter interface, JSON {"EXPORTER_IP:IFINDEX": bits_per_second}',
    )
    default_capacity_bps: int = Field(1_000_000_000, gt=0, description="capacity of interfaces not in the map")
    bottleneck_threshold_percent: float = Field(70, gt=0, le=100)
    business_hours_start: int = Field(7, ge=0, le=23, description="start of business hours (UTC hour)")
    business_hours_end: int = Field(19, ge=1, le=24, description="end of business hours (UTC hour, exclusive)")
    exfil_min_bytes: int = Field(1_000_000_000, gt=0, description="off-hours upload to one peer worth reporting")
    scan_min_targets: int = Field(50, ge=5, description="distinct hosts (or ports) probed to call it a scan")

    rare_port_max_clients: int = Field(2, ge=1, description="clients a server port may have to be called rare")
    service_ports: dict[int, str] = Field(
        default_factory=dict,
        description='service names by server port, JSON {"port": "name"}, over the defaults (seed 003 SERVICE_PORTS)',
        validation_alias=_env("SERVICE_PORTS", "SERVICE_PORTS"),
    )
    interface_map: str = Field(
        "",
        description="seed 003's interface map {ifIndex: {name, capacity_mbps}}: a JSON or YAML file, or JSON text",
        validation_alias=_env("INTERFACE_MAP"),
    )

    es_url: str = Field("", description="cluster URL; empty: https://ES_HOST:ES_PORT", validation_alias=_env("ES_URL"))
    es_host: str = Field("localhost", validation_alias=_env("ES_HOST", "ES_HOST"))
    es_port: int = Field(9200, ge=1, le=65535, validation_alias=_env("ES_PORT", "ES_PORT"))
    es_username: str = Field("", validation_alias=_env("ES_USERNAME", "ES_USERNAME"))
    es_password: SecretStr = Field(SecretStr(""), validation_alias=_env("ES_PASSWORD", "ES_PASSWORD"))
    es_api_key: SecretStr = Field(SecretStr(""), validation_alias=_env("ES_API_KEY"))
    es_index: str = Field("logs-netflow*", min_length=1, validation_alias=_env("ES_INDEX"))
    es_layout: Literal["auto", "scenario", "ecs", "seed-minimal"] = Field(
        "auto",
        description="field layout of the documents; auto: detected from the mapping",
        validation_alias=_env("ES_LAYOUT"),
    )
    es_flavor: Literal["elasticsearch", "opensearch"] = Field("elasticsearch", validation_alias=_env("ES_FLAVOR"))
    es_verify: bool = Field(True, validation_alias=_env("ES_VERIFY"))
    es_ca_certs: str = Field("", description="CA bundle (PEM) for the cluster", validation_alias=_env("ES_CA_CERTS"))
    es_request_timeout_seconds: float = Field(30, gt=0, le=600, validation_alias=_env("ES_REQUEST_TIMEOUT_SECONDS"))

    @field_validator("dsn")
    @classmethod
    def _embedded_or_empty(cls, value: str) -> str:
        if check_dsn(value) and not value.startswith("chdb:"):
            raise ValueError(
                "the flows DSN names the embedded store only (chdb:///DIR); for a ClickHouse server leave it "
                "empty and set NETSCOPE_FLOWS_CH_HOST, _CH_PORT, _CH_USER, _CH_PASSWORD (or mcp-ntopng's "
                "NTOPNG_HOST, NTOPNG_DB*)"
            )
        return value

    @field_validator("interface_map")
    @classmethod
    def _usable_interface_map(cls, value: str) -> str:
        parse_interface_map(value)  # checked at start; read again at each call, so an edited file applies
        return value

    @field_validator("ch_host")
    @classmethod
    def _host_alone(cls, value: str) -> str:
        # NTOPNG_HOST may carry the scheme and port of ntopng's web server; ClickHouse's port is NTOPNG_DBPORT.
        return host_name(value)

    @model_validator(mode="after")
    def _ntopng_selects_server(self) -> FlowsSettings:
        # mcp-ntopng's NTOPNG_HOST + NTOPNG_DB* (or the CH_* settings) choose the server unless the DSN is set.
        if selects_server(self.model_fields_set, "ch_host", {"ch_user", "ch_password", "ch_port", "ch_database"}):
            self.dsn = ""
        return self

    @property
    def ch_http_port(self) -> tuple[int, str]:
        """The ClickHouse HTTP port, and a note when a native port (9000/9440) was mapped to it."""
        return http_port(self.ch_port, self.ch_secure)

    @model_validator(mode="after")
    def _default_es_url(self) -> FlowsSettings:
        if not self.es_url:
            self.es_url = f"https://{self.es_host}:{self.es_port}"
        return self

    @property
    def is_embedded(self) -> bool:
        """True when the store is chdb inside this process."""
        return self.dsn.startswith("chdb:")

    @property
    def sql_lanes(self) -> int:
        """Assistant SQL queries the engine runs at once: chdb runs one query at a time per process."""
        return 1 if self.is_embedded else self.sql_concurrency

    @property
    def sql_time_limit(self) -> float:
        """The engine's time limit for assistant SQL: the setting when given; with one lane, the wait bound less a
        second for the next query's own start (so the next caller gets the engine within the bound); otherwise
        the query timeout."""
        if self.sql_time_limit_seconds:
            return min(self.query_timeout_seconds, self.sql_time_limit_seconds)
        if self.sql_lanes == 1:
            return min(self.query_timeout_seconds, max(1.0, self.sql_wait_seconds - 1.0))
        return self.query_timeout_seconds

    @property
    def can_write(self) -> bool:
        """Whether ingest has credentials: always on the embedded store; on a server, with a writer user."""
        return self.is_embedded or bool(self.ch_writer_user)

    def serving_detail(self) -> str:
        """What health answers say beside SERVING: reads only on a ClickHouse server without a writer user."""
        return READS_ONLY if self.backend == "clickhouse" and not self.can_write else ""

    @property
    def database(self) -> str:
        """The database assistant SQL may read."""
        return "default" if self.is_embedded else self.ch_database
