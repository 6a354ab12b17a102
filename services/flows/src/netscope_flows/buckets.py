"""SQL that spreads each flow's bytes evenly over the time buckets it spans (not all in its first bucket)."""

from __future__ import annotations

from netscope_flows.filters import CompiledFilter


def spread_join(flt: CompiledFilter, width: int) -> str:
    """An ARRAY JOIN giving each flow one row per `width`-second bucket it covers (alias `b`)."""
    last = f"least(toUInt32(LAST_SEEN), {int(flt.end.timestamp()) - 1})"
    return f"ARRAY JOIN range(intDiv(toUInt32(FIRST_SEEN), {width}) * {width}, {last} + 1, {width}) AS b"


def share(flt: CompiledFilter, width: int) -> str:
    """The fraction of a flow's duration inside bucket `b` (use with spread_join)."""
    last = f"least(toUInt32(LAST_SEEN), {int(flt.end.timestamp()) - 1})"
    return (
        f"(least(b + {width}, {last} + 1) - greatest(b, toUInt32(FIRST_SEEN))) "
        f"/ (greatest({last}, toUInt32(FIRST_SEEN)) - toUInt32(FIRST_SEEN) + 1)"
    )
