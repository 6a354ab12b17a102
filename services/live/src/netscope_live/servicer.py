"""gRPC LiveService: validates nothing itself beyond what the source does, delegates every RPC."""

from __future__ import annotations

import grpc

from netscope.live.v1 import live_pb2 as pb
from netscope.live.v1 import live_pb2_grpc
from netscope_live.monitoring.service import ActiveMonitors
from netscope_live.source import LiveSource


class LiveServicer(live_pb2_grpc.LiveServiceServicer):
    """Answers from the configured source (collector or ntopng); active monitoring from `monitors`."""

    def __init__(self, source: LiveSource, monitors: ActiveMonitors) -> None:
        self.source = source
        self.monitors = monitors

    async def ListInterfaces(
        self, request: pb.ListInterfacesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListInterfacesResponse:
        """Interfaces and their ifids."""
        return await self.source.list_interfaces()

    async def InterfaceStats(
        self, request: pb.InterfaceStatsRequest, context: grpc.aio.ServicerContext
    ) -> pb.InterfaceStatsResponse:
        """Counters and throughput of one interface."""
        return await self.source.interface_stats(request)

    async def ListHosts(self, request: pb.ListHostsRequest, context: grpc.aio.ServicerContext) -> pb.ListHostsResponse:
        """Active hosts (top local / remote talkers)."""
        return await self.source.list_hosts(request)

    async def GetHost(self, request: pb.GetHostRequest, context: grpc.aio.ServicerContext) -> pb.Host:
        """One host with details."""
        return await self.source.get_host(request)

    async def ListFlows(self, request: pb.ListFlowsRequest, context: grpc.aio.ServicerContext) -> pb.ListFlowsResponse:
        """Active flows."""
        return await self.source.list_flows(request)

    async def FlowsSummary(
        self, request: pb.FlowsSummaryRequest, context: grpc.aio.ServicerContext
    ) -> pb.FlowsSummaryResponse:
        """Active flows by application, L4 protocol and server port."""
        return await self.source.flows_summary(request)

    async def CountryStats(
        self, request: pb.CountryStatsRequest, context: grpc.aio.ServicerContext
    ) -> pb.CountryStatsResponse:
        """Traffic per country."""
        return await self.source.country_stats(request)

    async def HostsLocation(
        self, request: pb.HostsLocationRequest, context: grpc.aio.ServicerContext
    ) -> pb.HostsLocationResponse:
        """Country of active hosts."""
        return await self.source.hosts_location(request)

    async def MacInfo(self, request: pb.MacInfoRequest, context: grpc.aio.ServicerContext) -> pb.MacInfoResponse:
        """Vendor and traffic of a MAC."""
        return await self.source.mac_info(request)

    async def CollectorStats(
        self, request: pb.CollectorStatsRequest, context: grpc.aio.ServicerContext
    ) -> pb.CollectorStatsResponse:
        """Collector counters per exporter."""
        return await self.source.collector_stats(request)

    async def ListAvailableMonitors(
        self, request: pb.ListAvailableMonitorsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListAvailableMonitorsResponse:
        """Monitor kinds and their parameters."""
        return self.monitors.available()

    async def ListEnabledMonitors(
        self, request: pb.ListEnabledMonitorsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListEnabledMonitorsResponse:
        """Enabled monitors with their last results."""
        return self.monitors.enabled()

    async def AddMonitor(
        self, request: pb.AddMonitorRequest, context: grpc.aio.ServicerContext
    ) -> pb.AddMonitorResponse:
        """Enable (or update) a monitor."""
        return await self.monitors.add(request)

    async def RemoveMonitor(
        self, request: pb.RemoveMonitorRequest, context: grpc.aio.ServicerContext
    ) -> pb.RemoveMonitorResponse:
        """Disable a monitor."""
        return await self.monitors.remove(request)
