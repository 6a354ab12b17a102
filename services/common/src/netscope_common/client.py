"""Typed client helpers: channels with keepalive and retries of idempotent reads on UNAVAILABLE."""

from __future__ import annotations

import json
from typing import Any

import grpc

from netscope_common.interceptors import PRINCIPAL_KEY, REQUEST_ID_KEY
from netscope_common.tracing import client_interceptors


def _service_config(methods: list[tuple[str, str]], max_attempts: int) -> str:
    """gRPC service config: retry UNAVAILABLE for the named (service, method) pairs, which must be idempotent."""
    return json.dumps(
        {
            "methodConfig": [
                {
                    "name": [{"service": service, "method": method} for service, method in methods],
                    "retryPolicy": {
                        "maxAttempts": max_attempts,
                        "initialBackoff": "0.05s",
                        "maxBackoff": "0.5s",
                        "backoffMultiplier": 2,
                        "retryableStatusCodes": ["UNAVAILABLE"],
                    },
                }
            ]
        }
    )


def open_channel(
    target: str,
    *,
    retry_methods: list[tuple[str, str]] | None = None,
    max_attempts: int = 3,
    max_message_bytes: int = 16 * 1024 * 1024,
) -> grpc.aio.Channel:
    """An insecure aio channel to `host:port` with keepalive, and retries of the `retry_methods` (service, method)
    pairs on UNAVAILABLE; name idempotent reads only, so a write is never applied twice."""
    options: list[tuple[str, Any]] = [
        ("grpc.keepalive_time_ms", 30_000),
        ("grpc.keepalive_timeout_ms", 10_000),
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.enable_retries", 1),
        # Reconnect quickly after a service restarts instead of backing off for up to two minutes.
        ("grpc.initial_reconnect_backoff_ms", 200),
        ("grpc.max_reconnect_backoff_ms", 2_000),
    ]
    if retry_methods:
        options.append(("grpc.service_config", _service_config(retry_methods, max_attempts)))
    return grpc.aio.insecure_channel(target, options=options, interceptors=client_interceptors() or None)


def call_metadata(request_id: str, principal: str = "") -> tuple[tuple[str, str], ...]:
    """Metadata the aggregator attaches to every call: request id for logs, principal for audits."""
    md: tuple[tuple[str, str], ...] = ((REQUEST_ID_KEY, request_id),)
    if principal:
        md += ((PRINCIPAL_KEY, principal),)
    return md
