"""Seed 003's flow analysis tools: traffic overview, anomalies, recommendations and bottlenecks."""

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from pydantic import Field

from netscope.flows.v1 import flows_pb2
from netscope.snmp.v1 import snmp_pb2
from netscope_aggregator import contracts
from netscope_aggregator.backends import Backends
from netscope_aggregator.catalog import Declaration
from netscope_aggregator.declare import composite
from netscope_aggregator.fanout import gather_parts
from netscope_aggregator.render import human_bytes, to_plain
from netscope_aggregator.tools.analysis.common import (
    FOCUS_SECTIONS,
    RANKINGS,
    AnomalyName,
    HoursOr1,
    HoursOr24,
    busy_interfaces_line,
    merged,
)
from netscope_aggregator.tools.shared.flow_filter import flow_filter
from netscope_aggregator.tools.shared.seed_args import (
    AnomalyType,
    Focus,
    TimeRange,
    anomaly_kinds,
    window_hours,
    window_label,
)


def flow_tools(backends: Backends) -> list[Declaration]:
    """The tools' declarations, calling the services through `backends`."""
    deadline = backends.timeout

    async def analyze_traffic(
        ctx: Context,
        hours: HoursOr1 = None,
        top_n: Annotated[int, Field(ge=1, le=50)] = 10,
        time_range: TimeRange = None,
        focus: Annotated[
            Focus,
            Field(
                description="which rankings to answer: summary = all; top_talkers = talkers and destinations; "
                "services = protocols and services; geographic = destinations (no per-country ranking)"
            ),
        ] = "summary",
    ) -> dict[str, Any]:
        """Totals, protocol mix, top talkers, services and destinations over a window (default: the last hour)."""
        span, since = window_hours(hours, time_range, 1)
        request = flows_pb2.AnalyzeTrafficRequest(filter=flow_filter(span, time_range=since), top_n=top_n)
        reply = await backends.call(contracts.flows.AnalyzeTraffic, request)
        answer: dict[str, Any] = to_plain(reply)
        for section in RANKINGS - set(FOCUS_SECTIONS[focus]):
            answer.pop(section, None)
        totals = reply.totals
        answer["summary"] = (
            f"{human_bytes(totals.bytes)} in {totals.flows} flows between {totals.hosts} hosts "
            f"{window_label(span, since)}"
        )
        return answer

    async def find_anomalies(
        ctx: Context,
        hours: HoursOr24 = None,
        kinds: Annotated[list[AnomalyName], Field(max_length=8, description="empty = every kind")] = [],  # noqa: B006
        max_findings: Annotated[int, Field(ge=1, le=50)] = 20,
        time_range: TimeRange = None,
        anomaly_type: Annotated[
            AnomalyType | None,
            Field(
                description="instead of kinds (seed 003): all = every kind; port_scan = horizontal_scan + "
                "vertical_scan; traffic_spike = traffic_spike + traffic_drop; rare_ports = rare_port"
            ),
        ] = None,
    ) -> dict[str, Any]:
        """Port scans, spikes/drops, DGA-looking DNS, beaconing, off-hours exfiltration, rare ports, with evidence
        (default window: the last 24 hours)."""
        span, since = window_hours(hours, time_range, 24)
        request = flows_pb2.FindAnomaliesRequest(
            filter=flow_filter(span, time_range=since),
            max_findings=max_findings,
            kinds=[
                flows_pb2.AnomalyKind.Value(f"ANOMALY_KIND_{k.upper()}") for k in anomaly_kinds(kinds, anomaly_type)
            ],
        )
        reply = await backends.call(contracts.flows.FindAnomalies, request)
        answer: dict[str, Any] = to_plain(reply)
        answer.setdefault("findings", [])
        answer["summary"] = "; ".join(f"{f.title} (score {f.score:.0f})" for f in reply.findings[:5]) or "no anomalies"
        answer.setdefault("unavailable", [])
        if reply.unavailable:  # detectors flows could not run: their silence is not an all-clear
            answer["summary"] += f" (not checked: {', '.join(reply.unavailable)})"
        return answer

    async def get_recommendations(
        ctx: Context,
        hours: HoursOr24 = None,
        max_items: Annotated[int, Field(ge=1, le=20)] = 5,
        time_range: TimeRange = None,
        include_analysis: Annotated[
            bool,
            Field(description="false: each recommendation without the evidence and evidence_filter behind it"),
        ] = True,
    ) -> dict[str, Any]:
        """Prioritised actions with the evidence behind each (default window: the last 24 hours)."""
        span, since = window_hours(hours, time_range, 24)
        reply = await backends.call(
            contracts.flows.Recommendations,
            flows_pb2.RecommendationsRequest(filter=flow_filter(span, time_range=since), max_items=max_items),
        )
        answer: dict[str, Any] = to_plain(reply)
        answer.setdefault("recommendations", [])
        for item in answer["recommendations"]:  # the finding kinds as find_anomalies names them
            item["source"] = str(item.get("source", "")).removeprefix("ANOMALY_KIND_").lower()
            if not include_analysis:
                item.pop("evidence", None)
                item.pop("evidence_filter", None)
        return answer

    async def detect_bottlenecks(
        ctx: Context,
        hours: HoursOr1 = None,
        threshold_percent: Annotated[
            float,
            Field(gt=0, le=100, description="utilisation threshold in percent (seed 003's default is 30)"),
        ] = 70,
        time_range: TimeRange = None,
    ) -> dict[str, Any]:
        """Links above a utilisation threshold: SNMP interface rates and flow-derived load with top talkers
        (default window: the last hour)."""
        span, since = window_hours(hours, time_range, 1)
        snmp_request = snmp_pb2.ListInterfacesRequest(min_utilization_percent=threshold_percent, limit=50)
        flows_request = flows_pb2.DetectBottlenecksRequest(
            filter=flow_filter(span, time_range=since), threshold_percent=threshold_percent
        )
        fan = await gather_parts(
            {
                "snmp_interfaces": backends.call(contracts.snmp.ListInterfaces, snmp_request),
                "flow_bottlenecks": backends.call(contracts.flows.DetectBottlenecks, flows_request),
            },
            deadline,
        )
        flows_found = len(fan.results["flow_bottlenecks"].bottlenecks) if "flow_bottlenecks" in fan.results else 0
        snmp = fan.results.get("snmp_interfaces", snmp_pb2.ListInterfacesResponse())  # missing: counted as none
        snmp_part = busy_interfaces_line(snmp, threshold_percent)
        return merged(fan, f"{snmp_part} by SNMP; {flows_found} bottlenecks in flow data {window_label(span, since)}")

    return [
        composite(fn, name=name, description=description, toolsets=toolsets, rpcs=rpcs)
        for fn, name, description, toolsets, rpcs in (
            (
                analyze_traffic,
                "analyze_traffic",
                "Traffic overview: totals, protocol mix, top talkers and services.",
                ("analysis",),
                (contracts.flows.AnalyzeTraffic,),
            ),
            (
                find_anomalies,
                "find_anomalies",
                "Detect port scans, traffic spikes/drops, DNS C2 (DGA domains), beaconing, "
                "off-hours exfiltration and rare ports; each finding has a score and evidence.",
                ("analysis",),
                (contracts.flows.FindAnomalies,),
            ),
            (
                get_recommendations,
                "get_recommendations",
                "Prioritised, actionable recommendations with evidence.",
                ("analysis",),
                (contracts.flows.Recommendations,),
            ),
            (
                detect_bottlenecks,
                "detect_bottlenecks",
                "Interfaces over a utilisation threshold (SNMP) and flow-derived "
                "bottlenecks with their top talkers, in one answer.",
                ("analysis", "snmp"),
                (contracts.snmp.ListInterfaces, contracts.flows.DetectBottlenecks),
            ),
        )
    ]
