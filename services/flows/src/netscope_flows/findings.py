"""The findings policy, the same on every backend: which detectors run, which findings are kept (best score
first, at most max_findings), which get sample flows (only those an answer shows), and which findings are
about one host."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime
from typing import Any

from netscope.common.v1 import common_pb2
from netscope.flows.v1 import flows_pb2
from netscope_common.errors import FailedPrecondition
from netscope_common.timeutil import make_window, to_timestamp
from netscope_flows import arguments
from netscope_flows.backend import FlowsBackend
from netscope_flows.filters import CompiledFilter

SAMPLE_FLOWS = 5
# InvestigateHost shows this many findings of each kind with their sample flows (the best-scored); the others
# are listed (a busy host has dozens of per-window traffic spikes) without samples.
SAMPLED_PER_KIND = 3


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


async def ranked(
    backend: FlowsBackend[Any], request: flows_pb2.FindAnomaliesRequest
) -> tuple[list[flows_pb2.Finding], CompiledFilter, dict[Any, str]]:
    """Every finding of the detectors asked for (all when none is named), best score first, without samples;
    with the kinds this backend's documents cannot answer (the field they lack), when some can."""
    kinds = arguments.anomaly_kinds(request)
    flt = backend.compile(request.filter, arguments.HOST_SPAN)
    unavailable = backend.unavailable(kinds)
    if unavailable and set(unavailable) == set(kinds):
        raise FailedPrecondition("; ".join(unavailable.values()), field="kinds")
    found = await backend.detect(flt, request, kinds)
    found.sort(key=lambda f: -f.score)
    return found, flt, unavailable


async def add_samples(backend: FlowsBackend[Any], found: list[flows_pb2.Finding]) -> None:
    """The first SAMPLE_FLOWS flows behind each finding (its evidence filter), fetched concurrently."""

    async def sample(finding: flows_pb2.Finding) -> None:
        request = flows_pb2.SearchFlowsRequest(
            filter=finding.evidence_filter, sort=flows_pb2.FLOW_SORT_OLDEST, page_size=SAMPLE_FLOWS
        )
        flows, _ = await backend.search_flows(request, backend.compile(finding.evidence_filter), SAMPLE_FLOWS)
        finding.sample_flows.extend(flows)

    await asyncio.gather(*(sample(f) for f in found))


async def find_anomalies(
    backend: FlowsBackend[Any], request: flows_pb2.FindAnomaliesRequest
) -> flows_pb2.FindAnomaliesResponse:
    """The best max_findings findings, each with sample flows."""
    found, flt, unavailable = await ranked(backend, request)
    found = found[: arguments.max_findings(request.max_findings)]
    await add_samples(backend, found)
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
    either (BOTH), best first (at most max_findings's default); the SAMPLED_PER_KIND best of each kind with
    sample flows."""
    found, _, _ = await ranked(
        backend, flows_pb2.FindAnomaliesRequest(filter=flows_pb2.FlowFilter(window=window, host=ip))
    )
    actor = direction != flows_pb2.HOST_DIRECTION_DESTINATION
    peer = direction != flows_pb2.HOST_DIRECTION_SOURCE
    mine = [f for f in found if (actor and ip in f.hosts) or (peer and ip in f.peers)]
    mine = mine[: arguments.max_findings(0)]
    per_kind: Counter[int] = Counter()
    shown = []
    for finding in mine:
        per_kind[finding.kind] += 1
        if per_kind[finding.kind] <= SAMPLED_PER_KIND:
            shown.append(finding)
    await add_samples(backend, shown)
    return mine
