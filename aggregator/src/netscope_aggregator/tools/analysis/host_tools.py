"""Cross-domain tools that fan out to several services at once: one host, one asset, the whole network."""

import asyncio
from datetime import timedelta
from typing import Annotated, Any

from mcp.server.mcpserver import Context
from pydantic import Field

from netscope.alerts.v1 import alerts_pb2
from netscope.common.v1 import common_pb2
from netscope.flows.v1 import flows_pb2
from netscope.live.v1 import live_pb2
from netscope.snmp.v1 import snmp_pb2
from netscope_aggregator import contracts
from netscope_aggregator.backends import Backends
from netscope_aggregator.catalog import Declaration
from netscope_aggregator.declare import composite
from netscope_aggregator.fanout import gather_parts
from netscope_aggregator.render import human_bytes
from netscope_aggregator.tools.analysis.common import (
    HoursOr24,
    Threshold,
    busy_interfaces_line,
    checked_ip,
    keep_top_findings,
    merged,
)
from netscope_aggregator.tools.shared.flow_filter import Hours
from netscope_aggregator.tools.shared.seed_args import (
    DIRECTIONS,
    Direction,
    TimeRange,
    host_ip,
    window_hours,
)
from netscope_common.timeutil import last


def host_tools(backends: Backends) -> list[Declaration]:
    """The tools' declarations, calling the services through `backends`."""
    deadline = backends.timeout

    async def investigate_host(
        ctx: Context,
        ip: Annotated[str | None, Field(max_length=64, description="the host's IPv4 or IPv6 address")] = None,
        hours: HoursOr24 = None,
        ip_address: Annotated[str | None, Field(max_length=64, description="seed 003's name for ip")] = None,
        direction: Annotated[
            Direction, Field(description="its flow history as source, as destination, or both")
        ] = "both",
        time_range: TimeRange = None,
    ) -> dict[str, Any]:
        """Everything about one host at once: live state, history, findings and alerts (default: the last 24 h)."""
        address = checked_ip(host_ip(ip, ip_address))
        span, since = window_hours(hours, time_range, 24)
        window = last(timedelta(hours=span)) if span is not None else None
        history_request = flows_pb2.InvestigateHostRequest(
            ip=address, window=window, time_range=since, top_n=10, direction=DIRECTIONS[direction]
        )
        history_call = asyncio.ensure_future(backends.call(contracts.flows.InvestigateHost, history_request))

        async def alerts() -> alerts_pb2.ListAlertsResponse:
            """The host's alerts over the history's window: flows resolves a time_range, so wait for its answer."""
            over = window
            if over is None:
                history = await history_call
                over = common_pb2.TimeWindow(start=history.window_start, end=history.window_end)
            request = alerts_pb2.ListAlertsRequest(window=over, entity_value=address)
            request.page.page_size = 20
            return await backends.call(contracts.alerts.ListAlerts, request)

        fan = await gather_parts(
            {
                "live": backends.call(contracts.live.GetHost, live_pb2.GetHostRequest(ip=address)),
                "history": history_call,
                "alerts": alerts(),
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
        answer = merged(fan, f"{address}: " + ("; ".join(parts) or "no data"))
        if "history" in answer:
            keep_top_findings(answer["history"])
        return answer

    async def get_asset_info(
        ctx: Context, ip: Annotated[str, Field(max_length=64)], hours: Hours = 168
    ) -> dict[str, Any]:
        """What a device is: MAC and vendor, names, country, first/last seen, usual services and alerts."""
        address = checked_ip(ip)
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
        return merged(fan, f"{address} {label}".strip())

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
        answer = merged(fan, "; ".join(parts) or "no service answered")
        if "devices" in answer:  # one line per device keeps the answer small; get_snmp_device_info has the rest
            keep = ("id", "status", "status_detail", "cpu_percent", "memory_percent", "last_seen")
            answer["devices"] = [{k: d[k] for k in keep if k in d} for d in answer["devices"].get("devices", [])]
        return answer

    return [
        composite(fn, name=name, description=description, toolsets=toolsets, rpcs=rpcs)
        for fn, name, description, toolsets, rpcs in (
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
        )
    ]
