"""Active monitoring over gRPC: probes of TCP and HTTP servers the test starts on loopback, persistence, errors."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import grpc
import pytest

from netscope.live.v1 import live_pb2 as pb
from netscope.live.v1 import live_pb2_grpc
from netscope_common.server import serve
from netscope_live.main import build_spec
from netscope_live.monitoring.store import STATE_FILE, MonitorStore
from netscope_live.settings import LiveSettings
from tests.support.processes import free_port, serving

pytestmark = pytest.mark.integration


@contextlib.asynccontextmanager
async def live_service(settings_dir: Path) -> AsyncIterator[live_pb2_grpc.LiveServiceStub]:
    settings = LiveSettings(port=free_port(), collector_port=free_port(socket.SOCK_DGRAM), settings_dir=settings_dir)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(build_spec(settings), stop))
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{settings.port}") as channel:
            await serving(f"127.0.0.1:{settings.port}")
            yield live_pb2_grpc.LiveServiceStub(channel)
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


@contextlib.asynccontextmanager
async def http_server() -> AsyncIterator[int]:
    """A tiny HTTP/1.1 server on loopback: /fail answers 500, anything else 200."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:  # a tcp_connect probe: connect and close
            writer.close()
            return
        status = "500 Internal Server Error" if b" /fail " in request.split(b"\r\n", 1)[0] else "200 OK"
        writer.write(f"HTTP/1.1 {status}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".encode())
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


async def until(stub: live_pb2_grpc.LiveServiceStub, monitor_id: str, done: Callable[[pb.Monitor], bool]) -> pb.Monitor:
    """The monitor once `done` holds (bounded wait)."""
    monitor = pb.Monitor()
    for _ in range(100):
        enabled = await stub.ListEnabledMonitors(pb.ListEnabledMonitorsRequest(), timeout=5)
        monitor = next((m for m in enabled.monitors if m.id == monitor_id), pb.Monitor())
        if monitor.id and done(monitor):
            return monitor
        await asyncio.sleep(0.05)
    raise AssertionError(f"monitor {monitor_id} never reached the state: {monitor}")


@pytest.mark.parametrize(("kind", "host", "ok"), [("icmp", "127.0.0.1", True), ("cicmp", "127.0.0.1", True)])
async def test_icmp_monitors_measure_the_round_trip(tmp_path: Path, kind: str, host: str, ok: bool) -> None:
    """ICMP echo over an unprivileged datagram socket where the kernel allows it, else a raw one (root here)."""
    async with live_service(tmp_path) as stub:
        added = await stub.AddMonitor(pb.AddMonitorRequest(kind=kind, host=host, interval_seconds=1), timeout=5)
        assert added.monitor.id == f"{kind}:{host}"
        measured = await until(stub, added.monitor.id, lambda m: m.runs >= 1)
    assert measured.last_result.ok is ok, measured.last_result.error
    assert 0 < measured.last_result.latency_ms < 1000


async def test_icmp_to_an_unknown_name_fails_with_the_reason(tmp_path: Path) -> None:
    async with live_service(tmp_path) as stub:
        # .invalid never resolves (RFC 6761), so the measurement fails and says why.
        request = pb.AddMonitorRequest(kind="icmp", host="no-such-host.invalid", interval_seconds=1)
        added = await stub.AddMonitor(request, timeout=5)
        measured = await until(stub, added.monitor.id, lambda m: m.runs >= 1)
    assert not measured.last_result.ok
    assert "no-such-host.invalid" in measured.last_result.error


async def test_kinds_are_listed_with_their_parameters(tmp_path: Path) -> None:
    async with live_service(tmp_path) as stub:
        reply = await stub.ListAvailableMonitors(pb.ListAvailableMonitorsRequest(), timeout=5)
    kinds = {k.kind: k for k in reply.kinds}
    assert set(kinds) == {"tcp_connect", "http", "https", "icmp", "cicmp"}
    tcp = {p.name: p for p in kinds["tcp_connect"].parameters}
    assert tcp["host"].required and tcp["port"].required and tcp["port"].allowed == "1-65535"
    assert tcp["interval_seconds"].default_value == "60"
    assert "url" in {p.name for p in kinds["https"].parameters}


async def test_probes_measure_loopback_servers_and_persist_across_restart(tmp_path: Path) -> None:
    async with http_server() as http_port, live_service(tmp_path) as stub:
        closed_port = free_port()
        dry = await stub.AddMonitor(
            pb.AddMonitorRequest(kind="tcp_connect", host="127.0.0.1", port=http_port, validate_only=True), timeout=5
        )
        assert dry.created and dry.monitor.interval_seconds == 60
        assert not (await stub.ListEnabledMonitors(pb.ListEnabledMonitorsRequest(), timeout=5)).monitors
        up = await stub.AddMonitor(
            pb.AddMonitorRequest(kind="tcp_connect", host="127.0.0.1", port=http_port, interval_seconds=1), timeout=5
        )
        assert up.created and up.monitor.id == f"tcp_connect:127.0.0.1:{http_port}"
        down = await stub.AddMonitor(
            pb.AddMonitorRequest(kind="tcp_connect", host="127.0.0.1", port=closed_port, interval_seconds=1), timeout=5
        )
        page = await stub.AddMonitor(
            pb.AddMonitorRequest(kind="http", url=f"http://127.0.0.1:{http_port}/status", interval_seconds=1),
            timeout=5,
        )
        failing = await stub.AddMonitor(
            pb.AddMonitorRequest(kind="http", host="127.0.0.1", port=http_port, interval_seconds=1), timeout=5
        )
        assert failing.monitor.url == f"http://127.0.0.1:{http_port}/"
        error_page = await stub.AddMonitor(
            pb.AddMonitorRequest(kind="http", url=f"http://127.0.0.1:{http_port}/fail", interval_seconds=1), timeout=5
        )
        tls = await stub.AddMonitor(
            pb.AddMonitorRequest(kind="https", url=f"https://127.0.0.1:{http_port}/", interval_seconds=1), timeout=5
        )

        ok = await until(stub, up.monitor.id, lambda m: m.runs >= 2)
        assert ok.last_result.ok and ok.last_result.latency_ms > 0 and ok.failures == 0
        refused = await until(stub, down.monitor.id, lambda m: m.runs >= 1)
        assert not refused.last_result.ok and "Connect" in refused.last_result.error and refused.failures >= 1
        got = await until(stub, page.monitor.id, lambda m: m.runs >= 1)
        assert got.last_result.ok and got.last_result.status_code == 200
        bad = await until(stub, error_page.monitor.id, lambda m: m.runs >= 1)
        assert not bad.last_result.ok and bad.last_result.status_code == 500
        assert bad.last_result.error == "HTTP status 500"
        no_tls = await until(stub, tls.monitor.id, lambda m: m.runs >= 1)
        assert not no_tls.last_result.ok and no_tls.last_result.error

        again = await stub.AddMonitor(
            pb.AddMonitorRequest(kind="tcp_connect", host="127.0.0.1", port=http_port, interval_seconds=1), timeout=5
        )
        assert not again.created and not again.updated and again.monitor.runs >= 2
        slower = await stub.AddMonitor(
            pb.AddMonitorRequest(
                kind="tcp_connect", host="127.0.0.1", port=http_port, interval_seconds=30, threshold_ms=250
            ),
            timeout=5,
        )
        assert not slower.created and slower.updated and slower.monitor.interval_seconds == 30
        removed = await stub.RemoveMonitor(pb.RemoveMonitorRequest(id=tls.monitor.id), timeout=5)
        assert removed.monitor.id == tls.monitor.id
        before = {m.id for m in (await stub.ListEnabledMonitors(pb.ListEnabledMonitorsRequest(), timeout=5)).monitors}
        assert len(before) == 5

    assert (tmp_path / STATE_FILE).exists()
    async with live_service(tmp_path) as stub:
        after = (await stub.ListEnabledMonitors(pb.ListEnabledMonitorsRequest(), timeout=5)).monitors
        assert {m.id for m in after} == before
        kept = next(m for m in after if m.id == up.monitor.id)
        assert kept.interval_seconds == 30 and kept.threshold_ms == 250
        assert kept.created.seconds == up.monitor.created.seconds


@pytest.mark.parametrize(
    ("request_fields", "message"),
    [
        ({"kind": "ping", "host": "127.0.0.1"}, "kind 'ping' is not one of tcp_connect, http, https, icmp, cicmp"),
        ({"kind": "icmp", "host": "127.0.0.1", "port": 7}, "icmp monitors take a host only"),
        ({"kind": "tcp_connect", "host": "127.0.0.1"}, "port is required for tcp_connect (1-65535)"),
        ({"kind": "tcp_connect", "port": 22}, "host is required"),
        ({"kind": "tcp_connect", "host": "bad host!", "port": 22}, "host 'bad host!' is not an IP address or DNS name"),
        ({"kind": "tcp_connect", "host": "127.0.0.1", "port": 70000}, "port 70000 is not a TCP port (1-65535)"),
        ({"kind": "http", "url": "https://127.0.0.1/"}, "must start with http:// for a http monitor"),
        ({"kind": "http", "url": "http:///path"}, "has no host"),
        ({"kind": "http", "url": "http://127.0.0.1:99999/"}, "invalid port"),
        (
            {"kind": "tcp_connect", "host": "127.0.0.1", "port": 22, "interval_seconds": 7200},
            "interval_seconds 7200 is outside 1-3600",
        ),
        (
            {"kind": "tcp_connect", "host": "127.0.0.1", "port": 22, "url": "http://x/"},
            "url is for http/https monitors",
        ),
    ],
)
async def test_bad_monitors_are_refused_with_the_reason(
    tmp_path: Path, request_fields: dict[str, object], message: str
) -> None:
    async with live_service(tmp_path) as stub:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.AddMonitor(pb.AddMonitorRequest(**request_fields), timeout=5)  # type: ignore[arg-type]
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert message in (caught.value.details() or "")
        with pytest.raises(grpc.aio.AioRpcError) as missing:
            await stub.RemoveMonitor(pb.RemoveMonitorRequest(id="tcp_connect:127.0.0.1:1"), timeout=5)
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND
        assert "no monitor has id 'tcp_connect:127.0.0.1:1'" in (missing.value.details() or "")
    assert not (tmp_path / STATE_FILE).exists()


def test_a_corrupt_state_file_names_the_file_and_the_fix(tmp_path: Path) -> None:
    (tmp_path / STATE_FILE).write_text("{not json")
    with pytest.raises(
        ValueError, match=r"cannot read the active monitoring state .*active_monitors.json.*fix or remove"
    ):
        MonitorStore(tmp_path).load()
