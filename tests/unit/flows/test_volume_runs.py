"""The spike/drop rule both backends share (`detections.volume_runs`), on bucket series built here.

Each series is (epoch seconds, bytes, flows) per 5-minute bucket, as the backends hand it over.
"""

from __future__ import annotations

import random

from netscope.flows.v1 import flows_pb2
from netscope_flows.detections import (
    BASELINE_BUCKETS,
    DROP_MIN_FLOWS,
    RUN_MIN_BUCKETS,
    SPIKE_BUCKET_SECONDS,
    volume_runs,
)

K = flows_pb2.AnomalyKind
W = SPIKE_BUCKET_SECONDS
T0 = 1_796_000_000 - 1_796_000_000 % W


def series(levels: list[tuple[float, float]]) -> list[tuple[int, float, float]]:
    """(bytes, flows) per bucket -> the backends' points."""
    return [(T0 + i * W, b, n) for i, (b, n) in enumerate(levels)]


def busy(buckets: int, seed: int = 1, level: float = 50e6, flows: float = 400) -> list[tuple[float, float]]:
    """A busy network: every bucket within +/- 30 % of `level`."""
    rng = random.Random(seed)
    return [(level * rng.uniform(0.7, 1.3), flows * rng.uniform(0.7, 1.3)) for _ in range(buckets)]


def test_a_sustained_surge_is_one_spike_covering_it() -> None:
    levels = busy(48) + [(2e9, 400)] * 6 + [(60e6, 400)] + [(2e9, 400)] * 5 + busy(24, seed=2)
    (run,) = volume_runs(series(levels))
    assert run.kind == K.ANOMALY_KIND_TRAFFIC_SPIKE
    assert run.start == T0 + 48 * W and run.end(W) == T0 + 60 * W  # the one normal bucket inside is bridged
    assert run.baseline < 70e6  # judged against the busy level, not against itself


def test_a_burst_shorter_than_a_quarter_hour_is_not_a_spike() -> None:
    levels = busy(48) + [(2e9, 400)] * (RUN_MIN_BUCKETS - 1) + busy(24, seed=2)
    assert volume_runs(series(levels)) == []


def test_single_large_transfers_of_a_quiet_network_are_not_spikes() -> None:
    """A few flows per bucket, now and then one large download: what the network ordinarily does."""
    rng = random.Random(3)
    levels = [(rng.choice([10e3, 20e3, 5e6]) if rng.random() > 0.08 else 150e6, 3.0) for _ in range(288)]
    assert volume_runs(series(levels)) == []


def test_a_gradual_daily_rise_is_not_a_spike() -> None:
    """Night to midday, twentyfold over five hours: each hour the baseline follows."""
    levels = [(1e6 * 20 ** (i / 60), 50.0 + i) for i in range(60)]
    assert volume_runs(series(busy(24, level=1e6, flows=50) + levels)) == []


def test_an_outage_of_a_busy_network_is_a_drop() -> None:
    levels = busy(48) + [(1e5, 3)] * 6 + busy(12, seed=2)
    (run,) = volume_runs(series(levels))
    assert run.kind == K.ANOMALY_KIND_TRAFFIC_DROP and run.start == T0 + 48 * W and run.end(W) == T0 + 54 * W


def test_a_fall_of_a_handful_of_flows_is_not_a_drop() -> None:
    """The same tenfold fall when the baseline held fewer than DROP_MIN_FLOWS flows per bucket: chance."""
    few = DROP_MIN_FLOWS / 2
    levels = busy(48, flows=few) + [(1e5, 1)] * 6 + busy(12, seed=2, flows=few)
    assert volume_runs(series(levels)) == []


def test_a_new_level_becomes_the_baseline() -> None:
    """Traffic that stays 20x higher for a day is reported once, as long as the baseline, not forever."""
    levels = busy(48) + busy(288, seed=2, level=1e9)
    (run,) = volume_runs(series(levels))
    assert run.kind == K.ANOMALY_KIND_TRAFFIC_SPIKE and len(run.buckets) == BASELINE_BUCKETS


def day_and_night(seed: int = 4) -> list[tuple[float, float]]:
    """A day of a sparse network whose bytes are mostly the day's large transfers: 100x more from 08:00 to 18:00
    than at night (rising from 06:00, falling until 20:00), 15 flows a bucket."""
    rng = random.Random(seed)
    ramp = [1e6 * 100 ** (i / 24) for i in range(24)]
    shape = [1e6] * 72 + ramp + [100e6] * 120 + ramp[::-1] + [1e6] * 48
    return [(level * rng.uniform(0.7, 1.3), 15 * rng.uniform(0.7, 1.3)) for level in shape]


def test_a_night_surge_small_beside_the_day_is_not_a_spike() -> None:
    """Ordinary downloads at 02:00: 12x the night's most, but under half the window's average bucket."""
    levels = day_and_night()
    levels[24:28] = [(15e6, 15.0)] * 4
    assert volume_runs(series(levels)) == []


def test_a_surge_the_size_of_the_day_at_night_is_a_spike() -> None:
    levels = day_and_night()
    levels[24:28] = [(400e6, 15.0)] * 4
    (run,) = volume_runs(series(levels))
    assert run.kind == K.ANOMALY_KIND_TRAFFIC_SPIKE and run.start == T0 + 24 * W and len(run.buckets) == 4


def test_a_quiet_evening_is_not_a_drop() -> None:
    """Bytes fall twentyfold at 18:00 while half the flows go on: fewer large transfers, not an outage."""
    levels = busy(96, level=50e6, flows=40) + busy(24, seed=2, level=2e6, flows=20)
    assert volume_runs(series(levels)) == []


def test_a_short_window_is_judged_on_the_baseline_before_it() -> None:
    """Seed 003's 'spikes in the last 15 minutes': the window's three buckets alone hold no baseline; the six hours
    read before the window do, and only the run inside the window is reported."""
    before = busy(BASELINE_BUCKETS - 12) + [(2e9, 400)] * 4 + busy(12, seed=4)  # an earlier spike, then normal
    window = [(2e9, 400)] * RUN_MIN_BUCKETS
    points = series(before + window)
    window_start = points[len(before)][0]
    assert volume_runs(series(window)) == []  # what the window alone gives
    (run,) = volume_runs(points, window_start)
    assert run.kind == K.ANOMALY_KIND_TRAFFIC_SPIKE and run.start == window_start
    assert len(volume_runs(points)) == 2  # the earlier spike is outside the window, not forgotten by the rule


def test_a_run_begun_before_the_window_and_reaching_into_it_is_reported_whole() -> None:
    levels = busy(48) + [(2e9, 400)] * 6 + busy(12, seed=5)
    points = series(levels)
    (run,) = volume_runs(points, points[52][0])
    assert (run.start, run.end(W)) == (T0 + 48 * W, T0 + 54 * W)
    assert volume_runs(points, points[54][0]) == []  # the run ended before this window began
