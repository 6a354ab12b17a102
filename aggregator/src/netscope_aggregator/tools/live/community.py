"""ntopng's community MCP tools beyond the seeds: discover_lan, get_interface_addresses, list_networks (live data)."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, BeforeValidator, Field

from netscope.live.v1 import live_pb2 as pb
from netscope_aggregator import contracts
from netscope_aggregator.backends import Backends
from netscope_aggregator.tools.live.arguments import Ifid, as_int

LAN_HOSTS = 1000  # local hosts read, busiest first

IfidText = Annotated[int, BeforeValidator(as_int), Field(ge=0, le=65535, description='interface id ("0" works too)')]


class LanDevice(BaseModel):
    """One device seen on the LAN."""

    ip: str
    mac: str
    hostname: str
    manufacturer: str
    source: str


class LanAnswer(BaseModel):
    """Devices on the LAN of an interface."""

    ifid: int
    ifname: str
    devices: list[LanDevice]
    truncated: bool
    summary: str


class InterfaceAddressesAnswer(BaseModel):
    """Addresses of an interface."""

    interface: str
    ifid: int
    addresses: list[str]
    summary: str


class NetworkItem(BaseModel):
    """One local network."""

    cidr: str
    network_id: int


class NetworksAnswer(BaseModel):
    """The local networks of an interface."""

    ifid: int
    networks: list[NetworkItem]
    summary: str


class CommunityReads:
    """discover_lan, get_interface_addresses, list_networks."""

    def __init__(self, backends: Backends) -> None:
        self.backends = backends

    async def _interface(self, ifid: int) -> pb.NetworkInterface:
        reply = await self.backends.call(contracts.live.ListInterfaces, pb.ListInterfacesRequest())
        for interface in reply.interfaces:
            if interface.ifid == ifid:
                return interface
        known = ", ".join(f"{i.ifid} ({i.name})" for i in reply.interfaces) or "none"
        raise ToolError(f"interface {ifid} does not exist; interfaces: {known}")

    async def discover_lan(
        self,
        ctx: Context,
        ifid: Ifid = 0,
        ifname: Annotated[str, Field(max_length=64, description="interface name (checked against ifid if given)")] = "",
    ) -> LanAnswer:
        interface = await self._interface(ifid)
        if ifname and ifname != interface.name:
            raise ToolError(f"interface {ifid} is named {interface.name!r}, not {ifname!r}")
        request = pb.ListHostsRequest(ifid=ifid, locality=pb.HOST_LOCALITY_LOCAL, sort=pb.HOST_SORT_BYTES)
        request.page.page_size = LAN_HOSTS
        reply = await self.backends.call(contracts.live.ListHosts, request)
        devices = [
            LanDevice(ip=h.ip, mac=h.mac, hostname=h.name, manufacturer=h.mac_vendor, source="passive")
            for h in reply.hosts
        ]
        return LanAnswer(
            ifid=ifid,
            ifname=interface.name,
            devices=devices,
            truncated=reply.total > len(devices),
            summary=f"LAN devices on {interface.name} — {len(devices)} found (passive: local hosts seen in live "
            f"traffic; no active ARP/mDNS/SSDP scan from here)",
        )

    async def get_interface_addresses(self, ctx: Context, ifid: Ifid = 0) -> InterfaceAddressesAnswer:
        interface = await self._interface(ifid)
        addresses = list(interface.addresses)
        return InterfaceAddressesAnswer(
            interface=interface.name,
            ifid=ifid,
            addresses=addresses,
            summary=f"{interface.name} ({interface.description}): {', '.join(addresses) or 'no address known'}",
        )

    async def list_networks(self, ctx: Context, ifid: IfidText = 0) -> NetworksAnswer:
        interface = await self._interface(ifid)
        networks = [NetworkItem(cidr=cidr, network_id=i) for i, cidr in enumerate(interface.local_networks)]
        return NetworksAnswer(
            ifid=ifid,
            networks=networks,
            summary=", ".join(n.cidr for n in networks) or "no local networks configured for this interface",
        )
