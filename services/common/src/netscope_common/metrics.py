"""Prometheus metrics for gRPC servers: requests, latency and errors by code."""

from __future__ import annotations

from prometheus_client import Counter, Histogram, start_http_server

RPC_REQUESTS = Counter("netscope_rpc_requests_total", "gRPC requests handled", ["service", "method", "code"])
RPC_LATENCY = Histogram(
    "netscope_rpc_latency_seconds",
    "gRPC handler latency",
    ["service", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


def start_metrics_server(port: int | None, host: str = "127.0.0.1") -> None:
    """Serve /metrics on a port of its own when one is configured."""
    if port is not None:
        start_http_server(port, addr=host)
