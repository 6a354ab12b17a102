"""Plain data produced by one poll of one device (before any rate computation)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Reachability(StrEnum):
    """Outcome class of a poll."""

    UP = "up"
    UNREACHABLE = "unreachable"
    AUTH_FAILURE = "auth_failure"
    ERROR = "error"
    NOT_POLLED = "not_polled"


@dataclass
class InterfaceSample:
    """Counters and state of one interface at one instant."""

    index: int
    name: str = ""
    descr: str = ""
    alias: str = ""
    if_type: int | None = None
    speed_bps: int | None = None
    admin_status: str = "unknown"
    oper_status: str = "unknown"
    in_octets: int | None = None
    out_octets: int | None = None
    counter_bits: int = 64
    in_errors: int | None = None
    out_errors: int | None = None
    in_discards: int | None = None
    out_discards: int | None = None


@dataclass
class StorageSample:
    """One hrStorage entry (memory or disk) in bytes."""

    index: int
    descr: str
    kind: str
    size_bytes: int
    used_bytes: int

    @property
    def used_percent(self) -> float | None:
        """Used share in percent, or None for an empty entry."""
        return 100.0 * self.used_bytes / self.size_bytes if self.size_bytes > 0 else None


@dataclass
class PollResult:
    """Everything one poll learnt about a device; `notes` explain missing or malformed data."""

    device_id: str
    status: Reachability
    detail: str = ""
    started_at: float = 0.0
    duration_seconds: float = 0.0
    sys_descr: str = ""
    sys_object_id: str = ""
    sys_name: str = ""
    sys_contact: str = ""
    sys_location: str = ""
    uptime_ticks: int | None = None
    cpu_percent: float | None = None
    memory_percent: float | None = None
    profile: str = ""
    interfaces: list[InterfaceSample] = field(default_factory=list)
    storage: list[StorageSample] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    requests: int = 0

    @property
    def partial(self) -> bool:
        """True when the device answered but some data was missing or malformed."""
        return self.status is Reachability.UP and bool(self.notes)
