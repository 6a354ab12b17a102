"""The real-time exporter: the world's last window on the wall clock, flows exported when they end, in a loop."""

from __future__ import annotations

import dataclasses
import socket

import pytest
from netflow.ipfix import IPFIXExportPacket

from netscope_scenario.realtime import EXPORT_SLICE_SECONDS, loop_schedule, replay_realtime, slices
from netscope_scenario.world import World


def test_a_long_flow_is_exported_in_active_timeout_slices_that_add_up(world: World) -> None:
    flow = dataclasses.replace(next(iter(world.flows())), last_seen=0, c2s_bytes=1001, s2c_bytes=7, c2s_packets=9)
    flow = dataclasses.replace(flow, last_seen=flow.first_seen + 150)
    parts = slices(flow, 60)
    assert [(p.first_seen - flow.first_seen, p.last_seen - flow.first_seen) for p in parts] == [
        (0, 60),
        (60, 120),
        (120, 150),
    ]
    for name in ("c2s_bytes", "s2c_bytes", "c2s_packets", "s2c_packets"):
        assert sum(getattr(p, name) for p in parts) == getattr(flow, name), name
    short = dataclasses.replace(flow, last_seen=flow.first_seen + 30)
    assert slices(short, 60) == [short]


def test_the_schedule_is_the_last_window_in_the_order_flows_end(world: World) -> None:
    schedule = loop_schedule(world, 600)
    assert schedule
    assert [f.last_seen for f in schedule] == sorted(f.last_seen for f in schedule)
    assert min(f.first_seen for f in schedule) >= world.end_epoch - 600
    assert max(f.last_seen - f.first_seen for f in schedule) <= EXPORT_SLICE_SECONDS


class FakeClock:
    """Wall time that moves only when the replay sleeps (the replay runs at once, its times stay exact)."""

    def __init__(self, now: float) -> None:
        self.now = now
        self.slept = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds


def test_two_rounds_on_the_wall_clock_over_real_udp(world: World) -> None:
    start = 2_000_000_000.0  # far from the world's own times (it ended 2026-11-23 12:00)
    clock = FakeClock(start)
    loop, backfill = 600, 120
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as receiver:
        receiver.bind(("127.0.0.1", 0))
        receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        receiver.settimeout(2)
        stats = replay_realtime(
            world,
            "127.0.0.1",
            receiver.getsockname()[1],
            10,
            loop_seconds=loop,
            backfill_seconds=backfill,
            rounds=2,
            clock=clock,
            sleep=clock.sleep,
        )
        packets = []
        for _ in range(int(stats["packets"])):
            packets.append(receiver.recv(65535))
    assert stats["flows"] == 2 * len(loop_schedule(world, loop))
    # paced on the clock, except what was sent at once
    assert clock.slept == pytest.approx(2 * loop - backfill, abs=EXPORT_SLICE_SECONDS)
    templates: dict = {}
    records = [f.data for p in packets for f in IPFIXExportPacket(p, templates).flows]
    ends = [r["flowEndMilliseconds"] / 1000 for r in records if "flowEndMilliseconds" in r]  # not options records
    assert len(ends) >= stats["flows"]  # one or two records per flow
    assert min(ends) >= start - backfill  # shifted to the wall clock: the backfill is the most recent past
    assert max(ends) <= start + 2 * loop - backfill
    assert sum(1 for t in ends if t <= start) < sum(1 for t in ends if t > start)  # most are played, not backfilled


def test_bad_windows_are_refused_with_the_allowed_range(world: World) -> None:
    with pytest.raises(ValueError, match="loop_seconds must be at least 60"):
        replay_realtime(world, "127.0.0.1", 9, 10, loop_seconds=30, rounds=1)
    with pytest.raises(ValueError, match=r"backfill_seconds must be between 0 and loop_seconds \(600\), got 900"):
        replay_realtime(world, "127.0.0.1", 9, 10, loop_seconds=600, backfill_seconds=900, rounds=1)
