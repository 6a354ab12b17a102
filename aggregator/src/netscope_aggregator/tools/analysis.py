"""Analysis tools (seed 003) and cross-domain investigations that fan out to several services at once."""

import ipaddress
from collections import Counter
from datetime import timedelta
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from netscope.alerts.v1 import alerts_pb2
from netscope.flows.v1 import flows_pb2
from netscope.live.v1 import live_pb2
from netscope.snmp.v1 import snmp_pb2
from netscope_aggregator import contracts
from netscope_aggregator.backends import Backends
from netscope_aggregator.catalog import Catalog
from netscope_aggregator.confirmations import Confirmations
from netscope_aggregator.declare import composite
from netscope_aggregator.fanout import FanOut, gather_parts
from netscope_aggregator.render import human_bytes, to_plain
from netscope_aggregator.tools.shared.flow_filter import Hours, flow_filter
from netscope_aggregator.tools.shared.hints import NEEDS_TWO_POLLS
from netscope_common.timeutil import last

AnomalyName = Literal[
    "horizontal_scan",
    "vertical_scan",
    "traffic_spike",
    "traffic_drop",
    "dga_domains",
    "beaconing",
    "off_hours_exfiltration",
    "rare_port",
]
FINDINGS_PER_KIND = 3
Threshold = Annotated[float, Field(gt=0, le=100, description="utilisation threshold in percent")]


def _merged(fan: FanOut, summary: str) -> dict[str, Any]:
    answer: dict[str, Any] = {"summary": summary, **{k: to_plain(v) for k, v in fan.results.items()}}
    if fan.missing:
        answer["missing"] = fan.missing
        answer["partial"] = True
    return answer


def _keep_top_findings(history: dict[str, Any]) -> None:
    """Bound a host's (rendered) findings to the FINDINGS_PER_KIND highest-scored of each kind (a busy host has
    dozens of per-window traffic spikes), with the count per kind."""
    findings = history.get("findings", [])
    per_kind = Counter(f.get("kind") for f in findings)
    if max(per_kind.values(), default=0) <= FINDINGS_PER_KIND:
        return
    shown: Counter[Any] = Counter()
    kept = []
    for finding in sorted(findings, key=lambda f: -f.get("score", 0.0)):
        shown[finding.get("kind")] += 1
        if shown[finding.get("kind")] <= FINDINGS_PER_KIND:
            kept.append(finding)
    history["findings"] = kept
    history["findings_by_kind"] = dict(per_kind)
    history["findings_note"] = (
        f"the {FINDINGS_PER_KIND} highest-scored findings of each kind are shown; find_anomalies lists them all"
    )


def busy_interfaces_line(reply: snmp_pb2.ListInterfacesResponse, threshold_percent: float) -> str:
    """'2 interfaces above 80%', saying when interfaces without rates yet were not judged (not an all-clear)."""
    text = f"{len(reply.interfaces)} interfaces above {threshold_percent:g}%"
    if reply.without_rates:
        text += f" ({reply.without_rates} interfaces not judged: no rate yet, {NEEDS_TWO_POLLS})"
    return text


def _ip(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        raise ToolError(f"'{text}' is not an IP address; give an IPv4 or IPv6 address such as 10.1.2.42") from None


def register(catalog: Catalog, backends: Backends, confirmations: Confirmations) -> None:
    """Add the analysis and fan-out tools."""
    deadline = backends.timeout

    async def analyze_traffic(
        ctx: Context, hours: Hours = 1, top_n: Annotated[int, Field(ge=1, le=50)] = 10
    ) -> dict[str, Any]:
        """Totals, protocol mix, top talkers, services and destinations over a window."""
        reply = await backends.call(
            contracts.flows.AnalyzeTraffic, flows_pb2.AnalyzeTrafficRequest(filter=flow_filter(hours), top_n=top_n)
        )
        answer: dict[str, Any] = to_plain(reply)
        totals = reply.totals
        answer["summary"] = (
            f"{human_bytes(totals.bytes)} in {totals.flows} flows between {totals.hosts} hosts over {hours:g} h"
        )
        return answer

    async def find_anomalies(
        ctx: Context,
        hours: Hours = 24,
        kinds: Annotated[list[AnomalyName], Field(max_length=8, description="empty = every kind")] = [],  # noqa: B006
        max_findings: Annotated[int, Field(ge=1, le=50)] = 20,
    ) -> dict[str, Any]:
        """Port scans, spikes/drops, DGA-looking DNS, beaconing, off-hours exfiltration, rare ports, with evidence."""
        request = flows_pb2.FindAnomaliesRequest(
            filter=flow_filter(hours),
            max_findings=max_findings,
            kinds=[flows_pb2.AnomalyKind.Value(f"ANOMALY_KIND_{k.upper()}") for k in kinds],
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
        ctx: Context, hours: Hours = 24, max_items: Annotated[int, Field(ge=1, le=20)] = 5
    ) -> dict[str, Any]:
        """Prioritised actions with the evidence behind each."""
        reply = await backends.call(
            contracts.flows.Recommendations,
            flows_pb2.RecommendationsRequest(filter=flow_filter(hours), max_items=max_items),
        )
        answer: dict[str, Any] = to_plain(reply)
        answer.setdefault("recommendations", [])
        for item in answer["recommendations"]:  # the finding kinds as find_anomalies names them
            item["source"] = str(item.get("source", "")).removeprefix("ANOMALY_KIND_").lower()
        return answer

    async def detect_bottlenecks(ctx: Context, hours: Hours = 1, threshold_percent: Threshold = 70) -> dict[str, Any]:
        """Links above a utilisation threshold: SNMP interface rates and flow-derived load with top talkers."""
        snmp_request = snmp_pb2.ListInterfacesRequest(min_utilization_percent=threshold_percent, limit=50)
        flows_request = flows_pb2.DetectBottlenecksRequest(
            filter=flow_filter(hours), threshold_percent=threshold_percent
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
        return _merged(fan, f"{snmp_part} by SNMP; {flows_found} bottlenecks in flow data over {hours:g} h")

    async def investigate_host(
        ctx: Context,
        ip: Annotated[str, Field(max_length=64)],
        hours: Hours = 24,
    ) -> dict[str, Any]:
        """Everything about one host at once: live state, history, findings and alerts."""
        address = _ip(ip)
        window = last(timedelta(hours=hours))
        alerts_request = alerts_pb2.ListAlertsRequest(window=window, entity_value=address)
        alerts_request.page.page_size = 20
        fan = await gather_parts(
            {
                "live": backends.call(contracts.live.GetHost, live_pb2.GetHostRequest(ip=address)),
                "history": backends.call(
                    contracts.flows.InvestigateHost,
                    flows_pb2.InvestigateHostRequest(ip=address, window=window, top_n=10),
                ),
                "alerts": backends.call(contracts.alerts.ListAlerts, alerts_request),
            },
            deadline,
        )
        parts = []
        if "history" in fan.results:
            history = fan.results["history"]
            client, server = history.as_client, history.as_server
            sent = client.client_to_server_bytes + (server.bytes - server.client_to_server_bytes)
            received = (client.bytes - client.client_to_server_bytes) + server.client_to_server_bytes
            parts.append(
                f"history: sent {human_bytes(sent)}, received {human_bytes(received)} in "
                f"{client.flows + server.flows} flows ({client.flows} as client, {server.flows} as server), "
                f"{len(history.findings)} findings"
            )
        if "alerts" in fan.results:
            parts.append(f"{fan.results['alerts'].total} alerts")
        if "live" in fan.results:
            parts.append(f"live now: {fan.results['live'].throughput_bps / 1e6:.2f} Mbit/s")
        answer = _merged(fan, f"{address}: " + ("; ".join(parts) or "no data"))
        if "history" in answer:
            _keep_top_findings(answer["history"])
        return answer

    async def get_asset_info(
        ctx: Context, ip: Annotated[str, Field(max_length=64)], hours: Hours = 168
    ) -> dict[str, Any]:
        """What a device is: MAC and vendor, names, country, first/last seen, usual services and alerts."""
        address = _ip(ip)
        window = last(timedelta(hours=hours))
        stats = alerts_pb2.AlertStatsRequest(window=window, entity_value=address, top_n=5)
        fan = await gather_parts(
            {
                "live": backends.call(contracts.live.GetHost, live_pb2.GetHostRequest(ip=address)),
                "history": backends.call(
                    contracts.flows.InvestigateHost,
                    flows_pb2.InvestigateHostRequest(ip=address, window=window, top_n=5),
                ),
                "alert_stats": backends.call(contracts.alerts.AlertStats, stats),
            },
            deadline,
        )
        if "live" in fan.results and fan.results["live"].mac:
            mac = await gather_parts(
                {"mac": backends.call(contracts.live.MacInfo, live_pb2.MacInfoRequest(mac=fan.results["live"].mac))},
                deadline,
            )
            fan.results.update(mac.results)
            fan.missing.update(mac.missing)
        label = fan.results["history"].label if "history" in fan.results else ""
        return _merged(fan, f"{address} {label}".strip())

    async def network_health(ctx: Context, threshold_percent: Threshold = 80) -> dict[str, Any]:
        """One look at the network: devices down, busy interfaces, alert counts, collector loss."""
        fan = await gather_parts(
            {
                "devices": backends.call(contracts.snmp.ListDevices, snmp_pb2.ListDevicesRequest(limit=200)),
                "busy_interfaces": backends.call(
                    contracts.snmp.ListInterfaces,
                    snmp_pb2.ListInterfacesRequest(min_utilization_percent=threshold_percent, limit=50),
                ),
                "alert_stats": backends.call(
                    contracts.alerts.AlertStats,
                    alerts_pb2.AlertStatsRequest(window=last(timedelta(hours=24)), top_n=5),
                ),
                "collector": backends.call(contracts.live.CollectorStats, live_pb2.CollectorStatsRequest()),
            },
            deadline,
        )
        parts = []
        if "devices" in fan.results:
            devices = fan.results["devices"].devices
            down = [d.id for d in devices if d.status != snmp_pb2.DEVICE_STATUS_UP]
            parts.append(
                f"{len(devices) - len(down)}/{len(devices)} devices up"
                + (f" (down: {', '.join(down[:5])})" if down else "")
            )
        if "busy_interfaces" in fan.results:
            parts.append(busy_interfaces_line(fan.results["busy_interfaces"], threshold_percent))
        if "alert_stats" in fan.results:
            parts.append(f"{fan.results['alert_stats'].total} alerts in 24 h")
        answer = _merged(fan, "; ".join(parts) or "no service answered")
        if "devices" in answer:  # one line per device keeps the answer small; get_snmp_device_info has the rest
            keep = ("id", "status", "status_detail", "cpu_percent", "memory_percent", "last_seen")
            answer["devices"] = [{k: d[k] for k in keep if k in d} for d in answer["devices"].get("devices", [])]
        return answer

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
            "Detect port scans, traffic spikes/drops, DNS C2 (DGA domains), beaconing "
            "and off-hours exfiltration; each finding has a score and evidence.",
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
        (
            investigate_host,
            "investigate_host",
            "Investigate one IP: live state, history, findings and alerts at once; "
            "a part whose service is down is named in `missing`.",
            ("analysis",),
            (contracts.live.GetHost, contracts.flows.InvestigateHost, contracts.alerts.ListAlerts),
        ),
        (
            get_asset_info,
            "get_asset_info",
            "Asset inventory for an IP: MAC/vendor, names, country, first/last seen, services, alert counts.",
            ("analysis", "live"),
            (
                contracts.live.GetHost,
                contracts.flows.InvestigateHost,
                contracts.alerts.AlertStats,
                contracts.live.MacInfo,
            ),
        ),
        (
            network_health,
            "network_health",
            "Network health at a glance: devices, busy interfaces, alerts, collector.",
            ("analysis",),
            (
                contracts.snmp.ListDevices,
                contracts.snmp.ListInterfaces,
                contracts.alerts.AlertStats,
                contracts.live.CollectorStats,
            ),
        ),
    ):
        catalog.declare(composite(fn, name=name, description=description, toolsets=toolsets, rpcs=rpcs))
