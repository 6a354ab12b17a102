"""Live service settings (`NETSCOPE_LIVE_*`, plus mcp-ntopng's `NTOPNG_HOST` / `NTOPNG_API_KEY`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from netscope_common.settings import ServiceSettings
from netscope_live.geo import DEFAULT_LOCAL_NETWORKS


def _env(name: str, *aliases: str) -> AliasChoices:
    return AliasChoices(f"NETSCOPE_LIVE_{name}", *aliases)


class LiveSettings(ServiceSettings):
    """Which source answers (built-in collector or ntopng) and how each one is tuned."""

    model_config = SettingsConfigDict(env_prefix="NETSCOPE_LIVE_", extra="ignore", populate_by_name=True)

    port: int = Field(50054, ge=0, le=65535, description="gRPC port (0 picks a free port)")
    source: Literal["collector", "ntopng", "probe"] = Field("collector", validation_alias=_env("SOURCE"))

    collector_host: str = Field("127.0.0.1", validation_alias=_env("COLLECTOR_HOST"))
    collector_port: int = Field(2055, ge=0, le=65535, validation_alias=_env("COLLECTOR_PORT"))
    active_timeout_seconds: float = Field(120, gt=0, validation_alias=_env("ACTIVE_TIMEOUT_SECONDS"))
    idle_timeout_seconds: float = Field(30, gt=0, validation_alias=_env("IDLE_TIMEOUT_SECONDS"))
    host_idle_timeout_seconds: float = Field(300, gt=0, validation_alias=_env("HOST_IDLE_TIMEOUT_SECONDS"))
    window_buckets: int = Field(6, ge=1, le=120, validation_alias=_env("WINDOW_BUCKETS"))
    bucket_seconds: int = Field(5, ge=1, le=60, validation_alias=_env("BUCKET_SECONDS"))
    max_flows: int = Field(1_000_000, ge=1, validation_alias=_env("MAX_FLOWS"))
    local_networks: list[str] = Field(list(DEFAULT_LOCAL_NETWORKS), validation_alias=_env("LOCAL_NETWORKS"))
    flows_target: str = Field(
        "",
        description="flows service host:port for IngestFlows; empty = completed flows are only counted",
        validation_alias=_env("FLOWS_TARGET"),
    )
    ingest_queue_size: int = Field(100_000, ge=1, validation_alias=_env("INGEST_QUEUE_SIZE"))
    ingest_batch_size: int = Field(1000, ge=1, validation_alias=_env("INGEST_BATCH_SIZE"))
    ingest_flush_seconds: float = Field(1.0, gt=0, validation_alias=_env("INGEST_FLUSH_SECONDS"))
    ingest_drain_seconds: float = Field(
        5.0,
        gt=0,
        description="at shutdown, time to send queued flows; what is left is counted as failed",
        validation_alias=_env("INGEST_DRAIN_SECONDS"),
    )

    probe_pcap: Path | None = Field(
        None, description="source=probe: pcap/pcapng file read once", validation_alias=_env("PROBE_PCAP")
    )
    probe_interface: str = Field(
        "", description="source=probe: interface captured until shutdown", validation_alias=_env("PROBE_INTERFACE")
    )
    probe_active_timeout_seconds: float = Field(
        10,
        ge=1,
        le=3600,
        description="source=probe: NFStream hands a running flow's packets to the live table every N s",
        validation_alias=_env("PROBE_ACTIVE_TIMEOUT_SECONDS"),
    )
    probe_bpf_filter: str = Field("", description="source=probe: BPF filter", validation_alias=_env("PROBE_BPF_FILTER"))

    settings_dir: Path | None = Field(
        None,
        description="directory for state kept across restarts (enabled active monitors); unset = memory only",
        validation_alias=_env("SETTINGS_DIR"),
    )
    max_monitors: int = Field(1000, ge=1, le=1000, validation_alias=_env("MAX_MONITORS"))

    ntopng_host: str = Field(
        "",
        description="ntopng URL (http://host:3000) or host[:port] (then NTOPNG_SECURE picks https)",
        validation_alias=_env("NTOPNG_HOST", "NTOPNG_HOST"),
    )
    ntopng_secure: bool = Field(False, validation_alias=_env("NTOPNG_SECURE", "NTOPNG_SECURE"))
    ntopng_api_key: SecretStr = Field(SecretStr(""), validation_alias=_env("NTOPNG_API_KEY", "NTOPNG_API_KEY"))
    ntopng_timeout_seconds: float = Field(10, gt=0, validation_alias=_env("NTOPNG_TIMEOUT_SECONDS"))
    ntopng_retries: int = Field(2, ge=0, le=10, validation_alias=_env("NTOPNG_RETRIES"))

    def ntopng_url(self) -> str:
        """The ntopng base URL; ValueError with the fix when NTOPNG_HOST is unset."""
        host = self.ntopng_host.strip()
        if not host:
            raise ValueError(
                "NETSCOPE_LIVE_SOURCE=ntopng needs NTOPNG_HOST (or NETSCOPE_LIVE_NTOPNG_HOST), e.g. http://ntopng:3000"
            )
        if "://" in host:
            return host.rstrip("/")
        scheme = "https" if self.ntopng_secure else "http"
        return f"{scheme}://{host if ':' in host else host + ':3000'}"
