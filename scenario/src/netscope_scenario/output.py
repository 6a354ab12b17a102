"""Write every rendering of a world to a directory in one streaming pass over its flows."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import pyarrow.parquet as pq

from netscope_scenario.counters import Counters
from netscope_scenario.load import ALERTS_DIR, FLOWS_FILE
from netscope_scenario.render import ecs, ntopng_alerts, ntopng_flows, snmprec, truth
from netscope_scenario.world import World

RENDERINGS = ("ntopng", "ecs", "snmp", "truth")
SCENARIO_FILE = "scenario.json"
CAPACITIES_FILE = "capacities.json"
TRUTH_FILE = "ground_truth.json"


def _gzip_writer(path: Path) -> gzip.GzipFile:
    # mtime=0 and no file name in the header: same input, same bytes.
    return gzip.GzipFile(filename="", mode="wb", fileobj=path.open("wb"), mtime=0, compresslevel=6)


def world_description(world: World) -> dict[str, object]:
    """The static world (sites, subnets, devices, exporters, hosts) plus the parameters that rebuild it."""
    return {
        "params": {
            "seed": world.seed,
            "hours": world.hours,
            "end": world.end.isoformat(),
            "flows_per_hour": world.flows_per_hour,
        },
        "sites": [asdict(s) for s in world.sites],
        "subnets": [asdict(s) for s in world.subnets],
        "devices": [asdict(d) for d in world.devices.values()],
        "exporters": [asdict(e) for e in world.exporters],
        "hosts": [
            {
                "ip": h.ip,
                "name": h.name,
                "mac": h.mac,
                "role": h.role,
                "site": h.site,
                "country": h.country,
                "asn": h.asn,
                "network_id": h.network_id,
                "vlan_id": h.vlan_id,
                "attached_to": {"device": h.chain[0].device_id, "if_index": h.chain[0].host_side}
                if h.is_local
                else None,
            }
            for h in sorted(world.hosts.values(), key=lambda h: h.ip_int)
        ],
    }


def generate(
    world: World,
    out: Path,
    *,
    renderings: tuple[str, ...] = RENDERINGS,
    snmp_address: str = "127.0.0.1",
    snmp_port: int = 1161,
    snmp_live: bool = True,
    batch_size: int = 50_000,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Render `world` into `out`; returns how many rows/files each rendering wrote.

    Layout: scenario.json, capacities.json (the exporters' interface speeds), ground_truth.json,
    ntopng/flows.parquet, ntopng/alerts/<table>.jsonl,
    ecs/logs-netflow-YYYY.MM.DD.ndjson.gz, snmp/<device>.snmprec, snmp/inventory.yaml.
    """
    unknown = set(renderings) - set(RENDERINGS)
    if unknown:
        raise ValueError(f"unknown rendering(s) {sorted(unknown)}; choose from {', '.join(RENDERINGS)}")
    out.mkdir(parents=True, exist_ok=True)
    (out / SCENARIO_FILE).write_text(json.dumps(world_description(world), indent=2) + "\n")
    (out / CAPACITIES_FILE).write_text(json.dumps(world.capacity_map(), indent=2, sort_keys=True) + "\n")
    counters = Counters(world.start_epoch, world.minutes)
    tally = truth.TruthTally()
    writer = None
    ecs_files: dict[str, gzip.GzipFile] = {}
    if "ntopng" in renderings:
        (out / FLOWS_FILE).parent.mkdir(parents=True, exist_ok=True)
        writer = pq.ParquetWriter(out / FLOWS_FILE, ntopng_flows.ARROW_SCHEMA, compression="zstd")
    if "ecs" in renderings:
        (out / "ecs").mkdir(exist_ok=True)
    counts = {"flows": 0, "ecs_documents": 0}
    try:
        for flows in world.flow_batches(batch_size):
            rows = [ntopng_flows.flow_row(world, f) for f in flows]
            for f in flows:
                counters.add(f)
                tally.add(f)
            if writer is not None:
                writer.write_table(ntopng_flows.to_arrow(ntopng_flows._columns(rows)))
            if "ecs" in renderings:
                cid = ntopng_flows.COLUMN_NAMES.index("COMMUNITY_ID")
                for f, row in zip(flows, rows, strict=True):
                    index = ecs.index_name(f.last_seen)
                    fh = ecs_files.get(index)
                    if fh is None:
                        fh = ecs_files[index] = _gzip_writer(out / "ecs" / f"{index}.ndjson.gz")
                    fh.write((ecs.dumps(ecs.document(world, f, row[cid])) + "\n").encode())
                counts["ecs_documents"] += len(flows)
            counts["flows"] += len(flows)
            if progress:
                progress(len(flows))
    finally:
        if writer is not None:
            writer.close()
        for fh in ecs_files.values():
            fh.close()
    alerts = ntopng_alerts.alert_rows(world)
    if "ntopng" in renderings:
        (out / ALERTS_DIR).mkdir(parents=True, exist_ok=True)
        for table, table_rows in alerts.items():
            lines = "".join(json.dumps(r, sort_keys=True) + "\n" for r in table_rows)
            (out / ALERTS_DIR / f"{table}.jsonl").write_text(lines)
            counts[table] = len(table_rows)
    if "snmp" in renderings:
        files = snmprec.write_snmp(world, counters, out / "snmp", address=snmp_address, port=snmp_port, live=snmp_live)
        counts["snmprec_files"] = len(files)
    if "truth" in renderings:
        (out / TRUTH_FILE).write_text(truth.dumps(truth.ground_truth(world, tally, alerts)))
    return counts
