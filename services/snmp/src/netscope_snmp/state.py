"""What the service knows about each device: latest data, rates, bounded history, reachability, events."""

from __future__ import annotations

import collections
import time
from dataclasses import dataclass, field

from netscope_snmp.derive import InterfaceRates, elapsed_seconds, interface_rates
from netscope_snmp.events import ConditionGate, Event, EventKind
from netscope_snmp.inventory import DeviceConfig
from netscope_snmp.sample import InterfaceSample, PollResult, Reachability, StorageSample


@dataclass(frozen=True)
class Thresholds:
    """Event thresholds in percent (utilisation, CPU, memory) and errors per second."""

    utilization_percent: float = 80.0
    cpu_percent: float = 90.0
    memory_percent: float = 90.0
    errors_per_second: float = 1.0
    hysteresis_percent: float = 5.0


@dataclass(frozen=True)
class HistoryPoint:
    """One interval of one interface."""

    time: float
    in_bps: float | None
    out_bps: float | None
    utilization: float | None
    in_errors_per_s: float | None
    out_errors_per_s: float | None
    oper_status: str
    in_utilization: float | None = None
    out_utilization: float | None = None


@dataclass
class InterfaceView:
    """Latest sample, rates and history of one interface."""

    sample: InterfaceSample
    rates: InterfaceRates = field(default_factory=InterfaceRates)
    last_change: float | None = None
    history: collections.deque[HistoryPoint] = field(default_factory=collections.deque)


@dataclass
class DeviceView:
    """Everything known about one device."""

    config: DeviceConfig
    status: Reachability = Reachability.NOT_POLLED
    detail: str = "not polled yet"
    last_seen: float | None = None
    last_polled: float | None = None
    last_duration: float | None = None
    sys_descr: str = ""
    sys_object_id: str = ""
    sys_name: str = ""
    sys_contact: str = ""
    sys_location: str = ""
    uptime_ticks: int | None = None
    cpu_percent: float | None = None
    memory_percent: float | None = None
    profile: str = ""
    storage: list[StorageSample] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    interfaces: dict[int, InterfaceView] = field(default_factory=dict)

    @property
    def partial(self) -> bool:
        """Answered, but some data was missing or malformed."""
        return self.status is Reachability.UP and bool(self.notes)


class FleetState:
    """Applies poll results: derives rates, keeps history and reachability, and produces events."""

    def __init__(self, thresholds: Thresholds | None = None, history_points: int = 360) -> None:
        self.thresholds = thresholds or Thresholds()
        self.history_points = history_points
        self.devices: dict[str, DeviceView] = {}
        self._gate = ConditionGate(self.thresholds.hysteresis_percent)

    def track(self, config: DeviceConfig) -> DeviceView:
        """Start (or keep) tracking a device; its config is updated in place."""
        view = self.devices.get(config.id)
        if view is None:
            view = self.devices[config.id] = DeviceView(config=config)
        view.config = config
        return view

    def forget(self, device_id: str) -> None:
        """Stop tracking a device."""
        self.devices.pop(device_id, None)
        self._gate.forget(device_id)

    def apply(self, config: DeviceConfig, result: PollResult) -> list[Event]:
        """Fold one poll result into the device's view; return the events it caused."""
        view = self.track(config)
        events: list[Event] = []
        previous_status = view.status
        view.last_polled = result.started_at or time.time()
        view.last_duration = result.duration_seconds
        view.status, view.detail = result.status, result.detail
        if result.status is not Reachability.UP:
            events += self._failure_events(view, previous_status)
            return events
        if previous_status in (Reachability.UNREACHABLE, Reachability.AUTH_FAILURE, Reachability.ERROR):
            events.append(self._event(view, EventKind.DEVICE_RECOVERED, "info", "device answers SNMP again"))
        now = view.last_polled
        seconds, rebooted = (
            elapsed_seconds(view.uptime_ticks, result.uptime_ticks, view.last_seen or now, now)
            if view.last_seen is not None
            else (None, False)
        )
        if rebooted:
            events.append(self._event(view, EventKind.DEVICE_REBOOTED, "notice", "sysUpTime went back: rebooted"))
            seconds = None
        self._copy_system(view, result)
        events += self._update_interfaces(view, result.interfaces, seconds, now)
        events += self._health_events(view)
        view.last_seen = now
        return events

    @staticmethod
    def _copy_system(view: DeviceView, result: PollResult) -> None:
        view.sys_descr, view.sys_object_id = result.sys_descr, result.sys_object_id
        view.sys_name, view.sys_contact, view.sys_location = (
            result.sys_name,
            result.sys_contact,
            result.sys_location,
        )
        view.uptime_ticks = result.uptime_ticks
        view.cpu_percent, view.memory_percent = result.cpu_percent, result.memory_percent
        view.profile, view.storage, view.notes = result.profile, result.storage, result.notes

    def _failure_events(self, view: DeviceView, previous: Reachability) -> list[Event]:
        if view.status == previous:
            return []
        if view.status is Reachability.AUTH_FAILURE:
            return [self._event(view, EventKind.DEVICE_AUTH_FAILURE, "error", view.detail)]
        return [self._event(view, EventKind.DEVICE_UNREACHABLE, "error", view.detail)]

    def _update_interfaces(
        self, view: DeviceView, samples: list[InterfaceSample], seconds: float | None, now: float
    ) -> list[Event]:
        events: list[Event] = []
        fresh: dict[int, InterfaceView] = {}
        for sample in samples:
            iface = view.interfaces.get(sample.index)
            if iface is None:
                iface = InterfaceView(sample=sample, history=collections.deque(maxlen=self.history_points))
            else:
                if iface.sample.oper_status != sample.oper_status:
                    iface.last_change = now
                    events += self._status_events(view, iface.sample, sample)
                iface.rates = interface_rates(iface.sample, sample, seconds) if seconds else InterfaceRates()
                iface.sample = sample
            fresh[sample.index] = iface
            r = iface.rates
            iface.history.append(
                HistoryPoint(
                    now,
                    r.in_bps,
                    r.out_bps,
                    r.utilization,
                    r.in_errors_per_s,
                    r.out_errors_per_s,
                    sample.oper_status,
                    r.in_utilization,
                    r.out_utilization,
                )
            )
            events += self._interface_threshold_events(view, iface)
        view.interfaces = fresh
        return events

    def _status_events(self, view: DeviceView, old: InterfaceSample, new: InterfaceSample) -> list[Event]:
        if new.oper_status == "up":
            kind, severity = EventKind.INTERFACE_UP, "info"
        elif old.oper_status == "up" and new.admin_status == "up":
            kind, severity = EventKind.INTERFACE_DOWN, "warning"
        else:
            return []
        message = f"interface {new.name or new.index} oper status {old.oper_status} -> {new.oper_status}"
        return [self._event(view, kind, severity, message, new)]

    def _interface_threshold_events(self, view: DeviceView, iface: InterfaceView) -> list[Event]:
        t, s, r = self.thresholds, iface.sample, iface.rates
        events = []
        util = r.utilization
        if self._gate.crossed((view.config.id, "util", s.index), util, t.utilization_percent):
            msg = f"interface {s.name or s.index} utilisation {util:.1f}% >= {t.utilization_percent:g}%"
            events.append(
                self._event(view, EventKind.INTERFACE_UTILIZATION_HIGH, "warning", msg, s, util, t.utilization_percent)
            )
        errors = None
        if r.in_errors_per_s is not None or r.out_errors_per_s is not None:
            errors = (r.in_errors_per_s or 0.0) + (r.out_errors_per_s or 0.0)
        if self._gate.crossed((view.config.id, "errors", s.index), errors, t.errors_per_second):
            msg = f"interface {s.name or s.index} errors {errors:.2f}/s >= {t.errors_per_second:g}/s"
            events.append(
                self._event(view, EventKind.INTERFACE_ERRORS_HIGH, "warning", msg, s, errors, t.errors_per_second)
            )
        return events

    def _health_events(self, view: DeviceView) -> list[Event]:
        t = self.thresholds
        events = []
        for kind, key, value, threshold in (
            (EventKind.CPU_HIGH, "cpu", view.cpu_percent, t.cpu_percent),
            (EventKind.MEMORY_HIGH, "memory", view.memory_percent, t.memory_percent),
        ):
            if self._gate.crossed((view.config.id, key, None), value, threshold):
                msg = f"{key} {value:.1f}% >= {threshold:g}%"
                events.append(self._event(view, kind, "warning", msg, None, value, threshold))
        return events

    @staticmethod
    def _event(
        view: DeviceView,
        kind: EventKind,
        severity: str,
        message: str,
        iface: InterfaceSample | None = None,
        value: float | None = None,
        threshold: float | None = None,
    ) -> Event:
        return Event(
            kind=kind,
            device_id=view.config.id,
            address=view.config.address,
            severity=severity,
            message=message,
            if_index=iface.index if iface else None,
            if_name=iface.name if iface else "",
            value=value,
            threshold=threshold,
            management_ip=view.config.management_ip or "",
        )
