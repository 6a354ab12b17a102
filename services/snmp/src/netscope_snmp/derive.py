"""Rates from counter deltas: 32-bit wrap, counter reset and agent reboot (sysUpTime going back)."""

from __future__ import annotations

from dataclasses import dataclass

from netscope_snmp.sample import InterfaceSample

_WRAP32 = 2**32


def counter_delta(previous: int | None, current: int | None, bits: int, max_plausible: float | None) -> int | None:
    """Increase of a counter between two readings, or None when it cannot be known.

    A decrease is a wrap only for 32-bit counters and only when the wrapped delta is plausible (below
    `max_plausible` when given, else below half the range); otherwise the counter was reset (agent
    restart, interface re-created, cleared counters) and no rate exists for this interval. A 64-bit
    counter does not wrap in practice, so its decrease is always a reset.
    """
    if previous is None or current is None:
        return None
    if current >= previous:
        return current - previous
    if bits != 32:
        return None
    wrapped = current + _WRAP32 - previous
    limit = max_plausible if max_plausible is not None else _WRAP32 / 2
    return wrapped if wrapped <= limit else None


def elapsed_seconds(
    prev_uptime: int | None, cur_uptime: int | None, prev_time: float, cur_time: float
) -> tuple[float | None, bool]:
    """Seconds between two polls and whether the agent rebooted in between.

    Uses sysUpTime (agent clock, hundredths of a second) when both readings exist and it advanced;
    a sysUpTime that went back means a reboot (counters restarted: no rate for this interval).
    """
    if prev_uptime is not None and cur_uptime is not None:
        if cur_uptime < prev_uptime:
            return None, True
        if cur_uptime > prev_uptime:
            return (cur_uptime - prev_uptime) / 100.0, False
    wall = cur_time - prev_time
    return (wall if wall > 0 else None), False


@dataclass(frozen=True)
class InterfaceRates:
    """Per-second rates of one interface over one polling interval (None when unknown)."""

    in_bps: float | None = None
    out_bps: float | None = None
    in_utilization: float | None = None
    out_utilization: float | None = None
    in_errors_per_s: float | None = None
    out_errors_per_s: float | None = None
    in_discards_per_s: float | None = None
    out_discards_per_s: float | None = None

    @property
    def utilization(self) -> float | None:
        """The busier direction's utilisation in percent (full-duplex convention)."""
        values = [v for v in (self.in_utilization, self.out_utilization) if v is not None]
        return max(values) if values else None


def interface_rates(prev: InterfaceSample, cur: InterfaceSample, seconds: float) -> InterfaceRates:
    """Rates between two samples of the same interface taken `seconds` apart (seconds > 0)."""
    speed = cur.speed_bps or None
    octet_limit = speed * seconds / 8 * 1.5 if speed else None

    def octets(p: int | None, c: int | None) -> float | None:
        bits = cur.counter_bits if prev.counter_bits == cur.counter_bits else 0
        delta = counter_delta(p, c, bits, octet_limit) if bits else None
        return None if delta is None else delta * 8 / seconds

    def per_second(p: int | None, c: int | None) -> float | None:
        delta = counter_delta(p, c, 32, None)
        return None if delta is None else delta / seconds

    in_bps, out_bps = octets(prev.in_octets, cur.in_octets), octets(prev.out_octets, cur.out_octets)
    return InterfaceRates(
        in_bps=in_bps,
        out_bps=out_bps,
        in_utilization=_util(in_bps, speed),
        out_utilization=_util(out_bps, speed),
        in_errors_per_s=per_second(prev.in_errors, cur.in_errors),
        out_errors_per_s=per_second(prev.out_errors, cur.out_errors),
        in_discards_per_s=per_second(prev.in_discards, cur.in_discards),
        out_discards_per_s=per_second(prev.out_discards, cur.out_discards),
    )


def _util(bps: float | None, speed: int | None) -> float | None:
    return None if bps is None or not speed else min(100.0, 100.0 * bps / speed)
