"""Scenario generation throughput and peak memory.

Usage: uv run python benchmarks/scenario_generate.py [flows] [--only ntopng,ecs,snmp,truth]
Generates a world of about `flows` flows (default 10^6) into a temporary directory and prints rows/s,
peak RSS and output sizes. Peak RSS is the process high-water mark (resource.getrusage).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from netscope_scenario.output import RENDERINGS, generate
from netscope_scenario.world import build_world


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("flows", type=int, nargs="?", default=1_000_000)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--only", default=",".join(RENDERINGS))
    args = parser.parse_args()
    world = build_world(1, args.hours, datetime(2026, 11, 23, 12, 0, tzinfo=UTC), int(args.flows / args.hours))
    renderings = tuple(args.only.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        counts = generate(world, Path(tmp), renderings=renderings)
        seconds = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file())
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rate = counts["flows"] / seconds
    print(f"renderings     {','.join(renderings)}")
    print(f"flows          {counts['flows']}")
    print(f"seconds        {seconds:.1f}")
    print(f"rows/s         {rate:,.0f}")
    print(f"peak RSS       {rss_mb:,.0f} MB")
    print(f"output         {size / 1e6:,.1f} MB")
    print(f"10^7 flows     ~{1e7 / rate / 60:.0f} min at this rate")


if __name__ == "__main__":
    main()
