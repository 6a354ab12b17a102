"""Spike/drop precision on the layouts test's sparse world, ending at every minute of a day.

Usage: uv run python -m benchmarks.volume_end_minutes [--step-minutes 1] [--hours 30]

tests/integration/flows_elastic/test_seed_layouts.py builds its world to end at the minute it runs, so the
spike/drop rule (`detections.volume_runs`) must be right whatever that minute is. This builds the same world for
each end minute, puts each flow's bytes in the 5-minute buckets it covers (as both backends do: the share of
its duration inside the bucket; a bucket's flows are those active in it), runs the rule, and scores each run
as the test does: a spike is right when its top source is a host of a volume incident it overlaps; there is
no drop in this world, so every drop is wrong. Prints the wrong findings and the totals.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from netscope.flows.v1 import flows_pb2
from netscope_flows.detections import SPIKE_BUCKET_SECONDS, volume_runs
from netscope_scenario.world import World
from tests.integration.flows_elastic.world import small_world

K = flows_pb2.AnomalyKind
W = SPIKE_BUCKET_SECONDS
VOLUME_INCIDENTS = {"bandwidth_hog", "exfiltration", "link_saturation"}


def buckets(world: World) -> tuple[list[tuple[int, float, float]], list[tuple[int, str, int]]]:
    """(bucket, bytes, active flows) for every bucket of the world, and (first seen, client, bytes) per flow."""
    volume: dict[int, float] = defaultdict(float)
    active: dict[int, float] = defaultdict(float)
    flows = []
    for f in world.flows():
        first, last = f.first_seen, min(f.last_seen, world.end_epoch - 1)
        duration = max(f.last_seen, f.first_seen) - f.first_seen + 1
        total = f.c2s_bytes + f.s2c_bytes
        for b in range(first // W * W, last + 1, W):
            volume[b] += total * (min(b + W, last + 1) - max(b, first)) / duration
            active[b] += 1
        flows.append((first, f.client.ip, total))
    points = [(t, volume.get(t, 0.0), active.get(t, 0.0)) for t in range(min(volume), max(volume) + 1, W)]
    return points, flows


def score(world: World) -> tuple[list[str], list[str], bool]:
    """The right and wrong findings of one world (as text) and whether the bandwidth hog was found."""
    points, flows = buckets(world)
    right, wrong = [], []
    hog_found = False
    hog = world.incident("bandwidth_hog")
    for run in volume_runs(points):
        start, end = run.start, run.end(W)
        sent: dict[str, int] = defaultdict(int)
        for first, client, total in flows:
            if start <= first < end:
                sent[client] += total
        top = max(sent, key=lambda h: sent[h]) if sent else ""
        spike = run.kind == K.ANOMALY_KIND_TRAFFIC_SPIKE
        matches = spike and any(
            inc.kind in VOLUME_INCIDENTS
            and top in inc.hosts
            and start < inc.end.timestamp()
            and end > inc.start.timestamp()
            for inc in world.incidents
        )
        text = f"{K.Name(run.kind)} {datetime.fromtimestamp(start, UTC):%H:%M} {(end - start) // 60} min by {top}"
        (right if matches else wrong).append(text)
        hog_found |= matches and top in hog.hosts
    return right, wrong, hog_found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step-minutes", type=int, default=1)
    parser.add_argument("--hours", type=float, default=30.0)
    args = parser.parse_args()
    day = datetime(2026, 12, 3, tzinfo=UTC)
    worlds = right_total = wrong_total = hog_missed = 0
    for minute in range(0, 24 * 60, args.step_minutes):
        end = day + timedelta(minutes=minute)
        right, wrong, hog_found = score(small_world(end, args.hours))
        worlds += 1
        right_total += len(right)
        wrong_total += len(wrong)
        hog_missed += not hog_found
        if wrong or not hog_found:
            print(f"ending {end:%H:%M}: wrong {wrong}" + ("" if hog_found else ", bandwidth hog missed"))
    print(
        f"{worlds} worlds ({args.hours:g} h, ending every {args.step_minutes} min of a day): "
        f"{right_total} right findings, {wrong_total} wrong, bandwidth hog missed in {hog_missed}"
    )


if __name__ == "__main__":
    main()
