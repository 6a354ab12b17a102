"""The enabled monitors: add / remove (validated, persisted, idempotent), a periodic asyncio task each."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from netscope.live.v1 import live_pb2 as pb
from netscope_common.errors import FailedPrecondition, NotFound, ResourceExhausted
from netscope_common.logs import get_logger
from netscope_live.monitoring.kinds import MonitorSpec, available_kinds, validate
from netscope_live.monitoring.probes import ProbeResult, probe
from netscope_live.monitoring.store import MonitorStore
from netscope_live.protoutil import timestamp

log = get_logger("netscope.live.monitoring")
MAX_MONITORS = 1000


@dataclass
class _Entry:
    spec: MonitorSpec
    created: float
    last: ProbeResult | None = None
    runs: int = 0
    failures: int = 0
    task: asyncio.Task[None] | None = field(default=None, repr=False)


class ActiveMonitors:
    """Runs the enabled monitors and keeps their last results."""

    def __init__(self, settings_dir: Path | None, max_monitors: int = MAX_MONITORS) -> None:
        self._store = MonitorStore(settings_dir)
        self._max = max_monitors
        self._entries: dict[str, _Entry] = {}
        self._lock = asyncio.Lock()
        self._client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        """Load the saved monitors and start measuring."""
        self._client = httpx.AsyncClient(follow_redirects=False, headers={"User-Agent": "netscope-live-monitor"})
        for spec, created in self._store.load():
            self._entries[spec.id] = _Entry(spec, created)
        for entry in self._entries.values():
            self._launch(entry)
        log.info("active monitoring started", monitors=len(self._entries), state=str(self._store.path or ""))

    async def stop(self) -> None:
        """Cancel every measurement task."""
        tasks = [e.task for e in self._entries.values() if e.task]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _launch(self, entry: _Entry) -> None:
        entry.task = asyncio.create_task(self._run(entry), name=f"monitor {entry.spec.id}")

    async def _run(self, entry: _Entry) -> None:
        assert self._client is not None
        while True:
            result = await probe(entry.spec, self._client)
            entry.last = result
            entry.runs += 1
            entry.failures += not result.ok
            await asyncio.sleep(entry.spec.interval_seconds)

    def _persist(self) -> None:
        self._store.save([(e.spec, e.created) for e in self._entries.values()])

    @staticmethod
    def _message(entry: _Entry) -> pb.Monitor:
        s = entry.spec
        monitor = pb.Monitor(
            id=s.id,
            kind=s.kind,
            host=s.host,
            port=s.port,
            url=s.url,
            interval_seconds=s.interval_seconds,
            threshold_ms=s.threshold_ms,
            created=timestamp(entry.created),
            runs=entry.runs,
            failures=entry.failures,
        )
        if entry.last is not None:
            r = entry.last
            monitor.last_result.CopyFrom(
                pb.MonitorResult(
                    time=timestamp(r.time),
                    ok=r.ok,
                    latency_ms=r.latency_ms,
                    status_code=r.status_code,
                    error=r.error,
                    threshold_exceeded=r.threshold_exceeded,
                )
            )
        return monitor

    def available(self) -> pb.ListAvailableMonitorsResponse:
        """The kinds and their parameters."""
        return pb.ListAvailableMonitorsResponse(kinds=available_kinds())

    def enabled(self) -> pb.ListEnabledMonitorsResponse:
        """Every enabled monitor with its last result, ordered by id."""
        return pb.ListEnabledMonitorsResponse(monitors=[self._message(self._entries[k]) for k in sorted(self._entries)])

    async def add(self, req: pb.AddMonitorRequest) -> pb.AddMonitorResponse:
        """Enable a monitor; the same kind and target returns (and updates) the existing one."""
        spec = validate(req)
        async with self._lock:
            existing = self._entries.get(spec.id)
            if existing is not None and existing.spec == spec:
                return pb.AddMonitorResponse(monitor=self._message(existing), created=False)
            if existing is None and len(self._entries) >= self._max:
                raise ResourceExhausted(f"{self._max} monitors are enabled already; remove one first")
            entry = _Entry(spec, existing.created if existing else time.time())
            if req.validate_only:
                return pb.AddMonitorResponse(
                    monitor=self._message(entry), created=existing is None, updated=existing is not None
                )
            if existing is not None and existing.task:
                existing.task.cancel()
            self._entries[spec.id] = entry
            try:
                self._persist()
            except OSError as exc:
                self._restore(spec.id, existing)
                raise FailedPrecondition(
                    f"cannot save the monitor in {self._store.path}: {exc.strerror or exc}"
                ) from None
            self._launch(entry)
            log.info("monitor added" if existing is None else "monitor updated", id=spec.id)
            return pb.AddMonitorResponse(monitor=self._message(entry), created=existing is None, updated=bool(existing))

    def _restore(self, key: str, previous: _Entry | None) -> None:
        if previous is None:
            self._entries.pop(key, None)
        else:
            self._entries[key] = previous
            self._launch(previous)

    async def remove(self, req: pb.RemoveMonitorRequest) -> pb.RemoveMonitorResponse:
        """Disable a monitor by id."""
        async with self._lock:
            entry = self._entries.pop(req.id, None)
            if entry is None:
                known = ", ".join(sorted(self._entries)[:10]) or "none"
                raise NotFound(f"no monitor has id {req.id[:120]!r}; enabled: {known}", field="id")
            try:
                self._persist()
            except OSError as exc:
                self._entries[req.id] = entry
                raise FailedPrecondition(
                    f"cannot save the change in {self._store.path}: {exc.strerror or exc}"
                ) from None
            if entry.task:
                entry.task.cancel()
            log.info("monitor removed", id=req.id)
            return pb.RemoveMonitorResponse(monitor=self._message(entry))
