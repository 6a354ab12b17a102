"""The interface both live sources implement (built-in collector, ntopng REST)."""

from __future__ import annotations

from typing import Protocol

from netscope.live.v1 import live_pb2 as pb


class LiveSource(Protocol):
    """Answers the LiveService RPCs from one backend; raises netscope_common.errors on bad requests."""

    name: str

    async def start(self) -> None:
        """Open sockets / connections."""

    async def stop(self) -> None:
        """Release them (the collector hands its live flows to ingest)."""

    async def health(self) -> None:
        """Raise when the backend cannot serve."""

    async def list_interfaces(self) -> pb.ListInterfacesResponse:
        """Interfaces with their ifids."""

    async def interface_stats(self, req: pb.InterfaceStatsRequest) -> pb.InterfaceStatsResponse:
        """Counters and throughput of one interface."""

    async def list_hosts(self, req: pb.ListHostsRequest) -> pb.ListHostsResponse:
        """One page of active hosts."""

    async def get_host(self, req: pb.GetHostRequest) -> pb.Host:
        """One host with details."""

    async def list_flows(self, req: pb.ListFlowsRequest) -> pb.ListFlowsResponse:
        """One page of active flows."""

    async def flows_summary(self, req: pb.FlowsSummaryRequest) -> pb.FlowsSummaryResponse:
        """Active flows broken down by application, L4 protocol and server port."""

    async def country_stats(self, req: pb.CountryStatsRequest) -> pb.CountryStatsResponse:
        """Traffic per country."""

    async def hosts_location(self, req: pb.HostsLocationRequest) -> pb.HostsLocationResponse:
        """Country of active hosts."""

    async def mac_info(self, req: pb.MacInfoRequest) -> pb.MacInfoResponse:
        """Vendor and traffic of one MAC address."""

    async def collector_stats(self, req: pb.CollectorStatsRequest) -> pb.CollectorStatsResponse:
        """Collector counters (FAILED_PRECONDITION for sources without a collector)."""
