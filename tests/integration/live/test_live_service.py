"""LiveService over gRPC: the collector source fed by real UDP packets (the ntopng source: test_live_ntopng*.py)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from netscope.common.v1 import common_pb2
from netscope.live.v1 import live_pb2 as pb
from netscope.live.v1 import live_pb2_grpc
from netscope_common.server import serve
from netscope_live.ingest import MemorySink
from netscope_live.main import build_spec
from netscope_live.netflow.encode import ExportFlow, V9Encoder
from netscope_live.settings import LiveSettings
from tests.support.processes import free_port, running, serving, wait_grpc_serving

pytestmark = pytest.mark.integration


@contextlib.asynccontextmanager
async def live_service(
    settings: LiveSettings, sink: MemorySink | None = None
) -> AsyncIterator[live_pb2_grpc.LiveServiceStub]:
    stop = asyncio.Event()
    task = asyncio.create_task(serve(build_spec(settings, sink), stop))
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{settings.port}") as channel:
            await serving(f"127.0.0.1:{settings.port}")
            yield live_pb2_grpc.LiveServiceStub(channel)
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


def world(now: float) -> list[ExportFlow]:
    return [
        ExportFlow(
            "192.168.1.10",
            "8.8.8.8",
            51000,
            443,
            6,
            90_000,
            60,
            now - 20,
            now - 1,
            src_mac="00:1b:63:84:45:e6",
            l7_proto=91,
        ),
        ExportFlow("192.168.1.10", "8.8.4.4", 51001, 53, 17, 300, 3, now - 5, now - 4),
        ExportFlow("192.168.1.11", "192.168.1.10", 40000, 22, 6, 5_000, 40, now - 60, now - 2),
        ExportFlow("192.168.1.12", "1.1.1.1", 40001, 443, 6, 20_000, 30, now - 60, now - 2),
    ]


async def test_collector_source_end_to_end() -> None:
    settings = LiveSettings(port=free_port(), collector_port=free_port(socket.SOCK_DGRAM), idle_timeout_seconds=60)
    sink = MemorySink()
    async with live_service(settings, sink) as stub:
        now = time.time()
        v9 = V9Encoder(source_id=3)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.8", 0))
            sock.sendto(
                v9.packet(v9.template_set() + v9.data_sets(world(now), now), now),
                ("127.0.0.1", settings.collector_port),
            )
        for _ in range(200):
            stats = await stub.CollectorStats(pb.CollectorStatsRequest(), timeout=5)
            if stats.exporters and stats.exporters[0].records == 4:
                break
            await asyncio.sleep(0.02)
        assert stats.exporters[0].exporter == "127.0.0.8" and stats.exporters[0].templates == 2
        assert stats.active_flows == 4 and stats.listen_address == f"udp://127.0.0.1:{settings.collector_port}"

        ifaces = await stub.ListInterfaces(pb.ListInterfacesRequest(), timeout=5)
        assert [(i.ifid, i.source) for i in ifaces.interfaces] == [(0, "collector")]
        istats = await stub.InterfaceStats(pb.InterfaceStatsRequest(ifid=0), timeout=5)
        assert istats.bytes == 115_300 and istats.num_flows == 4 and istats.num_local_hosts == 3

        top_local = await stub.ListHosts(
            pb.ListHostsRequest(locality=pb.HOST_LOCALITY_LOCAL, sort=pb.HOST_SORT_BYTES), timeout=5
        )
        assert [h.ip for h in top_local.hosts] == ["192.168.1.10", "192.168.1.12", "192.168.1.11"]
        remote = await stub.ListHosts(
            pb.ListHostsRequest(locality=pb.HOST_LOCALITY_REMOTE, page=common_pb2.PageRequest(page_size=2)), timeout=5
        )
        assert [h.ip for h in remote.hosts] == ["8.8.8.8", "1.1.1.1"] and remote.total == 3
        rest = await stub.ListHosts(
            pb.ListHostsRequest(
                locality=pb.HOST_LOCALITY_REMOTE,
                page=common_pb2.PageRequest(page_size=2, page_token=remote.next_page_token),
            ),
            timeout=5,
        )
        assert [h.ip for h in rest.hosts] == ["8.8.4.4"] and rest.next_page_token == ""

        host = await stub.GetHost(pb.GetHostRequest(ip="192.168.1.10"), timeout=5)
        assert host.bytes_sent == 90_300 and host.bytes_received == 5_000 and host.active_flows == 3
        assert host.mac == "00:1b:63:84:45:e6" and host.mac_vendor == "Apple, Inc."
        assert {a.name for a in host.applications} == {"TLS", "DNS", "SSH"}
        assert [(p.l4_proto, p.port) for p in host.server_ports] == [("TCP", 22)]
        assert host.peers[0].ip == "8.8.8.8"

        flows = await stub.ListFlows(pb.ListFlowsRequest(host="192.168.1.10", l4_proto="tcp"), timeout=5)
        assert [(f.server_ip, f.l7_proto) for f in flows.flows] == [("8.8.8.8", "TLS"), ("192.168.1.10", "SSH")]
        summary = await stub.FlowsSummary(pb.FlowsSummaryRequest(), timeout=5)
        assert summary.total_flows == 4 and summary.applications[0].name == "TLS"
        countries = await stub.CountryStats(pb.CountryStatsRequest(), timeout=5)
        assert countries.countries[0].country == "US" and countries.countries[0].hosts == 2
        located = await stub.HostsLocation(pb.HostsLocationRequest(limit=2), timeout=5)
        assert located.truncated and located.hosts[0].ip == "192.168.1.10"
        mac = await stub.MacInfo(pb.MacInfoRequest(mac="00-1B-63-84-45-E6"), timeout=5)
        assert mac.seen and mac.vendor == "Apple, Inc." and list(mac.ips) == ["192.168.1.10"]

        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.GetHost(pb.GetHostRequest(ip="10.9.9.9"), timeout=5)
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
        assert "host 10.9.9.9 is not active on interface 0" in (err.value.details() or "")
        for call, code, text in (
            (
                stub.GetHost(pb.GetHostRequest(ip="nope"), timeout=5),
                grpc.StatusCode.INVALID_ARGUMENT,
                "'nope' is not an IPv4 or IPv6 address",
            ),
            (
                stub.ListHosts(pb.ListHostsRequest(ifid=3), timeout=5),
                grpc.StatusCode.NOT_FOUND,
                "no interface with ifid 3",
            ),
            (
                stub.ListHosts(pb.ListHostsRequest(page=common_pb2.PageRequest(page_token="x")), timeout=5),
                grpc.StatusCode.INVALID_ARGUMENT,
                "is not a token this service issued",
            ),
            (
                stub.ListFlows(pb.ListFlowsRequest(page=common_pb2.PageRequest(page_size=5000)), timeout=5),
                grpc.StatusCode.INVALID_ARGUMENT,
                "page_size 5000 is above the maximum of 1000",
            ),
            (
                stub.MacInfo(pb.MacInfoRequest(mac="zz"), timeout=5),
                grpc.StatusCode.INVALID_ARGUMENT,
                "is not a MAC address",
            ),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await call
            assert err.value.code() == code and text in (err.value.details() or "")
    assert sink.received == 4  # shutdown hands the live flows to ingest, each once


def test_netscope_serve_live_process(tmp_path: Path) -> None:
    port = free_port()
    env = {"NETSCOPE_LIVE_PORT": str(port), "NETSCOPE_LIVE_COLLECTOR_PORT": str(free_port(socket.SOCK_DGRAM))}
    with running("live", [sys.executable, "-m", "netscope_common", "serve", "live"], env, tmp_path) as process:
        wait_grpc_serving(f"127.0.0.1:{port}", "netscope.live.v1.LiveService", timeout=30, process=process)
        assert process.stop() == 0, process.log()[-2000:]
