"""Device and interface events, their de-duplication, and pluggable sinks."""

from __future__ import annotations

import collections
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from netscope_common.logs import get_logger
from netscope_ntopng.alert_types import OTHER_ALERT_IDS


class EventKind(StrEnum):
    """What happened; `ALERT_TYPES` maps each kind to ntopng's SNMP alert type."""

    DEVICE_UNREACHABLE = "device_unreachable"
    DEVICE_AUTH_FAILURE = "device_auth_failure"
    DEVICE_RECOVERED = "device_recovered"
    DEVICE_REBOOTED = "device_rebooted"
    INTERFACE_DOWN = "interface_down"
    INTERFACE_UP = "interface_up"
    INTERFACE_UTILIZATION_HIGH = "interface_utilization_high"
    INTERFACE_ERRORS_HIGH = "interface_errors_high"
    CPU_HIGH = "cpu_high"
    MEMORY_HIGH = "memory_high"


# ntopng's SNMP alert type for each kind.
_ALERT_TYPE_NAMES: dict[EventKind, str] = {
    EventKind.DEVICE_UNREACHABLE: "alert_snmp_device_polling_error",
    EventKind.DEVICE_AUTH_FAILURE: "alert_snmp_device_polling_error",
    EventKind.DEVICE_RECOVERED: "alert_snmp_device_polling_error",
    EventKind.DEVICE_REBOOTED: "alert_snmp_device_reset",
    EventKind.INTERFACE_DOWN: "alert_port_status_change",
    EventKind.INTERFACE_UP: "alert_port_status_change",
    EventKind.INTERFACE_UTILIZATION_HIGH: "alert_snmp_interface_threshold_crossed",
    EventKind.INTERFACE_ERRORS_HIGH: "alert_snmp_interface_errors",
    EventKind.CPU_HIGH: "alert_threshold_cross",
    EventKind.MEMORY_HIGH: "alert_threshold_cross",
}
# ntopng alert type id and name for each kind (ids from ntopng's catalogue).
ALERT_TYPES: dict[EventKind, tuple[int, str]] = {
    kind: (OTHER_ALERT_IDS[name], name) for kind, name in _ALERT_TYPE_NAMES.items()
}


@dataclass(frozen=True)
class Event:
    """One event about a device or one of its interfaces."""

    kind: EventKind
    device_id: str
    address: str
    severity: str
    message: str
    time: float = field(default_factory=time.time)
    if_index: int | None = None
    if_name: str = ""
    value: float | None = None
    threshold: float | None = None
    management_ip: str = ""

    @property
    def entity_name(self) -> str:
        """How ntopng names the alert's entity: '<device> ifIndex <n> <ifName>', or the device for device alerts."""
        if self.if_index is None:
            return self.device_id
        return f"{self.device_id} ifIndex {self.if_index} {self.if_name}".rstrip()

    @property
    def alert_type(self) -> tuple[int, str]:
        """ntopng alert type (id, name) of this event."""
        return ALERT_TYPES[self.kind]


class EventSink(Protocol):
    """Where events go (a log, a list, the alerts service)."""

    async def emit(self, event: Event) -> None:
        """Deliver one event; must not raise for delivery problems it can retry itself."""


class LogSink:
    """Writes events as structured log lines."""

    def __init__(self) -> None:
        self._log = get_logger("netscope_snmp.events")

    async def emit(self, event: Event) -> None:
        """Log the event at warning (problems) or info (recoveries) level."""
        log = self._log.warning if event.severity in ("warning", "error", "critical") else self._log.info
        log(
            "snmp_event",
            kind=event.kind.value,
            device=event.device_id,
            address=event.address,
            if_index=event.if_index,
            message=event.message,
        )


class MemorySink:
    """Keeps the newest `capacity` events in memory (answers DeviceAlerts; also used by tests)."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.events: collections.deque[Event] = collections.deque(maxlen=capacity)

    async def emit(self, event: Event) -> None:
        """Remember the event."""
        self.events.append(event)


class FanoutSink:
    """Sends each event to several sinks; a failing sink is logged and does not stop the others."""

    def __init__(self, *sinks: EventSink) -> None:
        self.sinks = list(sinks)
        self._log = get_logger("netscope_snmp.events")

    async def emit(self, event: Event) -> None:
        """Deliver to every sink."""
        for sink in self.sinks:
            try:
                await sink.emit(event)
            except Exception as exc:  # one broken sink must not lose the event for the others
                self._log.error("event_sink_failed", sink=type(sink).__name__, error=str(exc))


class ConditionGate:
    """De-duplicates threshold conditions: fire once when crossed, re-arm below threshold - hysteresis."""

    def __init__(self, hysteresis: float = 5.0) -> None:
        self.hysteresis = hysteresis
        self._active: set[tuple[str, str, int | None]] = set()

    def crossed(self, key: tuple[str, str, int | None], value: float | None, threshold: float) -> bool:
        """True exactly when `value` newly rises above `threshold` for this key."""
        if value is None:
            return False
        if value >= threshold:
            if key in self._active:
                return False
            self._active.add(key)
            return True
        if value < threshold - self.hysteresis:
            self._active.discard(key)
        return False

    def forget(self, device_id: str) -> None:
        """Drop every condition of a device (it was removed)."""
        self._active = {k for k in self._active if k[0] != device_id}
