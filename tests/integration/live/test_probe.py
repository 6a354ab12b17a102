"""Packet probe: a pcap written here with scapy, metered by NFStream/nDPI inside the live service."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from scapy.layers.dns import DNS, DNSQR, DNSRR
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether
from scapy.layers.tls.extensions import ServerName, TLS_Ext_ServerName
from scapy.layers.tls.handshake import TLSClientHello
from scapy.layers.tls.record import TLS
from scapy.packet import Packet, Raw
from scapy.utils import wrpcap

from netscope.live.v1 import live_pb2 as pb
from netscope.live.v1 import live_pb2_grpc
from netscope_common.readiness import reason_of
from netscope_common.server import serve
from netscope_live.ingest import MemorySink
from netscope_live.main import build_spec
from netscope_live.probe.meter import MeterState, PacketMeter
from netscope_live.settings import LiveSettings
from tests.support.processes import Process, free_port, running, serving, wait_grpc_serving

pytestmark = pytest.mark.integration

SERVICE = "netscope.live.v1.LiveService"
CLIENT, SERVER, RESOLVER = "192.168.1.10", "93.184.216.34", "8.8.8.8"
CLIENT_MAC, GATEWAY_MAC = "00:1b:63:84:45:e6", "02:00:00:00:00:01"
FlowId = tuple[str, int, str, int]  # client ip/port, server ip/port


class Capture:
    """Packets of a few sessions and the frame bytes each flow carries in each direction."""

    def __init__(self) -> None:
        self.packets: list[Packet] = []
        self.bytes: dict[FlowId, list[int]] = {}
        self.time = 1_700_000_000.0

    def add(self, flow: FlowId, to_server: bool, packet: Packet) -> None:
        frame = Ether(src=CLIENT_MAC, dst=GATEWAY_MAC) if to_server else Ether(src=GATEWAY_MAC, dst=CLIENT_MAC)
        packet = frame / packet
        self.time += 0.01
        packet.time = self.time
        self.packets.append(packet)
        self.bytes.setdefault(flow, [0, 0])[0 if to_server else 1] += len(packet)

    def tcp(self, sport: int, dport: int, request: Packet, reply: Packet | None) -> None:
        """Handshake, a request and optionally a reply."""
        flow = (CLIENT, sport, SERVER, dport)
        out, back = IP(src=CLIENT, dst=SERVER), IP(src=SERVER, dst=CLIENT)
        self.add(flow, True, out / TCP(sport=sport, dport=dport, flags="S", seq=1000))
        self.add(flow, False, back / TCP(sport=dport, dport=sport, flags="SA", seq=5000, ack=1001))
        self.add(flow, True, out / TCP(sport=sport, dport=dport, flags="A", seq=1001, ack=5001))
        self.add(flow, True, out / TCP(sport=sport, dport=dport, flags="PA", seq=1001, ack=5001) / request)
        if reply is not None:
            ack = 1001 + len(request)
            self.add(flow, False, back / TCP(sport=dport, dport=sport, flags="PA", seq=5001, ack=ack) / reply)


DNS_FLOW: FlowId = (CLIENT, 53000, RESOLVER, 53)
HTTP_FLOW: FlowId = (CLIENT, 51000, SERVER, 80)
TLS_FLOW: FlowId = (CLIENT, 51001, SERVER, 443)
EXPECTED_APPS = {DNS_FLOW: "DNS", HTTP_FLOW: "HTTP", TLS_FLOW: "TLS"}


def write_capture(path: Path) -> Capture:
    """DNS query/answer over UDP 53, an HTTP GET over TCP 80, a TLS ClientHello with SNI over TCP 443."""
    cap = Capture()
    query = DNS(id=7, rd=1, qd=DNSQR(qname="example.com"))
    cap.add(DNS_FLOW, True, IP(src=CLIENT, dst=RESOLVER) / UDP(sport=53000, dport=53) / query)
    answer = DNS(id=7, qr=1, qd=DNSQR(qname="example.com"), an=DNSRR(rrname="example.com", rdata=SERVER))
    cap.add(DNS_FLOW, False, IP(src=RESOLVER, dst=CLIENT) / UDP(sport=53, dport=53000) / answer)
    cap.tcp(
        51000,
        80,
        Raw(b"GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: netscope-test\r\n\r\n"),
        Raw(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
    )
    hello = TLSClientHello(ext=[TLS_Ext_ServerName(servernames=[ServerName(servername=b"example.com")])])
    cap.tcp(51001, 443, TLS(msg=[hello]), None)
    wrpcap(str(path), cap.packets)
    return cap


@contextlib.contextmanager
def live_probe(tmp_path: Path, **env: str) -> Iterator[tuple[Process, str]]:
    """`netscope serve live` with source=probe as a subprocess; (process, gRPC target)."""
    port = free_port()
    full_env = {"NETSCOPE_LIVE_PORT": str(port), "NETSCOPE_LIVE_SOURCE": "probe", **env}
    with running("live-probe", [sys.executable, "-m", "netscope_common", "serve", "live"], full_env, tmp_path) as proc:
        yield proc, f"127.0.0.1:{port}"


def flows_when_read(stub: live_pb2_grpc.LiveServiceStub, count: int, timeout: float = 15) -> list[pb.LiveFlow]:
    """The live flows once `count` of them are in the table (the meter thread reads the pcap)."""
    deadline = time.monotonic() + timeout
    while True:
        reply = stub.ListFlows(pb.ListFlowsRequest(), timeout=5)
        if len(reply.flows) >= count or time.monotonic() > deadline:
            return list(reply.flows)
        time.sleep(0.1)


def test_pcap_flows_hosts_and_l7_names_over_grpc(tmp_path: Path) -> None:
    pcap = tmp_path / "sessions.pcap"
    cap = write_capture(pcap)
    with live_probe(tmp_path, NETSCOPE_LIVE_PROBE_PCAP=str(pcap)) as (proc, target):
        wait_grpc_serving(target, SERVICE, timeout=30, process=proc)
        with grpc.insecure_channel(target) as channel:
            stub = live_pb2_grpc.LiveServiceStub(channel)
            flows = flows_when_read(stub, len(EXPECTED_APPS))
            seen = {(f.client_ip, f.client_port, f.server_ip, f.server_port): f for f in flows}
            assert set(seen) == set(EXPECTED_APPS), proc.log()[-2000:]
            for flow_id, app in EXPECTED_APPS.items():
                flow = seen[flow_id]
                c2s, s2c = cap.bytes[flow_id]
                assert flow.l7_proto == app, flow
                assert (flow.bytes_client_to_server, flow.bytes_server_to_client, flow.bytes) == (c2s, s2c, c2s + s2c)
                assert flow.l4_proto == ("UDP" if flow_id == DNS_FLOW else "TCP")
            http = stub.ListFlows(pb.ListFlowsRequest(l7_proto="http"), timeout=5)
            assert [f.server_port for f in http.flows] == [80]

            client = stub.GetHost(pb.GetHostRequest(ip=CLIENT), timeout=5)
            total_sent = sum(b[0] for b in cap.bytes.values())
            total_rcvd = sum(b[1] for b in cap.bytes.values())
            assert (client.bytes_sent, client.bytes_received) == (total_sent, total_rcvd)
            assert client.is_local and client.mac == CLIENT_MAC and client.active_flows == 3
            assert {a.name for a in client.applications} == {"DNS", "HTTP", "TLS"}
            assert {p.ip for p in client.peers} == {SERVER, RESOLVER}
            server = stub.GetHost(pb.GetHostRequest(ip=SERVER), timeout=5)
            assert {(p.l4_proto, p.port) for p in server.server_ports} == {("TCP", 80), ("TCP", 443)}
            assert not server.is_local

            hosts = stub.ListHosts(pb.ListHostsRequest(), timeout=5)
            assert {h.ip for h in hosts.hosts} == {CLIENT, SERVER, RESOLVER}
            summary = stub.FlowsSummary(pb.FlowsSummaryRequest(), timeout=5)
            assert {a.name: a.flows for a in summary.applications} == {"DNS": 1, "HTTP": 1, "TLS": 1}
            ifaces = stub.ListInterfaces(pb.ListInterfacesRequest(), timeout=5)
            assert ifaces.interfaces[0].source == "probe" and str(pcap) in ifaces.interfaces[0].description
        assert proc.stop() == 0, proc.log()[-2000:]


@pytest.mark.parametrize("case", ["missing", "corrupt"])
async def test_unreadable_pcap_is_not_serving_with_a_clear_failed_precondition(tmp_path: Path, case: str) -> None:
    pcap = tmp_path / f"{case}.pcap"
    if case == "missing":
        expected = f"pcap file {pcap} does not exist; set NETSCOPE_LIVE_PROBE_PCAP to a readable capture"
    else:
        pcap.write_bytes(b"this is not a capture file at all" * 4)
        expected = f"cannot read pcap file {pcap}: unknown file format (expected a pcap or pcapng capture)"
    settings = LiveSettings(port=free_port(), source="probe", probe_pcap=pcap, health_interval_seconds=1)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(build_spec(settings), stop))
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{settings.port}") as channel:
            stub = live_pb2_grpc.LiveServiceStub(channel)
            health = health_pb2_grpc.HealthStub(channel)
            answers: list[tuple[int, str]] = []
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:  # NOT_SERVING while starting, then NOT_SERVING for the pcap
                check = health.Check(health_pb2.HealthCheckRequest(service=SERVICE), timeout=5, wait_for_ready=True)
                answers.append(((await check).status, reason_of(await check.trailing_metadata())))
                if answers[-1][1] == expected:
                    break
                await asyncio.sleep(0.1)
            assert answers[-1] == (health_pb2.HealthCheckResponse.NOT_SERVING, expected), answers[-5:]
            for call in (
                stub.ListFlows(pb.ListFlowsRequest(), timeout=5),
                stub.GetHost(pb.GetHostRequest(ip=CLIENT), timeout=5),
            ):
                with pytest.raises(grpc.aio.AioRpcError) as err:
                    await call
                assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
                assert err.value.details() == expected
            assert not task.done()  # the service keeps running
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


def test_probe_needs_exactly_one_of_pcap_or_interface(tmp_path: Path) -> None:
    for extra in ({}, {"probe_pcap": tmp_path / "a.pcap", "probe_interface": "lo"}):
        with pytest.raises(
            ValueError, match=r"exactly one of NETSCOPE_LIVE_PROBE_PCAP .* or NETSCOPE_LIVE_PROBE_INTERFACE"
        ):
            LiveSettings(source="probe", **extra)


async def test_completed_probe_flows_reach_ingest(tmp_path: Path) -> None:
    pcap = tmp_path / "sessions.pcap"
    cap = write_capture(pcap)
    settings = LiveSettings(port=free_port(), source="probe", probe_pcap=pcap)
    sink = MemorySink()
    stop = asyncio.Event()
    task = asyncio.create_task(serve(build_spec(settings, sink), stop))
    async with grpc.aio.insecure_channel(f"127.0.0.1:{settings.port}") as channel:
        await serving(f"127.0.0.1:{settings.port}")
        stub = live_pb2_grpc.LiveServiceStub(channel)
        # the meter reads the capture in its own thread: on a loaded machine that can take many seconds
        deadline = time.monotonic() + 120
        while len((await stub.ListFlows(pb.ListFlowsRequest(), timeout=5)).flows) < len(EXPECTED_APPS):
            assert time.monotonic() < deadline, "the probe did not table the capture's sessions"
            await asyncio.sleep(0.1)
    stop.set()
    await asyncio.wait_for(task, 15)  # shutdown hands the live flows to ingest
    segments = {(f.client_ip, f.client_port, f.server_ip, f.server_port): f for f in sink.flows}
    assert {k: f.application for k, f in segments.items()} == EXPECTED_APPS
    assert {k: f.bytes for k, f in segments.items()} == {k: sum(b) for k, b in cap.bytes.items()}
    assert all(f.final and f.exporter == "probe" for f in sink.flows)


def test_interface_capture_on_loopback(tmp_path: Path) -> None:
    port = free_port(socket.SOCK_DGRAM)
    env = {
        "NETSCOPE_LIVE_PROBE_INTERFACE": "lo",
        "NETSCOPE_LIVE_PROBE_BPF_FILTER": f"udp port {port}",
        "NETSCOPE_LIVE_PROBE_ACTIVE_TIMEOUT_SECONDS": "1",
    }
    with live_probe(tmp_path, **env) as (proc, target):
        wait_grpc_serving(target, SERVICE, timeout=30, process=proc)
        with grpc.insecure_channel(target) as channel, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            stub = live_pb2_grpc.LiveServiceStub(channel)
            sock.bind(("127.0.0.1", 0))
            sent, flows = 0, list[pb.LiveFlow]()
            deadline = time.monotonic() + 20
            # the capture starts shortly after SERVING; NFStream hands a running flow over each second
            # (its timeouts run on packet arrival, so the traffic keeps flowing while we wait)
            while time.monotonic() < deadline and (not flows or flows[0].packets < 5):
                sock.sendto(b"x" * 100, ("127.0.0.1", port))
                sent += 1
                time.sleep(0.1)
                flows = list(stub.ListFlows(pb.ListFlowsRequest(port=port), timeout=5).flows)
            assert flows and flows[0].packets >= 5, proc.log()[-2000:]
            flow = flows[0]
            assert (flow.client_port, flow.server_port, flow.l4_proto) == (sock.getsockname()[1], port, "UDP")
            assert flow.packets <= sent and flow.bytes == flow.packets * 142  # frame: 14 + 20 + 8 + 100 bytes
        assert proc.stop() == 0, proc.log()[-2000:]


async def failure(meter: PacketMeter) -> str:
    """The meter's error once it failed."""
    meter.start()
    deadline = time.monotonic() + 15
    while meter.state is not MeterState.FAILED and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await meter.stop()
    return meter.error


async def test_unknown_interface_and_bad_filter_are_named_with_the_fix(tmp_path: Path) -> None:
    assert await failure(PacketMeter(lambda records: None, interface="nosuchif0")) == (
        "cannot capture on interface 'nosuchif0': no such interface (or no permission to open it); "
        "set NETSCOPE_LIVE_PROBE_INTERFACE to an existing interface name"
    )
    pcap = tmp_path / "sessions.pcap"
    write_capture(pcap)
    assert await failure(PacketMeter(lambda records: None, pcap=pcap, bpf_filter="tcp portt 80")) == (
        "NETSCOPE_LIVE_PROBE_BPF_FILTER 'tcp portt 80' is not a valid BPF filter (e.g. 'tcp port 443')"
    )
