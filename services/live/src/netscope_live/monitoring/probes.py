"""One measurement of a monitor: TCP connect latency, HTTP(S) status and latency, ICMP echo round trip (icmp: one
echo; cicmp: CICMP_ECHOES echoes, failing on any loss and reporting the availability)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

import httpx
import icmplib

from netscope_live.monitoring.kinds import MonitorSpec

MAX_PROBE_SECONDS = 10.0
CICMP_ECHOES = 5


@dataclass(frozen=True)
class ProbeResult:
    """The outcome of one measurement."""

    time: float
    ok: bool
    latency_ms: float
    status_code: int = 0
    error: str = ""
    threshold_exceeded: bool = False


def _timeout(spec: MonitorSpec) -> float:
    return min(MAX_PROBE_SECONDS, max(1.0, float(spec.interval_seconds)))


async def _tcp(spec: MonitorSpec) -> tuple[int, str]:
    _, writer = await asyncio.wait_for(asyncio.open_connection(spec.host, spec.port), _timeout(spec))
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return 0, ""


async def _http(spec: MonitorSpec, client: httpx.AsyncClient) -> tuple[int, str]:
    response = await client.get(spec.url, timeout=_timeout(spec))
    error = f"HTTP status {response.status_code}" if response.status_code >= 400 else ""
    return response.status_code, error


async def _ping(host: str, count: int, timeout: float) -> icmplib.Host:
    """Echoes over an unprivileged ICMP datagram socket, else a raw one (root or CAP_NET_RAW)."""
    try:
        return await icmplib.async_ping(host, count=count, interval=0.2, timeout=timeout, privileged=False)
    except icmplib.SocketPermissionError:
        try:
            return await icmplib.async_ping(host, count=count, interval=0.2, timeout=timeout, privileged=True)
        except icmplib.SocketPermissionError:
            raise OSError(
                "ICMP needs net.ipv4.ping_group_range to include this service's group, or CAP_NET_RAW"
            ) from None


async def _icmp(spec: MonitorSpec) -> tuple[int, str, float]:
    count = CICMP_ECHOES if spec.kind == "cicmp" else 1
    try:
        host = await _ping(spec.host, count, _timeout(spec))
    except icmplib.ICMPLibError as exc:
        raise OSError(str(exc)[:200] or type(exc).__name__) from None
    if not host.is_alive:
        return 0, f"no echo reply from {spec.host}", 0.0
    lost = host.packets_sent - host.packets_received
    error = (
        f"availability {100 * host.packets_received / host.packets_sent:.0f}% ({lost} of {host.packets_sent} "
        "echoes lost)"
        if lost
        else ""
    )
    return 0, error, host.avg_rtt


async def probe(spec: MonitorSpec, client: httpx.AsyncClient) -> ProbeResult:
    """Measure once; never raises (failures are results with an error)."""
    started = time.time()
    t0 = time.perf_counter()
    rtt = None
    try:
        if spec.kind in ("icmp", "cicmp"):
            status, error, rtt = await _icmp(spec)
        else:
            status, error = await (_tcp(spec) if spec.kind == "tcp_connect" else _http(spec, client))
    except (TimeoutError, httpx.TimeoutException):
        return ProbeResult(started, False, 0.0, error=f"no answer within {_timeout(spec):g} s")
    except (OSError, httpx.HTTPError) as exc:
        return ProbeResult(started, False, 0.0, error=f"{type(exc).__name__}: {str(exc)[:200] or 'connection failed'}")
    latency = rtt if rtt is not None else (time.perf_counter() - t0) * 1000
    exceeded = bool(spec.threshold_ms) and latency > spec.threshold_ms
    if exceeded and not error:
        error = f"latency {latency:.1f} ms above threshold {spec.threshold_ms} ms"
    return ProbeResult(started, not error, round(latency, 3), status, error, exceeded)
