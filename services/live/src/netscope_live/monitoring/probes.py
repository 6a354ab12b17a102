"""One measurement of a monitor: TCP connect latency, or HTTP(S) status and latency."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

import httpx

from netscope_live.monitoring.kinds import MonitorSpec

MAX_PROBE_SECONDS = 10.0


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


async def probe(spec: MonitorSpec, client: httpx.AsyncClient) -> ProbeResult:
    """Measure once; never raises (failures are results with an error)."""
    started = time.time()
    t0 = time.perf_counter()
    try:
        status, error = await (_tcp(spec) if spec.kind == "tcp_connect" else _http(spec, client))
    except (TimeoutError, httpx.TimeoutException):
        return ProbeResult(started, False, 0.0, error=f"no answer within {_timeout(spec):g} s")
    except (OSError, httpx.HTTPError) as exc:
        return ProbeResult(started, False, 0.0, error=f"{type(exc).__name__}: {str(exc)[:200] or 'connection failed'}")
    latency = (time.perf_counter() - t0) * 1000
    exceeded = bool(spec.threshold_ms) and latency > spec.threshold_ms
    if exceeded and not error:
        error = f"latency {latency:.1f} ms above threshold {spec.threshold_ms} ms"
    return ProbeResult(started, not error, round(latency, 3), status, error, exceeded)
