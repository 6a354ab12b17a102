"""Detection quality of FindAnomalies / DetectBottlenecks on scenario worlds: precision and recall per kind.

Usage: uv run python benchmarks/flows_detection.py [--seeds 1 2 3] [--hours 24] [--flows-per-hour 4000]

A finding is a true positive when an incident of a matching kind shares a host (or the bottleneck's interface)
and overlaps it in time; recall counts the incidents found. Spikes may match any volume incident.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime

import clickhouse_connect

from netscope.flows.v1 import flows_pb2
from netscope_common.timeutil import make_window
from netscope_flows.bottlenecks import detect_bottlenecks
from netscope_flows.clickhouse_backend import ClickHouseBackend
from netscope_flows.findings import find_anomalies
from netscope_flows.settings import FlowsSettings
from netscope_scenario.load import load_clickhouse
from netscope_scenario.model import Incident
from netscope_scenario.world import World, build_world

K = flows_pb2.AnomalyKind
MATCHES = {
    K.ANOMALY_KIND_HORIZONTAL_SCAN: {"horizontal_scan"},
    K.ANOMALY_KIND_VERTICAL_SCAN: {"vertical_scan"},
    K.ANOMALY_KIND_DGA_DOMAINS: {"dns_c2"},
    K.ANOMALY_KIND_BEACONING: {"beaconing"},
    K.ANOMALY_KIND_OFF_HOURS_EXFILTRATION: {"exfiltration"},
    K.ANOMALY_KIND_TRAFFIC_SPIKE: {"bandwidth_hog", "exfiltration", "link_saturation"},
    K.ANOMALY_KIND_TRAFFIC_DROP: set(),
    K.ANOMALY_KIND_RARE_PORT: {"rare_port"},
}
RECALL_KIND = {  # incident -> the detector expected to report it
    "horizontal_scan": "ANOMALY_KIND_HORIZONTAL_SCAN",
    "vertical_scan": "ANOMALY_KIND_VERTICAL_SCAN",
    "dns_c2": "ANOMALY_KIND_DGA_DOMAINS",
    "beaconing": "ANOMALY_KIND_BEACONING",
    "exfiltration": "ANOMALY_KIND_OFF_HOURS_EXFILTRATION",
    "bandwidth_hog": "ANOMALY_KIND_TRAFFIC_SPIKE",
    "link_saturation": "BOTTLENECK",
    "rare_port": "ANOMALY_KIND_RARE_PORT",
}


def _overlap(start: datetime, end: datetime, inc: Incident) -> bool:
    return start < inc.end and end > inc.start


def _matches(f: flows_pb2.Finding, inc: Incident) -> bool:
    start, end = f.start.ToDatetime(tzinfo=UTC), f.end.ToDatetime(tzinfo=UTC)
    return inc.kind in MATCHES[f.kind] and bool(set(f.hosts) & set(inc.hosts)) and _overlap(start, end, inc)


def _bottleneck_matches(b: flows_pb2.Bottleneck, inc: Incident, world: World) -> bool:
    exporters = {e.device_id: e.address for e in world.exporters}
    wanted = {(exporters.get(str(i["device"])), i["if_index"], i.get("direction")) for i in inc.interfaces}
    start, end = b.first_over.ToDatetime(tzinfo=UTC), b.last_over.ToDatetime(tzinfo=UTC)
    return (b.exporter, b.if_index, b.direction) in wanted and _overlap(start, end, inc)


async def evaluate(world: World, dsn: str, tally: dict[str, list[int]], found: dict[str, list[int]]) -> float:
    settings = FlowsSettings(dsn=dsn, interface_capacity_bps=world.capacity_map(), query_timeout_seconds=120)
    backend = ClickHouseBackend(settings)
    flt = flows_pb2.FlowFilter(window=make_window(world.start, world.end))
    started = time.perf_counter()
    anomalies = await find_anomalies(backend, flows_pb2.FindAnomaliesRequest(filter=flt, max_findings=200))
    bottlenecks = await detect_bottlenecks(backend, settings, flows_pb2.DetectBottlenecksRequest(filter=flt))
    elapsed = time.perf_counter() - started
    await backend.close()
    for f in anomalies.findings:
        ok = any(_matches(f, inc) for inc in world.incidents)
        tally[K.Name(f.kind)][0 if ok else 1] += 1
        if not ok:
            print(f"  unmatched {K.Name(f.kind)} {list(f.hosts)} {f.start.ToDatetime():%H:%M}: {f.title}")
    for b in bottlenecks.bottlenecks:
        ok = any(_bottleneck_matches(b, inc, world) for inc in world.incidents)
        tally["BOTTLENECK"][0 if ok else 1] += 1
        if not ok:
            when = f"{b.first_over.ToDatetime():%H:%M}-{b.last_over.ToDatetime():%H:%M}"
            print(f"  unmatched bottleneck {b.exporter}:{b.if_index} {b.direction} {when}: peak {b.peak_percent:.0f}%")
    for inc in world.incidents:
        if inc.kind not in RECALL_KIND:
            continue
        kind = RECALL_KIND[inc.kind]
        hit = (
            any(_bottleneck_matches(b, inc, world) for b in bottlenecks.bottlenecks)
            if kind == "BOTTLENECK"
            else any(_matches(f, inc) and K.Name(f.kind) == kind for f in anomalies.findings)
        )
        found[kind][0 if hit else 1] += 1
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--hours", type=float, default=24)
    parser.add_argument("--flows-per-hour", type=int, default=4000)
    args = parser.parse_args()
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # kind -> [true, false] positives
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # kind -> [found, missed] incidents
    with tempfile.TemporaryDirectory() as tmp:
        dsn = f"chdb://{tmp}/db"
        client = clickhouse_connect.get_client(dsn=dsn)
        end = datetime(2026, 11, 20, 12, tzinfo=UTC)
        for seed in args.seeds:
            world = build_world(seed, args.hours, end, args.flows_per_hour)
            client.command("DROP TABLE IF EXISTS flows")
            counts = load_clickhouse(client, world)
            elapsed = asyncio.run(evaluate(world, dsn, tally, found))
            print(f"seed {seed}: {counts['flows']} flows, detectors ran in {elapsed:.2f} s")
    print("\n| detector | findings | precision | incidents | recall |\n|---|---|---|---|---|")
    for kind in sorted(set(tally) | set(found)):
        tp, fp = tally[kind]
        hit, miss = found[kind]
        precision = f"{tp / (tp + fp):.2f}" if tp + fp else "-"
        recall = f"{hit / (hit + miss):.2f}" if hit + miss else "-"
        print(f"| {kind} | {tp + fp} | {precision} | {hit + miss} | {recall} |")


if __name__ == "__main__":
    main()
