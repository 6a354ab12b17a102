"""Settings of the snmp service (environment variables NETSCOPE_SNMP_*)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from netscope_common.settings import ServiceSettings


class SnmpSettings(ServiceSettings):
    """Inventory, polling, thresholds and sharding of the snmp service."""

    model_config = SettingsConfigDict(env_prefix="NETSCOPE_SNMP_", extra="ignore")

    port: int = Field(50053, ge=0, le=65535, description="gRPC port (0 picks a free port)")
    inventory_path: Path | None = Field(None, description="YAML inventory file (devices: [...])")
    state_path: Path | None = Field(None, description="JSON file keeping API changes across restarts")
    concurrency: int = Field(64, ge=1, le=10_000, description="devices polled at once (global)")
    timeout_seconds: float = Field(2.0, gt=0, le=60, description="per-request timeout (device may override)")
    retries: int = Field(1, ge=0, le=5, description="per-request retries (device may override)")
    max_repetitions: int = Field(25, ge=1, le=200, description="GETBULK max-repetitions")
    v2c_codec: Literal["native", "pysnmp"] = Field(
        "native", description="v2c requests through the native BER codec (fast) or through pysnmp (v3 always)"
    )
    full_walk_every: int = Field(
        10, ge=1, le=1000, description="polls per full walk; in between only counters/status (1 = always full)"
    )
    unreachable_backoff_max_seconds: float = Field(
        600.0, gt=0, le=86_400, description="longest poll interval of a device unreachable several times in a row"
    )
    history_points: int = Field(360, ge=1, le=100_000, description="history points kept per interface")
    shard_index: int = Field(0, ge=0, description="this replica's shard (e.g. the StatefulSet ordinal)")
    shard_count: int = Field(1, ge=1, le=1024, description="number of replicas sharing the inventory")
    poll_on_start: bool = Field(True, description="poll every device of the shard right after start")
    utilization_threshold_percent: float = Field(80.0, gt=0, le=100)
    cpu_threshold_percent: float = Field(90.0, gt=0, le=100)
    memory_threshold_percent: float = Field(90.0, gt=0, le=100)
    errors_threshold_per_second: float = Field(1.0, gt=0)
    event_buffer: int = Field(10_000, ge=10, le=1_000_000, description="events kept for DeviceAlerts")
    alerts_target: str = Field(
        "", max_length=255, description="alerts service host:port to raise SNMP alerts in (empty = off)"
    )

    @model_validator(mode="after")
    def _check_shard(self) -> SnmpSettings:
        if self.shard_index >= self.shard_count:
            raise ValueError(
                f"NETSCOPE_SNMP_SHARD_INDEX ({self.shard_index}) must be below NETSCOPE_SNMP_SHARD_COUNT "
                f"({self.shard_count})"
            )
        return self
