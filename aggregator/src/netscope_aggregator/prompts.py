"""SOC and network-manager playbooks as MCP prompts: which tools to call, in which order, and what to check."""

from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from pydantic import Field

Hours = Annotated[int, Field(ge=1, le=720, description="how far back to look")]


def register(mcp: MCPServer[Any]) -> None:
    """Add the playbooks."""

    @mcp.prompt(
        name="dns_c2_investigation", description="Which hosts talk to a suspicious domain, and what else they do."
    )
    def dns_c2_investigation(domain: str = "", hours: Hours = 24) -> str:
        target = f"the domain {domain!r}" if domain else "DGA-looking or rare domains"
        return (
            f"Investigate possible DNS command-and-control involving {target} over the last {hours} h.\n"
            '1. find_anomalies {"kinds": ["dga_domains"]} or query_ntopng_database on flows where L7_PROTO is '
            "DNS (5) and INFO holds the queried name; group by client IP.\n"
            "2. For each client: investigate_host (live state, flow history and findings, alerts).\n"
            "3. list_alerts for those hosts; check list_alert_exclusions so nothing is hidden.\n"
            "4. Conclude per host: block, isolate or monitor, with the evidence (counts, first/last seen)."
        )

    @mcp.prompt(name="exfiltration_hunt", description="Large outbound transfers to foreign hosts, off-hours first.")
    def exfiltration_hunt(hours: Hours = 24) -> str:
        return (
            f"Hunt for data exfiltration over the last {hours} h.\n"
            "1. get_ntopng_top-k_flows or query_ntopng_database: top source→destination pairs by SRC2DST_BYTES "
            "where SERVER_LOCATION = 2 (remote); note destination countries and ASNs.\n"
            '2. find_anomalies {"kinds": ["off_hours_exfiltration"]} for off-hours uploads.\n'
            "3. investigate_host on each suspect; compare with its usual traffic.\n"
            "4. Separate known cloud/CDN traffic from unknown peers; propose exclusions only with confirmation."
        )

    @mcp.prompt(
        name="beaconing_hunt", description="Hosts that contact the same peer at a regular interval (C2 beacons)."
    )
    def beaconing_hunt(hours: Hours = 24, interval_seconds: int = 60) -> str:
        return (
            f"Find hosts beaconing roughly every {interval_seconds} s during the last {hours} h.\n"
            '1. find_anomalies {"kinds": ["beaconing"]} lists pairs with regular inter-arrival times.\n'
            "2. For each pair: query flows per minute to confirm the period and jitter; check the peer's "
            "country/ASN.\n"
            "3. investigate_host on the client; list_alerts for it; recommend containment."
        )

    @mcp.prompt(name="bandwidth_hog", description="Who fills a link, and is it expected?")
    def bandwidth_hog(hours: Hours = 6) -> str:
        return (
            f"Find what consumes bandwidth over the last {hours} h.\n"
            "1. detect_bottlenecks: interfaces above threshold (SNMP) with their top talkers (flows).\n"
            "2. get_ntopng_top-k_flows by IP pair and L7 protocol; chart the busiest link over time.\n"
            "3. Classify: scheduled (backups at night), business (video, SaaS) or anomalous."
        )

    @mcp.prompt(name="vpn_gateway_health", description="Is the VPN gateway healthy: CPU, memory, links, sessions.")
    def vpn_gateway_health(device: str = "") -> str:
        target = device or "the VPN gateway (list_snmp_devices with label role=vpn-gateway finds it)"
        return (
            f"Check the health of {target}.\n"
            "1. get_snmp_device_info: CPU, memory, interface rates and utilisation, status.\n"
            "2. get_ntopng_snmp_device_alert_list for recent device alerts.\n"
            "3. query_ntopng_database: distinct VPN clients (UDP 1194/51820, TCP 443 to the gateway) in the "
            "last hour vs the previous day.\n"
            "4. Conclude: saturated or not, and what to upgrade or tune."
        )

    @mcp.prompt(name="monitoring_coverage", description="Are all devices monitored and answering?")
    def monitoring_coverage() -> str:
        return (
            "Verify monitoring coverage.\n"
            "1. list_snmp_devices: every device with its status and last-seen time.\n"
            "2. For unreachable or auth-failure devices: get_asset_info on their address.\n"
            "3. network_health for interfaces down and collector loss.\n"
            "4. List what to fix, most critical first."
        )
