"""A real-time NetFlow exporter: the world's latest traffic replayed at its own pace, on the wall clock, in a loop.

`replay` (exporter.py) sends a whole world as fast as asked, with its historical timestamps: right for loading a
collector, wrong for a live view (a day of traffic in minutes reads as 180 times the real throughput). This
replay plays the world's last `loop_seconds` with every time shifted to now: each flow is exported when it ends,
a long flow in slices of EXPORT_SLICE_SECONDS (as a router's active timeout does), and when the window is
done it starts again, one window later. The first `backfill_seconds` of the window are sent at once, so the
collector has recent traffic from the start (a collector that rates by arrival reads them as one burst).
"""

from __future__ import annotations

import dataclasses
import socket
import time
from collections.abc import Callable
from itertools import count

from netscope_scenario.exporter import Encoder, Record, flow_records, split_v5
from netscope_scenario.model import Flow
from netscope_scenario.world import World

# Seconds: a longer flow is exported in slices of at most this long, as a router's active timeout does. Shorter
# than a live collector's throughput window (netscope's is 30 s), so a window always holds whole slices and a
# long transfer reads at its real rate, not at 0 and then twice it.
EXPORT_SLICE_SECONDS = 10


def slices(flow: Flow, seconds: int = EXPORT_SLICE_SECONDS) -> list[Flow]:
    """The flow cut into consecutive slices of at most `seconds`, bytes and packets shared by duration
    (the last slice takes the rounding); a short flow is its own single slice."""
    duration = flow.last_seen - flow.first_seen
    if duration <= seconds:
        return [flow]
    starts = list(range(flow.first_seen, flow.last_seen, seconds))
    out = []
    given = {"c2s_bytes": 0, "s2c_bytes": 0, "c2s_packets": 0, "s2c_packets": 0}
    for i, start in enumerate(starts):
        end = min(start + seconds, flow.last_seen)
        last = i == len(starts) - 1
        share = {}
        for name in given:
            total = getattr(flow, name)
            part = total - given[name] if last else total * (end - start) // duration
            given[name] += part
            share[name] = part
        out.append(dataclasses.replace(flow, first_seen=start, last_seen=end, **share))
    return out


def loop_schedule(world: World, loop_seconds: int) -> list[Flow]:
    """The slices of the flows that start in the world's last `loop_seconds`, in the order they end."""
    begin = world.end_epoch - loop_seconds
    parts = [part for f in world.flows() if f.first_seen >= begin for part in slices(f)]
    return sorted(parts, key=lambda f: f.last_seen)


def replay_realtime(
    world: World,
    host: str,
    port: int,
    version: int,
    *,
    loop_seconds: int = 3600,
    backfill_seconds: int = 300,
    rounds: int | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, float]:
    """Send the world's last `loop_seconds` as NetFlow/IPFIX on the wall clock, `rounds` times (None = forever)."""
    loop_seconds = min(loop_seconds, world.minutes * 60)
    if loop_seconds < 60:
        raise ValueError(f"loop_seconds must be at least 60 (and at most the world's length), got {loop_seconds}")
    if not 0 <= backfill_seconds <= loop_seconds:
        raise ValueError(
            f"backfill_seconds must be between 0 and loop_seconds ({loop_seconds}), got {backfill_seconds}"
        )
    schedule = loop_schedule(world, loop_seconds)
    boot = world.start_epoch - 3600
    encoders = {e.address: Encoder(version, boot, e.source_id) for e in world.exporters}
    pending: dict[str, list[Record]] = {e.address: [] for e in world.exporters}
    # World time `end - loop + backfill` is "now" when the replay starts; what ends before it goes at once.
    offset = round(clock()) - (world.end_epoch - loop_seconds + backfill_seconds)
    flows = packets = 0
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:

        def flush() -> None:
            nonlocal packets
            for address, queue in pending.items():
                for packet in encoders[address].packets(queue):
                    sock.sendto(packet, (host, port))
                    packets += 1
                queue.clear()

        for _ in range(rounds) if rounds is not None else count():
            for part in schedule:
                due = part.last_seen + offset
                if due > clock():
                    flush()
                    sleep(max(0.0, due - clock()))
                shifted = dataclasses.replace(part, first_seen=part.first_seen + offset, last_seen=due)
                address, records = flow_records(world, shifted)
                pending[address].extend(
                    r for record in records for r in (split_v5(record) if version == 5 else [record])
                )
                flows += 1
            flush()
            offset += loop_seconds
    return {"flows": flows, "packets": packets}
