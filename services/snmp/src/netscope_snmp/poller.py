"""Polls devices: one multi-column GETBULK walk per device, vendor-profile fallback, outcome classes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping

from netscope_common.tracing import span
from netscope_snmp import oids
from netscope_snmp.ber import Missing, Value, oid_str, type_name
from netscope_snmp.inventory import DeviceConfig
from netscope_snmp.limit import AdaptiveLimit
from netscope_snmp.metrics import (
    POLL_OVERRUNS,
    POLL_SECONDS,
    POLLS,
    REQUESTS,
    UNREACHABLE_DEVICES,
    WALK_LIMIT,
)
from netscope_snmp.profiles import find_profile
from netscope_snmp.sample import InterfaceSample, PollResult, Reachability, StorageSample
from netscope_snmp.transport import Oid, SnmpClient, SnmpFailure, Timing, WalkResult
from netscope_snmp.walkplan import WalkPlan

_WALK_COLUMNS: dict[str, str] = {
    **{f"if.{k}": v for k, v in oids.INTERFACE_COLUMNS.items()},
    "hr.cpu": oids.HR_PROCESSOR_LOAD,
    **{f"st.{k}": v for k, v in oids.STORAGE_COLUMNS.items()},
}


def _text(value: Value) -> str:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value.decode("latin-1")
    if isinstance(value, tuple):
        return oid_str(value)
    return "" if value is None or isinstance(value, Missing) else str(value)


def _number(value: Value, what: str, notes: list[str]) -> int | None:
    if value is None:
        return None
    if isinstance(value, int):
        return value
    kind = "missing" if isinstance(value, Missing) else f"not a number ({type_name(value)})"
    notes.append(f"{what} is {kind}")
    return None


def _index(suffix: Oid) -> int | None:
    return suffix[0] if len(suffix) == 1 else None


class _Parser:
    """Turns a WalkResult into samples, collecting notes about malformed values."""

    def __init__(self, walk: WalkResult) -> None:
        self.walk = walk
        self.notes: list[str] = []

    def col(self, name: str) -> dict[Oid, Value]:
        return self.walk.columns.get(name, {})

    def interfaces(self) -> list[InterfaceSample]:
        indexes: set[int] = set()
        for name in oids.INTERFACE_COLUMNS:
            indexes.update(i for i in map(_index, self.col(f"if.{name}")) if i is not None)
        if not indexes:
            self.notes.append("IF-MIB ifTable/ifXTable returned no interfaces")
            return []
        return [self._interface(i) for i in sorted(indexes)]

    def _interface(self, index: int) -> InterfaceSample:
        key = (index,)

        def raw(name: str) -> Value:
            return self.col(f"if.{name}").get(key)

        def num(name: str) -> int | None:
            return _number(raw(name), f"ifIndex {index} {name}", self.notes)

        status = {name: oids.IF_STATUS_NAMES.get(num(name) or 0, "unknown") for name in ("admin_status", "oper_status")}
        hc_in, hc_out = num("hc_in_octets"), num("hc_out_octets")
        bits = 64 if hc_in is not None and hc_out is not None else 32
        high_speed = num("high_speed")
        speed = high_speed * 1_000_000 if high_speed else num("speed")
        return InterfaceSample(
            index=index,
            name=_text(raw("name")) or _text(raw("descr")),
            descr=_text(raw("descr")),
            alias=_text(raw("alias")),
            if_type=num("type"),
            speed_bps=speed,
            admin_status=status["admin_status"],
            oper_status=status["oper_status"],
            in_octets=hc_in if bits == 64 else num("in_octets"),
            out_octets=hc_out if bits == 64 else num("out_octets"),
            counter_bits=bits,
            in_errors=num("in_errors"),
            out_errors=num("out_errors"),
            in_discards=num("in_discards"),
            out_discards=num("out_discards"),
        )

    def cpu(self) -> float | None:
        loads = [
            n
            for s, v in self.col("hr.cpu").items()
            if (n := _number(v, f"hrProcessorLoad.{'.'.join(map(str, s))}", self.notes)) is not None
        ]
        return sum(loads) / len(loads) if loads else None

    def storage(self) -> list[StorageSample]:
        out = []
        for suffix, descr in self.col("st.descr").items():
            where = f"hrStorage {'.'.join(map(str, suffix))}"
            units = _number(self.col("st.allocation_units").get(suffix), f"{where} units", self.notes)
            size = _number(self.col("st.size").get(suffix), f"{where} size", self.notes)
            used = _number(self.col("st.used").get(suffix), f"{where} used", self.notes)
            kind_oid = self.col("st.type").get(suffix)
            kind_text = oid_str(kind_oid) if isinstance(kind_oid, tuple) else ""
            kind = {oids.HR_STORAGE_RAM: "ram", oids.HR_STORAGE_FIXED_DISK: "disk"}.get(kind_text, "other")
            if units is None or size is None or used is None or _index(suffix) is None:
                continue
            out.append(StorageSample(_index(suffix) or 0, _text(descr), kind, size * units, used * units))
        return out


def memory_percent(storage: Iterable[StorageSample]) -> float | None:
    """Used physical memory (hrStorageRam entries) in percent."""
    ram = [s for s in storage if s.kind == "ram" and s.size_bytes > 0]
    if not ram:
        return None
    return 100.0 * sum(s.used_bytes for s in ram) / sum(s.size_bytes for s in ram)


class Poller:
    """Polls devices with an adaptive global concurrency limit and per-device timeout and retries.

    A device not known to answer (never polled by this poller, or silent/refusing last time) is first
    probed with one GET of sysUpTime.0 outside the walk limit: dead devices then cost one small request
    that waits in parallel with all others, never a walk slot, so a cycle stays bounded by
    timeout x attempts however many devices are dead. A device that was unreachable last time is probed
    with a single attempt. Only devices that answer are walked, under `limit` (`AdaptiveLimit`).
    """

    def __init__(
        self,
        client: SnmpClient,
        concurrency: int = 64,
        timeout_seconds: float = 2.0,
        retries: int = 1,
        probe_concurrency: int = 512,
        full_walk_every: int = 10,
    ) -> None:
        self.client = client
        self.timeout_seconds = timeout_seconds
        self.retries = retries
        self.limit = AdaptiveLimit(concurrency)
        self._probes = asyncio.Semaphore(probe_concurrency)
        self._answering: set[str] = set()
        self._silent: dict[str, int] = {}
        self.plan = WalkPlan(_WALK_COLUMNS, full_walk_every)

    def forget(self, device_id: str) -> None:
        """Drop what the poller remembers of a device (it left the inventory or the shard)."""
        self._answering.discard(device_id)
        self._silent.pop(device_id, None)
        UNREACHABLE_DEVICES.set(len(self._silent))
        self.plan.forget(device_id)

    def consecutive_unreachable(self, device_id: str) -> int:
        """How many polls in a row found the device unreachable (0 after any answer)."""
        return self._silent.get(device_id, 0)

    async def poll_many(self, devices: Iterable[DeviceConfig]) -> list[PollResult]:
        """Poll devices concurrently; results in the same order."""
        return list(await asyncio.gather(*(self.poll(d) for d in devices)))

    async def poll(self, device: DeviceConfig) -> PollResult:
        """Poll one device; never raises for SNMP problems (they become the result's status)."""
        started, clock = time.time(), time.perf_counter()
        with span("snmp poll", new_trace=True, snmp_device=device.id) as current:
            result = await self._poll(device)
            if current is not None:
                current.set_attribute("snmp.status", result.status.value)
        result.started_at = started
        result.duration_seconds = time.perf_counter() - clock
        POLLS.labels(result.status.value).inc()
        POLL_SECONDS.observe(result.duration_seconds)
        if result.duration_seconds > device.poll_interval_seconds:
            POLL_OVERRUNS.inc()
        REQUESTS.inc(result.requests)
        WALK_LIMIT.set(self.limit.limit)
        if result.status is Reachability.UP:
            self._answering.add(device.id)
        else:
            self._answering.discard(device.id)
        if result.status is Reachability.UNREACHABLE:
            self._silent[device.id] = self._silent.get(device.id, 0) + 1
        else:
            self._silent.pop(device.id, None)
        UNREACHABLE_DEVICES.set(len(self._silent))
        return result

    def _timing(self, device: DeviceConfig) -> Timing:
        return Timing(
            device.timeout_seconds or self.timeout_seconds,
            self.retries if device.retries is None else device.retries,
        )

    async def _poll(self, device: DeviceConfig) -> PollResult:
        timing = self._timing(device)
        probed = 0
        if device.id not in self._answering:
            probe_timing = Timing(timing.timeout_s, 0) if self._silent.get(device.id) else timing
            async with self._probes:
                try:
                    await self.client.get(device, [f"{oids.SYS_UPTIME}.0"], probe_timing)
                except SnmpFailure as failure:
                    return PollResult(device.id, *_failure_status(device, failure, probe_timing), requests=1)
            probed = 1
        async with self.limit:
            began = time.monotonic()
            try:
                walk = await self._walk(device, timing)
            except SnmpFailure as failure:
                if failure.kind == "timeout":
                    self.limit.observe(began, timing.timeout_s * (timing.retries + 1), timing.timeout_s)
                return PollResult(device.id, *_failure_status(device, failure, timing), requests=probed)
            self.limit.observe(began, walk.slowest_answer_s, timing.timeout_s)
        result = self._build(device, walk)
        result.requests += probed
        if result.cpu_percent is None or result.memory_percent is None:
            await self._apply_profile(device, result, timing)
        return result

    async def _walk(self, device: DeviceConfig, timing: Timing) -> WalkResult:
        """A light walk (changing columns only) when the plan allows and it fits, else a full one."""
        columns, full = self.plan.columns_for(device.id)
        light_requests = 0
        if not full:
            walk = await self.client.walk(device, oids.SYSTEM_SCALARS, columns, timing)
            if self.plan.complete_light(device.id, walk):
                return walk
            light_requests = walk.requests
        walk = await self.client.walk(device, oids.SYSTEM_SCALARS, _WALK_COLUMNS, timing)
        walk.requests += light_requests
        self.plan.after_full(device.id, walk)
        return walk

    @staticmethod
    def _build(device: DeviceConfig, walk: WalkResult) -> PollResult:
        parser = _Parser(walk)
        s = walk.scalars
        result = PollResult(device.id, Reachability.UP, requests=walk.requests)
        result.sys_descr = _text(s.get("sys_descr"))
        result.sys_object_id = _text(s.get("sys_object_id"))
        result.sys_name = _text(s.get("sys_name"))
        result.sys_contact = _text(s.get("sys_contact"))
        result.sys_location = _text(s.get("sys_location"))
        result.uptime_ticks = _number(s.get("sys_uptime"), "sysUpTime", parser.notes)
        result.interfaces = parser.interfaces()
        result.cpu_percent = parser.cpu()
        result.storage = parser.storage()
        result.memory_percent = memory_percent(result.storage)
        result.notes = walk.notes + parser.notes
        return result

    async def _apply_profile(self, device: DeviceConfig, result: PollResult, timing: Timing) -> None:
        profile = find_profile(device.profile, result.sys_object_id)
        missing = [n for n, v in (("CPU", result.cpu_percent), ("memory", result.memory_percent)) if v is None]
        if profile is None:
            if device.profile:
                result.notes.append(f"vendor profile {device.profile!r} is not registered")
            result.notes.append(f"no HOST-RESOURCES {' or '.join(missing)} data and no vendor profile matches")
            return
        result.profile = profile.name
        try:
            answer = await self.client.get(device, list(profile.oids.values()), timing)
        except SnmpFailure as failure:
            result.notes.append(f"vendor profile {profile.name}: {failure.detail}")
            return
        values = _profile_values(profile.oids, answer, profile.name, result.notes)
        if result.cpu_percent is None:
            result.cpu_percent = profile.cpu(values)
        if result.memory_percent is None:
            result.memory_percent = profile.memory(values)
        still = [n for n, v in (("CPU", result.cpu_percent), ("memory", result.memory_percent)) if v is None]
        if still:
            result.notes.append(f"{' and '.join(still)} unknown: neither HOST-RESOURCES nor profile {profile.name}")


def _profile_values(names: Mapping[str, str], answer: Mapping[str, Value], profile: str, notes: list[str]) -> dict:
    values: dict[str, int] = {}
    for name, oid in names.items():
        number = _number(answer.get(oid), f"{profile} {name} ({oid})", notes)
        if number is not None:
            values[name] = number
    return values


def _failure_status(device: DeviceConfig, failure: SnmpFailure, timing: Timing) -> tuple[Reachability, str]:
    waited = timing.describe()
    if failure.kind == "timeout":
        if device.version == "v2c":
            return Reachability.UNREACHABLE, f"no answer ({waited}): unreachable or wrong community"
        return Reachability.UNREACHABLE, f"no answer ({waited}): unreachable"
    if failure.kind == "auth":
        return Reachability.AUTH_FAILURE, f"SNMPv3 authentication failed: {failure.detail}"
    return Reachability.ERROR, failure.detail
