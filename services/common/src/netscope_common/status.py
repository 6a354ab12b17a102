"""What a process says about itself to `netscope status`: version, start time, last error and recent rates.

Services send it as `netscope-status-bin` initial metadata (JSON) on their health Check answers; the aggregator
reads it there and adds its own.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version

import grpc

STATUS_KEY = "netscope-status-bin"
# Failures of the service itself, as opposed to refusals of a caller's request (bad argument, not found...).
SERVER_FAULTS = frozenset(
    {
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.DATA_LOSS,
    }
)
WINDOW_SECONDS = 60


class RecentCount:
    """Events in the last WINDOW_SECONDS, in one-second buckets (constant memory, O(1) per event)."""

    def __init__(self) -> None:
        self._buckets = [0] * WINDOW_SECONDS
        self._seconds = [0] * WINDOW_SECONDS

    def add(self, now: float | None = None) -> None:
        """Count one event now."""
        second = int(time.monotonic() if now is None else now)
        slot = second % WINDOW_SECONDS
        if self._seconds[slot] != second:
            self._seconds[slot], self._buckets[slot] = second, 0
        self._buckets[slot] += 1

    def per_minute(self, now: float | None = None) -> int:
        """Events in the last minute."""
        second = int(time.monotonic() if now is None else now)
        return sum(n for n, s in zip(self._buckets, self._seconds, strict=True) if second - s < WINDOW_SECONDS)


def package_version(dist: str) -> str:
    """The installed version of a distribution, or 'unknown'."""
    try:
        return version(dist)
    except PackageNotFoundError:
        return "unknown"


@dataclass
class ProcessStatus:
    """Counters of one process's calls (RPCs for a service, tool calls for the aggregator)."""

    name: str
    version: str = ""
    started: float = field(default_factory=time.time)
    calls: RecentCount = field(default_factory=RecentCount)
    errors: RecentCount = field(default_factory=RecentCount)
    last_error: str = ""
    last_error_at: float = 0.0
    detail: Callable[[], str] | None = None  # how the process serves, when it is not the whole job (reads only)

    def __post_init__(self) -> None:
        self.version = self.version or package_version(f"netscope-{self.name}")

    def record(self, error: str = "") -> None:
        """Count one call; a non-empty `error` (what failed and why) counts as an error and is kept as the last."""
        self.calls.add()
        if error:
            self.errors.add()
            self.last_error, self.last_error_at = error[:300], time.time()

    def snapshot(self) -> dict[str, object]:
        """Plain values, as `netscope status` shows them."""
        return {
            "version": self.version,
            "started": self.started,
            "uptime_seconds": round(time.time() - self.started, 1),
            "calls_per_minute": self.calls.per_minute(),
            "errors_per_minute": self.errors.per_minute(),
            "last_error": self.last_error,
            "last_error_at": self.last_error_at or None,
            "detail": self.detail() if self.detail else "",
        }

    def metadata(self) -> tuple[tuple[str, bytes], ...]:
        """The snapshot as gRPC metadata."""
        return ((STATUS_KEY, json.dumps(self.snapshot()).encode()),)


def status_from_metadata(metadata: Iterable[tuple[str, str | bytes]] | None) -> dict[str, object]:
    """The snapshot a service sent with its health answer ({} when it sent none)."""
    for key, value in metadata or ():
        if key == STATUS_KEY:
            loaded = json.loads(value if isinstance(value, bytes) else value.encode())
            return loaded if isinstance(loaded, dict) else {}
    return {}
