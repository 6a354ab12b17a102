"""The scenario world: one deterministic simulated network, anchored in time, with its traffic stream."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from netscope_scenario.counters import flow_path
from netscope_scenario.incidents import IncidentTraffic, Schedule, incidents_truth, plan
from netscope_scenario.model import Device, Exporter, Flow, Host, Incident, Site, Subnet
from netscope_scenario.topology import CORE, Topology, build_topology
from netscope_scenario.traffic import NormalTraffic

DEFAULT_FLOWS_PER_HOUR = 4_000
MAX_HOURS = 24 * 31
MAX_FLOWS_PER_HOUR = 10_000_000


@dataclass
class World:
    """Everything the renderings need: the network, the incidents and a replayable flow stream."""

    seed: int
    hours: float
    start: datetime
    end: datetime
    flows_per_hour: int
    sites: list[Site]
    subnets: list[Subnet]
    devices: dict[str, Device]
    exporters: list[Exporter]
    hosts: dict[str, Host]
    incidents: list[Incident]
    schedule: Schedule
    topology: Topology = field(repr=False)
    _incident_traffic: IncidentTraffic = field(repr=False)
    _exporter_cache: dict[tuple, tuple[Exporter, int, int]] = field(default_factory=dict, repr=False)

    @property
    def minutes(self) -> int:
        """Length of the window in minutes."""
        return self.schedule.minutes

    @property
    def start_epoch(self) -> int:
        """Window start as epoch seconds."""
        return self.schedule.start_epoch

    @property
    def end_epoch(self) -> int:
        """Window end as epoch seconds."""
        return self.start_epoch + self.minutes * 60

    def capacity_map(self) -> dict[str, int]:
        """Interface speeds of the flow exporters, keyed "EXPORTER_IP:IFINDEX" (bit/s): the flows service's
        NETSCOPE_FLOWS_INTERFACE_CAPACITY_BPS for this world."""
        return {
            f"{exporter.address}:{iface.if_index}": iface.speed_bps
            for exporter in self.exporters
            for iface in self.devices[exporter.device_id].interfaces
            if iface.speed_bps
        }

    def incident(self, kind: str) -> Incident:
        """The ground truth of one incident kind."""
        for inc in self.incidents:
            if inc.kind == kind:
                return inc
        raise KeyError(f"no incident {kind!r}; known: {', '.join(i.kind for i in self.incidents)}")

    def flows(self) -> Iterator[Flow]:
        """Every flow of the window in start-time order, with sequential FLOW_IDs (re-iterable, deterministic)."""
        normal = NormalTraffic(self.topology, self.start_epoch, self.minutes, self.flows_per_hour)
        spill = [0] * (self.minutes + 1)  # normal upload bytes on the branch link, per minute
        branch_path = self._branch_uplink_flows()
        next_id = 1
        for minute in range(self.minutes):
            rng = random.Random(f"{self.seed}/minute/{minute}")
            batch = normal.minute(minute, rng)
            for f in batch:
                if f.client.chain in branch_path:
                    _spread(spill, f, self.start_epoch, self.minutes)
            batch.extend(self._incident_traffic.minute(minute, rng, spill[minute]))
            batch.sort(key=lambda f: f.first_seen)
            last = self.end_epoch - 1
            for f in batch:
                if f.last_seen > last:  # still running at the end: exported early, like an active timeout
                    f.last_seen = last
                f.flow_id = next_id
                next_id += 1
                yield f

    def flow_batches(self, size: int = 50_000) -> Iterator[list[Flow]]:
        """The flow stream cut into lists of at most `size` flows."""
        batch: list[Flow] = []
        for f in self.flows():
            batch.append(f)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch

    def _branch_uplink_flows(self) -> set:
        """Client chains whose uploads cross the branch uplink (br1-rtr-1 ifIndex 1, outbound)."""
        chains = {h.chain for h in self.hosts.values() if h.site == "br1"}
        return {c for c in chains if ("br1-rtr-1", 1) in flow_path(c, ())[1]}

    def exporter_view(self, flow: Flow) -> tuple[Exporter, int, int]:
        """The exporter that reports a flow (the first router on the client's side) and its in/out ifIndex."""
        key = (flow.client.chain, flow.server.chain)
        hit = self._exporter_cache.get(key)
        if hit is None:
            hit = self._exporter_cache[key] = _exporter_view(self.exporters, *key)
        return hit


def _exporter_view(exporters: list[Exporter], client_chain: tuple, server_chain: tuple) -> tuple[Exporter, int, int]:
    by_device = {e.device_id: e for e in exporters}
    for hop in client_chain:
        if hop.device_id in by_device:
            out_if = hop.core_side if hop.core_side is not None else server_chain[-1].host_side
            hit = (by_device[hop.device_id], hop.host_side, out_if)
            break
    else:
        core = server_chain[-1]
        hit = (by_device[CORE], 0, core.host_side)
    return hit


def _spread(spill: list[int], flow: Flow, start: int, minutes: int) -> None:
    first_m = (flow.first_seen - start) // 60
    last_m = min(minutes - 1, (flow.last_seen - start) // 60)
    if last_m <= first_m:
        spill[first_m] += flow.c2s_bytes
        return
    total = flow.last_seen - flow.first_seen + 1
    for m in range(first_m, last_m + 1):
        lo = max(flow.first_seen, start + m * 60)
        hi = min(flow.last_seen + 1, start + (m + 1) * 60)
        spill[m] += flow.c2s_bytes * (hi - lo) // total


def _anchor(end: datetime | None) -> datetime:
    if end is None:
        end = datetime.now(UTC)
    if end.tzinfo is None:
        raise ValueError("end must be timezone-aware (e.g. datetime(..., tzinfo=UTC)); got a naive datetime")
    return end.astimezone(UTC).replace(second=0, microsecond=0)


def build_world(
    seed: int, hours: float, end: datetime | None = None, flows_per_hour: int = DEFAULT_FLOWS_PER_HOUR
) -> World:
    """Build the world for `seed`, covering `hours` up to `end` (default: now, UTC, rounded down to the minute).

    The same arguments always give the same world and the same flow stream.
    """
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if not 1 / 60 <= hours <= MAX_HOURS:
        raise ValueError(f"hours must be between 1/60 (one minute) and {MAX_HOURS}, got {hours!r}")
    if not 0 <= flows_per_hour <= MAX_FLOWS_PER_HOUR:
        raise ValueError(f"flows_per_hour must be between 0 and {MAX_FLOWS_PER_HOUR}, got {flows_per_hour!r}")
    end_dt = _anchor(end)
    minutes = max(1, round(hours * 60))
    start_dt = end_dt - timedelta(minutes=minutes)
    topo = build_topology(random.Random(f"{seed}/topology"))
    sched = plan(minutes, int(start_dt.timestamp()))
    incident_traffic = IncidentTraffic(topo, sched, seed)
    return World(
        seed=seed,
        hours=hours,
        start=start_dt,
        end=end_dt,
        flows_per_hour=flows_per_hour,
        sites=topo.sites,
        subnets=topo.subnets,
        devices=topo.devices,
        exporters=topo.exporters,
        hosts=topo.hosts,
        incidents=incidents_truth(incident_traffic),
        schedule=sched,
        topology=topo,
        _incident_traffic=incident_traffic,
    )
