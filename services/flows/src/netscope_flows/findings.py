"""The findings policy, the same on every backend: which detectors run, which findings are kept (best score
first, at most max_findings), the sample flows behind each, and which findings are about one host."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from netscope.common.v1 import common_pb2
from netscope.flows.v1 import flows_pb2
from netscope_common.errors import FailedPrecondition
from netscope_common.timeutil import make_window, to_timestamp
from netscope_flows import arguments
from netscope_flows.backend import FlowsBackend

SAMPLE_FLOWS = 5


def evidence_filter(
    base: flows_pb2.FlowFilter, start: datetime, end: datetime, **fields: object
) -> flows_pb2.FlowFilter:
    """The request's filter narrowed to a finding's window and fields: SearchFlows with it shows the flows."""
    flt = flows_pb2.FlowFilter()
    flt.CopyFrom(base)
    flt.time_range = ""  # the window below replaces it
    flt.window.CopyFrom(make_window(start, end))
    for name, value in fields.items():
        setattr(flt, name, value)
    return flt


async def find_anomalies(
    backend: FlowsBackend[Any], request: flows_pb2.FindAnomaliesRequest
) -> flows_pb2.FindAnomaliesResponse:
    """Run the detectors asked for (all when none is named), best findings first, each with sample flows."""
    keep = arguments.max_findings(request.max_findings)
    kinds = arguments.anomaly_kinds(request)
    flt = backend.compile(request.filter, arguments.HOST_SPAN)
    unavailable = backend.unavailable(kinds)
    if unavailable and set(unavailable) == set(kinds):
        raise FailedPrecondition("; ".join(unavailable.values()), field="kinds")
    found = await backend.detect(flt, request, kinds)
    found.sort(key=lambda f: -f.score)
    found = found[:keep]
    for finding in found:
        sample = flows_pb2.SearchFlowsRequest(
            filter=finding.evidence_filter, sort=flows_pb2.FLOW_SORT_OLDEST, page_size=SAMPLE_FLOWS
        )
        flows, _ = await backend.search_flows(sample, backend.compile(finding.evidence_filter), SAMPLE_FLOWS)
        finding.sample_flows.extend(flows)
    return flows_pb2.FindAnomaliesResponse(
        findings=found,
        window_start=to_timestamp(flt.start),
        window_end=to_timestamp(flt.end),
        unavailable=[unavailable[k] for k in sorted(unavailable)],
    )


async def about_host(
    backend: FlowsBackend[Any], ip: str, window: common_pb2.TimeWindow, direction: int = flows_pb2.HOST_DIRECTION_BOTH
) -> list[flows_pb2.Finding]:
    """The findings of a host's traffic in which it is the actor (direction SOURCE), the peer (DESTINATION) or
    either (BOTH)."""
    anomalies = await find_anomalies(
        backend, flows_pb2.FindAnomaliesRequest(filter=flows_pb2.FlowFilter(window=window, host=ip))
    )
    actor = direction != flows_pb2.HOST_DIRECTION_DESTINATION
    peer = direction != flows_pb2.HOST_DIRECTION_SOURCE
    return [f for f in anomalies.findings if (actor and ip in f.hosts) or (peer and ip in f.peers)]
