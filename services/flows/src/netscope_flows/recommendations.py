"""Recommendations: advice from every finding and bottleneck of a backend, best-supported first (the detectors
and the interface load run concurrently)."""

from __future__ import annotations

import asyncio
from typing import Any

from netscope.flows.v1 import flows_pb2
from netscope_flows import arguments, findings
from netscope_flows.backend import FlowsBackend
from netscope_flows.bottlenecks import detect_bottlenecks
from netscope_flows.settings import FlowsSettings

ACTIONS = {
    "ANOMALY_KIND_HORIZONTAL_SCAN": "Isolate or inspect the scanning host; check it for malware and rogue tools.",
    "ANOMALY_KIND_VERTICAL_SCAN": "Block the scanning source at the edge; review which probed services are exposed.",
    "ANOMALY_KIND_TRAFFIC_SPIKE": "Identify the application behind the spike; rate-limit or reschedule it.",
    "ANOMALY_KIND_TRAFFIC_DROP": "Check links, exporters and services that went quiet (outage, interface down).",
    "ANOMALY_KIND_DGA_DOMAINS": "Quarantine the host; sinkhole or block the generated domains at the resolver.",
    "ANOMALY_KIND_BEACONING": "Treat the peer as command-and-control: block it and examine the calling host.",
    "ANOMALY_KIND_OFF_HOURS_EXFILTRATION": "Block the destination, keep the evidence, review what was uploaded.",
    "ANOMALY_KIND_RARE_PORT": "Find the process behind the port on the client; block the port at the edge unless "
    "a known service needs it (then name it in the service-port map).",
    "BOTTLENECK": "Add capacity, or shape/schedule the top pairs through this interface (QoS, backups).",
}


def _from_finding(f: flows_pb2.Finding) -> flows_pb2.Recommendation:
    return flows_pb2.Recommendation(
        title=f.title,
        action=ACTIONS[flows_pb2.AnomalyKind.Name(f.kind)],
        score=f.score,
        source=flows_pb2.AnomalyKind.Name(f.kind),
        evidence=f.evidence,
        evidence_filter=f.evidence_filter,
    )


def _from_bottleneck(b: flows_pb2.Bottleneck, base: flows_pb2.FlowFilter) -> flows_pb2.Recommendation:
    flt = flows_pb2.FlowFilter()
    flt.CopyFrom(base)
    flt.time_range = ""  # the window below replaces it
    flt.window.start.CopyFrom(b.first_over)
    flt.window.end.CopyFrom(b.last_over)
    flt.exporter, flt.if_index = b.exporter, b.if_index
    where = f"interface {b.if_index}" + (f" ({b.interface_name})" if b.interface_name else "")
    where += f" of {b.exporter}" if b.exporter else ""
    return flows_pb2.Recommendation(
        title=f"{where} ({b.direction}) peaked at {b.peak_percent:.0f}% of {b.speed_bps / 1e6:g} Mbit/s",
        action=ACTIONS["BOTTLENECK"],
        score=b.score,
        source="BOTTLENECK",
        evidence=[
            flows_pb2.Evidence(name="buckets_over_threshold", value=str(b.buckets_over)),
            flows_pb2.Evidence(name="top_pairs", value=", ".join(p.key for p in b.top_pairs)),
        ],
        evidence_filter=flt,
    )


async def recommendations(
    backend: FlowsBackend[Any], settings: FlowsSettings, request: flows_pb2.RecommendationsRequest
) -> flows_pb2.RecommendationsResponse:
    """Advice from every finding and bottleneck over the request's filter, best-supported first."""
    keep = arguments.max_items(request.max_items)
    (found_anomalies, _, _), found = await asyncio.gather(
        findings.ranked(backend, flows_pb2.FindAnomaliesRequest(filter=request.filter)),
        detect_bottlenecks(backend, settings, flows_pb2.DetectBottlenecksRequest(filter=request.filter)),
    )
    # every finding is a candidate (not the first max_findings): items are ranked and cut at max_items below;
    # a recommendation carries no sample flows, so none are fetched
    items = [_from_finding(f) for f in found_anomalies[: arguments.MAX_FINDINGS]]
    items.extend(_from_bottleneck(b, request.filter) for b in found.bottlenecks)
    items.sort(key=lambda r: -r.score)
    return flows_pb2.RecommendationsResponse(recommendations=items[:keep])
