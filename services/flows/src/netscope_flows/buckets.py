"""SQL that spreads each flow's bytes evenly over the time buckets it spans (not all in its first bucket)."""

from __future__ import annotations

from netscope_flows.filters import CompiledFilter


def spread_join(flt: CompiledFilter, width: int) -> str:
    """An ARRAY JOIN giving each flow one row per `width`-second bucket it covers (alias `b`)."""
    last = f"least(toUInt32(LAST_SEEN), {int(flt.end.timestamp()) - 1})"
    return f"ARRAY JOIN range(intDiv(toUInt32(FIRST_SEEN), {width}) * {width}, {last} + 1, {width}) AS b"


def share(flt: CompiledFilter, width: int) -> str:
    """The fraction of a flow's whole duration inside bucket `b` (use with spread_join).

    The part of a flow after the window's end is cut off, not squeezed into the last bucket (that made a
    link look 110 % full in the window's last minute).
    """
    last = f"least(toUInt32(LAST_SEEN), {int(flt.end.timestamp()) - 1})"
    return (
        f"(least(b + {width}, {last} + 1) - greatest(b, toUInt32(FIRST_SEEN))) "
        "/ (greatest(toUInt32(LAST_SEEN), toUInt32(FIRST_SEEN)) - toUInt32(FIRST_SEEN) + 1)"
    )
