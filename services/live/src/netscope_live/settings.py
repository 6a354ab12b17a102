"""Live service settings (`NETSCOPE_LIVE_*`, plus mcp-ntopng's `NTOPNG_*` for the ntopng source)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from netscope_common.settings import ServiceSettings
from netscope_live.geo import DEFAULT_LOCAL_NETWORKS
from netscope_ntopng.settings import NtopngSettings


def _env(name: str, *aliases: str) -> AliasChoices:
    return AliasChoices(f"NETSCOPE_LIVE_{name}", *aliases)


class LiveSettings(ServiceSettings, NtopngSettings):
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

    ntopng_retries: int = Field(2, ge=0, le=10, validation_alias=_env("NTOPNG_RETRIES"))
    ntopng_scan_rows: int = Field(
        20_000,
        ge=1000,
        le=1_000_000,
        description="answers computed over every ntopng flow or host (flows summary, country stats, a host's peers) "
        "read ntopng's pages up to this many rows, then say truncated",
        validation_alias=_env("NTOPNG_SCAN_ROWS"),
    )

    @field_validator("local_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for network in value:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise ValueError(f"{network!r} is not a network such as 10.0.0.0/8 or fd00::/8") from None
        return value

    @model_validator(mode="after")
    def _source_has_what_it_needs(self) -> LiveSettings:
        if self.source == "ntopng" and not self.ntopng_host.strip():
            raise ValueError(
                "NETSCOPE_LIVE_SOURCE=ntopng needs NTOPNG_HOST, ntopng's web address "
                "(e.g. ntop.example.com:3000 with NTOPNG_SECURE=false, or https://ntop.example.com)"
            )
        if self.source == "probe" and (self.probe_pcap is None) == (not self.probe_interface):
            raise ValueError(
                "NETSCOPE_LIVE_SOURCE=probe needs exactly one of NETSCOPE_LIVE_PROBE_PCAP (a capture file) "
                "or NETSCOPE_LIVE_PROBE_INTERFACE (an interface name)"
            )
        return self
