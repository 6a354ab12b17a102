"""The running poller: inventory + shard filter + scheduler + state + event sinks."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from netscope_common.errors import FailedPrecondition, InvalidArgument, NotFound
from netscope_common.logs import get_logger
from netscope_snmp.events import EventSink, LogSink, MemorySink
from netscope_snmp.inventory import DeviceConfig, Inventory
from netscope_snmp.poller import Poller
from netscope_snmp.sample import PollResult
from netscope_snmp.sharding import Shard, shard_of
from netscope_snmp.state import DeviceView, FleetState

log = get_logger("netscope_snmp.runtime")


AMBIGUOUS_LISTED = 20


def ambiguous_address(address: str, device_ids: list[str]) -> InvalidArgument:
    """The error for an address several devices share (they differ by port or credentials)."""
    shown = ", ".join(device_ids[:AMBIGUOUS_LISTED])
    more = f" and {len(device_ids) - AMBIGUOUS_LISTED} more" if len(device_ids) > AMBIGUOUS_LISTED else ""
    return InvalidArgument(
        f"device {address!r} is ambiguous: {len(device_ids)} devices have this address ({shown}{more}); "
        "name the device by its id, one of those",
        field="device",
    )


class SnmpRuntime:
    """Polls this replica's devices on their intervals and keeps their state; PollNow on demand."""

    def __init__(
        self,
        inventory: Inventory,
        poller: Poller,
        state: FleetState,
        shard: Shard | None = None,
        sinks: list[EventSink] | None = None,
        event_buffer: int = 10_000,
        tick_seconds: float = 0.5,
        max_backoff_seconds: float = 600.0,
    ) -> None:
        self.inventory = inventory
        self.poller = poller
        self.state = state
        self.shard = shard or Shard()
        self.events = MemorySink(event_buffer)
        self.sinks: list[EventSink] = [self.events, *(sinks if sinks is not None else [LogSink()])]
        self.tick_seconds = tick_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self._next_due: dict[str, float] = {}
        self._in_flight: dict[str, asyncio.Task[PollResult]] = {}
        self._loop_task: asyncio.Task[None] | None = None
        self.sync_devices()
        self.warn_orphans()

    def shard_devices(self) -> list[DeviceConfig]:
        """Devices this replica polls."""
        return [d for d in self.inventory.devices() if self.shard.owns(d.id)]

    def sync_devices(self) -> None:
        """Track the shard's devices and forget those that left the inventory or the shard."""
        mine = {d.id: d for d in self.shard_devices()}
        for device_id in list(self.state.devices):
            if device_id not in mine:
                self.state.forget(device_id)
                self._next_due.pop(device_id, None)
                self.poller.forget(device_id)
        for device in mine.values():
            self.state.track(device)
            self._next_due.setdefault(device.id, 0.0)

    def find(self, key: str) -> DeviceView:
        """A device of this shard by id or address. Raises NotFound; InvalidArgument naming the device ids when
        the key is an address several devices share (of any shard: every replica reads the whole inventory, so
        each answers the same); FailedPrecondition naming the owning shard when another shard owns the device."""
        view = self.state.devices.get(key)
        if view is not None:
            return view
        devices = self.inventory.devices()
        if any(d.id == key for d in devices):
            raise self.not_owned(key)
        matches = sorted({d.id for d in devices if key in (d.address, d.management_ip)})
        if len(matches) > 1:
            raise ambiguous_address(key, matches)
        if not matches:
            raise NotFound(f"device {key!r} is not in the inventory", field="device")
        view = self.state.devices.get(matches[0])
        if view is None:
            raise self.not_owned(matches[0], key)
        return view

    def not_owned(self, device_id: str, key: str | None = None) -> FailedPrecondition:
        """The error for a per-device call that reached a replica not owning the device."""
        owner = shard_of(device_id, self.shard.count)
        named = f"device {key!r} (id {device_id!r})" if key and key != device_id else f"device {device_id!r}"
        return FailedPrecondition(
            f"{named} belongs to shard {owner} of {self.shard.count}, not to this replica (shard "
            f"{self.shard.index}): send per-device calls to the replica shard_of(device id, {self.shard.count})",
            field="device",
        )

    def warn_orphans(self) -> None:
        """Log API-added devices of this replica's state file that another shard owns now (the shard
        count changed): nobody polls them until they are added again through their owner."""
        for device in self.inventory.added():
            if not self.shard.owns(device.id):
                log.warning(
                    "snmp_added_device_not_in_shard",
                    device=device.id,
                    owner_shard=shard_of(device.id, self.shard.count),
                    shard_index=self.shard.index,
                    shard_count=self.shard.count,
                )

    async def start(self, poll_now: bool = True) -> None:
        """Start the scheduler (devices are due immediately when poll_now, else after one interval)."""
        if not poll_now:
            now = time.monotonic()
            for key in self._next_due:
                self._next_due[key] = now + self.state.devices[key].config.poll_interval_seconds
        self._loop_task = asyncio.create_task(self._schedule())

    def scheduler_failed(self) -> bool:
        """True when the scheduler task ended (it only ends by an unexpected error)."""
        return self._loop_task is not None and self._loop_task.done()

    async def stop(self) -> None:
        """Stop the scheduler and wait for polls in flight."""
        if self._loop_task:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        for task in list(self._in_flight.values()):
            task.cancel()
        await asyncio.gather(*self._in_flight.values(), return_exceptions=True)

    async def _schedule(self) -> None:
        while True:
            now = time.monotonic()
            for device_id, due in list(self._next_due.items()):
                if due <= now and device_id not in self._in_flight:
                    self._start_poll(self.state.devices[device_id].config)
            await asyncio.sleep(self.tick_seconds)

    def _start_poll(self, device: DeviceConfig) -> asyncio.Task[PollResult]:
        task = self._in_flight.get(device.id)
        if task is None:
            task = asyncio.create_task(self._poll_and_apply(device))
            self._in_flight[device.id] = task
            task.add_done_callback(self._done_callback(device.id))
        return task

    def _done_callback(self, device_id: str) -> Callable[[asyncio.Task[PollResult]], None]:
        def done(_task: asyncio.Task[PollResult]) -> None:
            self._in_flight.pop(device_id, None)

        return done

    async def _poll_and_apply(self, device: DeviceConfig) -> PollResult:
        result = await self.poller.poll(device)
        if device.id not in self.state.devices:  # removed while polling
            return result
        self._next_due[device.id] = time.monotonic() + self.next_interval(device)
        for event in self.state.apply(device, result):
            for sink in self.sinks:
                try:
                    await sink.emit(event)
                except Exception as exc:  # one broken sink must not stop polling
                    log.error("event_sink_failed", sink=type(sink).__name__, error=str(exc))
        return result

    def next_interval(self, device: DeviceConfig) -> float:
        """Seconds to the device's next scheduled poll: its interval, doubled for each further poll in a
        row that found it unreachable (1x, 2x, 4x ...), never more than max_backoff_seconds (nor less
        than the interval). PollNow ignores the back-off."""
        interval = float(device.poll_interval_seconds)
        misses = self.poller.consecutive_unreachable(device.id)
        if misses <= 1:
            return interval
        return max(interval, min(interval * 2 ** (misses - 1), self.max_backoff_seconds))

    async def poll_now(self, devices: list[DeviceConfig]) -> list[PollResult]:
        """Poll these devices now (joining polls already in flight) and return their results."""
        return list(await asyncio.gather(*(self._start_poll(d) for d in devices)))

    def add(self, device: DeviceConfig) -> None:
        """Add to the inventory and poll it; raises FailedPrecondition when another shard owns the id
        (nothing is stored: the owner's replica must accept it)."""
        if not self.shard.owns(device.id):
            raise self.not_owned(device.id)
        self.inventory.add(device)
        self.sync_devices()

    def remove(self, device_id: str) -> DeviceConfig:
        """Remove from the inventory and stop polling it; FailedPrecondition when another shard owns it."""
        if not self.shard.owns(device_id) and any(d.id == device_id for d in self.inventory.devices()):
            raise self.not_owned(device_id)
        device = self.inventory.remove(device_id)
        self.sync_devices()
        return device
