"""The live tools as assistants see them: name, description, toolsets, role and write flag of each."""

from netscope_aggregator import contracts
from netscope_aggregator.auth import Role
from netscope_aggregator.backends import Backends
from netscope_aggregator.catalog import Catalog
from netscope_aggregator.confirmations import Confirmations
from netscope_aggregator.declare import composite, unary
from netscope_aggregator.tools.live import render, requests
from netscope_aggregator.tools.live.community import CommunityReads
from netscope_aggregator.tools.live.handlers import TALKERS, LiveReads
from netscope_aggregator.tools.live.monitors import ADD, REMOVE, MonitorWrites


def register(catalog: Catalog, backends: Backends, confirmations: Confirmations) -> None:
    """Declare the live tools."""
    reads = LiveReads(backends)
    community = CommunityReads(backends)
    writes = MonitorWrites(backends, confirmations)
    compat = ("live", "ntopng-compat")
    content_note = " Also accepts ntopng MCP style `content`: a JSON object string with the same keys."
    catalog.declare(
        unary(
            backends,
            name="fetch_ntopng_all_ifids",
            description="List the monitored interfaces and their ifids (use the ifid in the other live tools).",
            toolsets=compat,
            rpc=contracts.live.ListInterfaces,
            request=requests.fetch_ntopng_all_ifids,
            render=render.interfaces_answer,
        )
    )
    catalog.declare(
        composite(
            reads.get_ntopng_hosts_location,
            name="get_ntopng_hosts_location",
            description="Country (offline geolocation) of the busiest active hosts of an interface.",
            toolsets=compat,
            rpcs=(contracts.live.HostsLocation,),
        )
    )
    catalog.declare(
        composite(
            reads.fetch_ntopng_top_local_talkers,
            name="fetch_ntopng_top_local_talkers",
            description=f"The top {TALKERS} active local hosts by bytes on an interface.",
            toolsets=compat,
            rpcs=(contracts.live.ListHosts,),
        )
    )
    catalog.declare(
        composite(
            reads.fetch_ntopng_top_remote_talkers,
            name="fetch_ntopng_top_remote_talkers",
            description=f"The top {TALKERS} active remote hosts by bytes on an interface.",
            toolsets=compat,
            rpcs=(contracts.live.ListHosts,),
        )
    )
    catalog.declare(
        composite(
            reads.get_host_info,
            name="get_host_info",
            description="Live statistics of an active host: bytes, throughput, active flows, applications, peers, "
            "server ports, MAC, country, first/last seen. NOT_FOUND when the host is not active (use `query` for "
            "history)." + content_note,
            toolsets=compat,
            rpcs=(contracts.live.GetHost,),
        )
    )
    catalog.declare(
        composite(
            reads.get_live_flows_for_host,
            name="get_live_flows_for_host",
            description="Active flows where an IP is client or server, largest first." + content_note,
            toolsets=compat,
            rpcs=(contracts.live.ListFlows,),
        )
    )
    catalog.declare(
        composite(
            reads.get_live_flows,
            name="get_live_flows",
            description="Active flows filtered by host, nDPI application, L4 protocol and port; sorted by bytes, "
            "throughput or last seen; paginated with page_token.",
            toolsets=("live",),
            rpcs=(contracts.live.ListFlows,),
        )
    )
    catalog.declare(
        composite(
            reads.get_live_flows_summary,
            name="get_live_flows_summary",
            description="Active flows aggregated by application, L4 protocol and server port (optionally of one host)."
            + content_note,
            toolsets=compat,
            rpcs=(contracts.live.FlowsSummary,),
        )
    )
    catalog.declare(
        composite(
            reads.get_country_stats,
            name="get_country_stats",
            description="Top-N countries ranked by live traffic (hosts, bytes, flows, throughput)." + content_note,
            toolsets=compat,
            rpcs=(contracts.live.CountryStats,),
        )
    )
    catalog.declare(
        composite(
            reads.get_mac_info,
            name="get_mac_info",
            description="Details of a MAC address: manufacturer (offline IEEE OUI table), device type, host pool, "
            "the hosts behind it (count, busiest IPs) and their traffic." + content_note,
            toolsets=compat,
            rpcs=(contracts.live.MacInfo,),
        )
    )
    catalog.declare(
        unary(
            backends,
            name="get_collector_stats",
            description="Built-in NetFlow/IPFIX collector counters: datagrams, records, templates, malformed packets, "
            "sequence loss per exporter, flow table and ingest queue.",
            toolsets=("live", "admin"),
            rpc=contracts.live.CollectorStats,
            request=requests.get_collector_stats,
            render=render.collector_answer,
        )
    )
    catalog.declare(
        unary(
            backends,
            name="list_available_active_monitoring_scripts",
            description="The active monitoring script kinds (tcp_connect, http, https) with their parameters.",
            toolsets=("live",),
            rpc=contracts.live.ListAvailableMonitors,
            request=requests.list_available_active_monitoring_scripts,
            render=render.available_monitors_answer,
        )
    )
    catalog.declare(
        composite(
            reads.list_enabled_active_monitoring_scripts,
            name="list_enabled_active_monitoring_scripts",
            description="The enabled active monitors with their last measurement (latency, status, error) and counts; "
            "`measurement` keeps one kind.",
            toolsets=("live",),
            rpcs=(contracts.live.ListEnabledMonitors,),
        )
    )
    catalog.declare(
        composite(
            writes.add_active_monitoring_script,
            name=ADD,
            description=(
                "Enable an active monitor for a host (write; needs role write): tcp_connect (host, port) or "
                "http/https (url, or host and port); interval_seconds 1-3600, threshold_ms latency limit. The first "
                "call returns a preview and a confirm_id; call again with the same arguments and confirm_id to apply "
                "it. Idempotent: the same kind and target updates the existing monitor." + content_note
            ),
            toolsets=("live",),
            role=Role.WRITE,
            writes=True,
            rpcs=(contracts.live.AddMonitor,),
        )
    )
    catalog.declare(
        composite(
            writes.remove_active_monitoring_script,
            name=REMOVE,
            description=(
                "Disable an active monitor by its id (write; needs role write). The first call returns a preview and a "
                "confirm_id; call again with the same monitor_id and confirm_id to apply it."
            ),
            toolsets=("live",),
            role=Role.WRITE,
            writes=True,
            destructive=True,
            rpcs=(contracts.live.RemoveMonitor,),
        )
    )
    catalog.declare(
        composite(
            community.discover_lan,
            name="discover_lan",
            description="Devices on the LAN of an interface: IP, MAC, hostname, manufacturer (the local hosts seen in "
            "live traffic; netscope does not scan actively).",
            toolsets=("live",),
            rpcs=(contracts.live.ListInterfaces, contracts.live.ListHosts),
        ),
        composite(
            community.get_interface_addresses,
            name="get_interface_addresses",
            description="Addresses of a monitored interface (for the flow collector: its listen address).",
            toolsets=("live",),
            rpcs=(contracts.live.ListInterfaces,),
        ),
        composite(
            community.list_networks,
            name="list_networks",
            description="The local networks (CIDR) of an interface.",
            toolsets=("live",),
            rpcs=(contracts.live.ListInterfaces,),
        ),
    )
