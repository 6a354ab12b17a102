"""What DetectBottlenecks must say about the scenario's link_saturation incident, on any backend."""

from __future__ import annotations

from netscope.flows.v1 import flows_pb2
from netscope_scenario.world import World


def assert_link_saturation_is_the_one_bottleneck(answer: flows_pb2.DetectBottlenecksResponse, world: World) -> None:
    """The saturated uplink is the only high-score bottleneck, at its speed, from the incident's start, with its
    backup host and peer as the top pair."""
    incident = world.incident("link_saturation")
    exporters = {e.device_id: e.address for e in world.exporters}
    (top,) = [b for b in answer.bottlenecks if b.score >= 50]
    expected = incident.interfaces[0]
    assert (top.exporter, top.if_index, top.direction) == (
        exporters[str(expected["device"])],
        expected["if_index"],
        expected["direction"],
    )
    assert top.speed_bps == incident.details["speed_bps"] and top.peak_percent >= 90
    assert top.first_over.ToDatetime() >= incident.start.replace(tzinfo=None)
    assert top.top_pairs[0].key.startswith(incident.hosts[0] + " -> ")
    assert set(incident.peers) & {p.key.split(" -> ")[1] for p in top.top_pairs}
