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


class KeyedRates:
    """Bytes per key (a host address) in the last `buckets * bucket_seconds` seconds: a ring of dicts.

    Only keys with traffic inside the window have entries, and a bucket's whole dict is dropped
    when the window moves past it, so idle keys cost nothing and the busiest keys of the window are
    found from the window's dicts alone (not from every key ever seen).
    """

    __slots__ = ("_dicts", "_stamps", "bucket_seconds")

    def __init__(self, buckets: int, bucket_seconds: int) -> None:
        self.bucket_seconds = bucket_seconds
        self._dicts: list[dict[str, int]] = [{} for _ in range(buckets)]
        self._stamps = [-1] * buckets

    def bucket(self, slot: int) -> dict[str, int]:
        """The dict of bucket `slot` (see RateWindow.slot); add to it with `d[key] = d.get(key, 0) + n`."""
        i = slot % len(self._dicts)
        if self._stamps[i] != slot:
            self._stamps[i] = slot
            self._dicts[i] = {}
        return self._dicts[i]

    def _live(self, now: float) -> list[dict[str, int]]:
        slot = int(now) // self.bucket_seconds
        n = len(self._dicts)
        return [d for d, stamp in zip(self._dicts, self._stamps, strict=True) if 0 <= slot - stamp < n and d]

    def total(self, key: str, now: float) -> int:
        """Bytes of `key` inside the window ending at `now`."""
        return sum(d.get(key, 0) for d in self._live(now))

    def bps(self, key: str, now: float) -> float:
        """Average bits per second of `key` over the window ending at `now`."""
        return self.total(key, now) * 8 / (len(self._dicts) * self.bucket_seconds)

    def totals(self, now: float) -> dict[str, int]:
        """Bytes of every key with traffic inside the window (do not modify the answer)."""
        live = sorted(self._live(now), key=len, reverse=True)
        if not live:
            return {}
        if len(live) == 1:
            return live[0]
        merged = dict(live[0])
        for d in live[1:]:
            for key, value in d.items():
                merged[key] = merged.get(key, 0) + value
        return merged
