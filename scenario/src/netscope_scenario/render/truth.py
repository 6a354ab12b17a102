"""Ground truth as JSON: each incident's who/what/when and the evidence every rendering must show."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from netscope_scenario.model import Flow
from netscope_scenario.world import World

# Where each incident is expected to be visible.
RENDERINGS: dict[str, tuple[str, ...]] = {
    "horizontal_scan": ("flows", "flow_alerts", "alerts", "ecs", "netflow"),
    "vertical_scan": ("flows", "flow_alerts", "alerts", "ecs", "netflow"),
    "exfiltration": ("flows", "flow_alerts", "alerts", "ecs", "netflow", "snmp"),
    "dns_c2": ("flows", "flow_alerts", "alerts", "ecs", "netflow"),
    "beaconing": ("flows", "flow_alerts", "alerts", "ecs", "netflow"),
    "bandwidth_hog": ("flows", "flow_alerts", "alerts", "ecs", "netflow", "snmp"),
    "link_saturation": ("flows", "alerts", "ecs", "netflow", "snmp"),
    "rare_port": ("flows", "flow_alerts", "alerts", "ecs", "netflow"),
    "interface_down": ("alerts", "snmp"),
    "snmp_unresponsive": ("alerts", "snmp"),
}


def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _Tally:
    count: int = 0
    bytes: int = 0
    first: int = 0
    last: int = 0
    statuses: Counter = field(default_factory=Counter)


class TruthTally:
    """Counts each incident's flows while the stream is rendered."""

    def __init__(self) -> None:
        self.by_incident: dict[str, _Tally] = {}
        self.total_flows = 0

    def add(self, f: Flow) -> None:
        """Count one flow."""
        self.total_flows += 1
        if f.incident is None:
            return
        t = self.by_incident.get(f.incident)
        if t is None:
            t = self.by_incident[f.incident] = _Tally(first=f.first_seen, last=f.last_seen)
        t.count += 1
        t.bytes += f.c2s_bytes + f.s2c_bytes
        t.first = min(t.first, f.first_seen)
        t.last = max(t.last, f.last_seen)
        if f.status:
            t.statuses[f.status] += 1


def ground_truth(world: World, tally: TruthTally, alerts: dict[str, list[dict[str, object]]]) -> dict[str, object]:
    """The ground truth document."""
    incidents = []
    for inc in world.incidents:
        s, e = int(inc.start.timestamp()), int(inc.end.timestamp())
        who = set(inc.hosts) | set(inc.peers) | set(inc.devices)
        matched = [
            {"table": table, "alert_id": row["alert_id"], "tstamp": row["tstamp"], "entity": _entity(table, row)}
            for table, rows in alerts.items()
            for row in rows
            if s <= int(str(row["tstamp"])) <= e and _entity(table, row) in who
        ]
        t = tally.by_incident.get(inc.kind)
        evidence: dict[str, object] = {"alerts": matched}
        if t is not None:
            evidence["flows"] = {
                "count": t.count,
                "bytes": t.bytes,
                "first_seen": t.first,
                "last_seen": t.last,
                "alerted": sum(t.statuses.values()),
                "statuses": {str(k): v for k, v in sorted(t.statuses.items())},
            }
        incidents.append(
            {
                "id": inc.id,
                "kind": inc.kind,
                "title": inc.title,
                "start": _iso(inc.start),
                "end": _iso(inc.end),
                "hosts": inc.hosts,
                "peers": inc.peers,
                "devices": inc.devices,
                "interfaces": inc.interfaces,
                "details": inc.details,
                "visible_in": list(RENDERINGS[inc.kind]),
                "evidence": evidence,
            }
        )
    return {
        "scenario": {
            "seed": world.seed,
            "hours": world.hours,
            "start": _iso(world.start),
            "end": _iso(world.end),
            "flows_per_hour": world.flows_per_hour,
            "flows_total": tally.total_flows,
        },
        "incidents": incidents,
    }


def _entity(table: str, row: dict[str, object]) -> str:
    if table == "snmp_alerts":
        return str(row["name"])
    if table == "host_alerts":
        return str(row["ip"])
    if table == "mac_alerts":
        return str(row["name"])
    if table == "active_monitoring_alerts":
        return str(row["resolved_name"])
    if table == "network_alerts":
        return str(row["name"])
    return str(row.get("name", row.get("user", "")))


def dumps(doc: dict[str, object]) -> str:
    """Stable, readable JSON."""
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"
