"""The monitor kinds, their parameters, and validation of a requested monitor into a MonitorSpec."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

from netscope.live.v1 import live_pb2 as pb
from netscope_common.errors import InvalidArgument

KINDS = ("tcp_connect", "http", "https", "icmp", "cicmp")
DEFAULT_INTERVAL_SECONDS = 60
MAX_INTERVAL_SECONDS = 3600
MAX_THRESHOLD_MS = 600_000
MAX_URL_LENGTH = 2048
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$"
)


@dataclass(frozen=True)
class MonitorSpec:
    """A validated monitor: what to probe and how often."""

    kind: str
    host: str
    port: int
    url: str
    interval_seconds: int
    threshold_ms: int

    @property
    def id(self) -> str:
        """Stable identity: the same kind and target is the same monitor."""
        if self.kind in ("icmp", "cicmp"):
            return f"{self.kind}:{self.host}"
        return (
            f"tcp_connect:{_hostport(self.host, self.port)}"
            if self.kind == "tcp_connect"
            else f"{self.kind}:{self.url}"
        )

    def to_dict(self) -> dict[str, Any]:
        """As JSON-ready data (the state file)."""
        return asdict(self)


def _hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _param(name: str, description: str, required: bool, allowed: str, default: str = "") -> pb.MonitorParameter:
    return pb.MonitorParameter(
        name=name, description=description, required=required, allowed=allowed, default_value=default
    )


def _common() -> list[pb.MonitorParameter]:
    return [
        _param(
            "interval_seconds",
            "seconds between measurements",
            False,
            f"1-{MAX_INTERVAL_SECONDS}",
            str(DEFAULT_INTERVAL_SECONDS),
        ),
        _param(
            "threshold_ms", "latency above this fails the measurement (0 = none)", False, f"0-{MAX_THRESHOLD_MS}", "0"
        ),
    ]


def available_kinds() -> list[pb.MonitorKind]:
    """The kinds this service can run, with their parameters."""
    http_params = [
        _param("url", "URL to GET; its scheme must match the kind", False, f"up to {MAX_URL_LENGTH} characters"),
        _param("host", "host to build the URL from when url is empty", False, "IP address or DNS name"),
        _param("port", "port to build the URL from when url is empty", False, "1-65535"),
    ]
    return [
        pb.MonitorKind(
            kind="tcp_connect",
            description="TCP connect to host:port (reachability of a service)",
            measurement="connect latency",
            unit="ms",
            parameters=[
                _param("host", "host to connect to", True, "IP address or DNS name"),
                _param("port", "TCP port", True, "1-65535"),
                *_common(),
            ],
        ),
        pb.MonitorKind(
            kind="icmp",
            description="ICMP echo to a host (one echo per measurement)",
            measurement="round-trip time",
            unit="ms",
            parameters=[_param("host", "host to ping", True, "IP address or DNS name"), *_common()],
        ),
        pb.MonitorKind(
            kind="cicmp",
            description="continuous ICMP: several echoes per measurement; any loss fails it and reports the "
            "availability",
            measurement="mean round-trip time",
            unit="ms",
            parameters=[_param("host", "host to ping", True, "IP address or DNS name"), *_common()],
        ),
        pb.MonitorKind(
            kind="http",
            description="HTTP GET of a URL: status code and response latency (fails on status >= 400)",
            measurement="response latency",
            unit="ms",
            parameters=[*http_params, *_common()],
        ),
        pb.MonitorKind(
            kind="https",
            description="HTTPS GET of a URL with certificate verification: status code and response latency",
            measurement="response latency",
            unit="ms",
            parameters=[*http_params, *_common()],
        ),
    ]


def _host(host: str) -> str:
    host = host.strip()
    if not host:
        raise InvalidArgument("host is required (an IP address or DNS name, e.g. 192.0.2.10)", field="host")
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        pass
    if not _HOSTNAME.match(host):
        raise InvalidArgument(f"host {host[:60]!r} is not an IP address or DNS name", field="host")
    return host.lower().rstrip(".")


def _url(kind: str, url: str) -> str:
    if len(url) > MAX_URL_LENGTH:
        raise InvalidArgument(f"url is longer than {MAX_URL_LENGTH} characters", field="url")
    parts = urlsplit(url.strip())
    if parts.scheme.lower() != kind:
        raise InvalidArgument(f"url {url[:80]!r} must start with {kind}:// for a {kind} monitor", field="url")
    if not parts.hostname:
        raise InvalidArgument(f"url {url[:80]!r} has no host", field="url")
    _host(parts.hostname)
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise InvalidArgument(f"url {url[:80]!r} has an invalid port (allowed 1-65535)", field="url") from None
    return parts._replace(scheme=kind, path=parts.path or "/").geturl()


def validate(req: pb.AddMonitorRequest) -> MonitorSpec:
    """The request as a MonitorSpec; InvalidArgument naming the field and what is allowed."""
    kind = req.kind.strip().lower()
    if kind not in KINDS:
        raise InvalidArgument(f"kind {req.kind[:40]!r} is not one of {', '.join(KINDS)}", field="kind")
    interval = req.interval_seconds or DEFAULT_INTERVAL_SECONDS
    if not 1 <= interval <= MAX_INTERVAL_SECONDS:
        raise InvalidArgument(
            f"interval_seconds {interval} is outside 1-{MAX_INTERVAL_SECONDS}", field="interval_seconds"
        )
    if req.threshold_ms > MAX_THRESHOLD_MS:
        raise InvalidArgument(f"threshold_ms {req.threshold_ms} is above {MAX_THRESHOLD_MS}", field="threshold_ms")
    if req.port > 65535:
        raise InvalidArgument(f"port {req.port} is not a TCP port (1-65535)", field="port")
    if kind in ("icmp", "cicmp"):
        if req.url or req.port:
            raise InvalidArgument(
                f"{kind} monitors take a host only (no url or port)", field="url" if req.url else "port"
            )
        return MonitorSpec(kind, _host(req.host), 0, "", interval, req.threshold_ms)
    if kind == "tcp_connect":
        if req.url:
            raise InvalidArgument("url is for http/https monitors; tcp_connect takes host and port", field="url")
        if not req.port:
            raise InvalidArgument("port is required for tcp_connect (1-65535)", field="port")
        return MonitorSpec(kind, _host(req.host), req.port, "", interval, req.threshold_ms)
    if req.url:
        url = _url(kind, req.url)
    else:
        host = _host(req.host)
        shown = f"[{host}]" if ":" in host else host
        url = f"{kind}://{shown}:{req.port}/" if req.port else f"{kind}://{shown}/"
    parts = urlsplit(url)
    port = parts.port or (443 if kind == "https" else 80)
    return MonitorSpec(kind, parts.hostname or "", port, url, interval, req.threshold_ms)
