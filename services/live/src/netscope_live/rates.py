"""Sliding-window byte counters: a small ring of per-bucket sums, read as bits per second."""

from __future__ import annotations


class RateWindow:
    """Bytes added in the last `buckets * bucket_seconds` seconds (the bucket being filled included)."""

    __slots__ = ("_stamps", "_sums", "bucket_seconds")

    def __init__(self, buckets: int, bucket_seconds: int) -> None:
        self.bucket_seconds = bucket_seconds
        self._sums = [0] * buckets
        self._stamps = [-1] * buckets

    def slot(self, now: float) -> int:
        """The bucket number of time `now` (compute once per batch, then `add` many times)."""
        return int(now) // self.bucket_seconds

    def add(self, slot: int, value: int) -> None:
        """Account `value` bytes in bucket `slot` (see `slot`)."""
        i = slot % len(self._sums)
        if self._stamps[i] == slot:
            self._sums[i] += value
        else:
            self._stamps[i] = slot
            self._sums[i] = value

    def total(self, now: float) -> int:
        """Bytes inside the window ending at `now`."""
        slot = int(now) // self.bucket_seconds
        n = len(self._sums)
        return sum(s for s, stamp in zip(self._sums, self._stamps, strict=True) if 0 <= slot - stamp < n)

    def bps(self, now: float) -> float:
        """Average bits per second over the window ending at `now`."""
        return self.total(now) * 8 / (len(self._sums) * self.bucket_seconds)
