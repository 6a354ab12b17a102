"""The aggregator's channels retry reads on UNAVAILABLE and never writes (a write must not be applied twice)."""

from __future__ import annotations

import importlib
from collections import Counter
from typing import Any

import grpc
import pytest

from netscope.alerts.v1 import alerts_pb2, alerts_pb2_grpc
from netscope_aggregator.backends import SERVICE_NAMES, WRITE_METHODS, Backends, ServiceCallError
from netscope_aggregator.settings import AggregatorSettings
from tests.support.processes import free_port


class Unavailable(alerts_pb2_grpc.AlertsServiceServicer):
    """A real gRPC server whose every answer is UNAVAILABLE; it counts the attempts per method."""

    def __init__(self) -> None:
        self.attempts: Counter[str] = Counter()

    async def ListExclusions(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        self.attempts["ListExclusions"] += 1
        await context.abort(grpc.StatusCode.UNAVAILABLE, "store restarting")

    async def AddExclusion(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        self.attempts["AddExclusion"] += 1
        await context.abort(grpc.StatusCode.UNAVAILABLE, "store restarting")


async def test_reads_are_retried_and_writes_are_not() -> None:
    servicer = Unavailable()
    server = grpc.aio.server()
    alerts_pb2_grpc.add_AlertsServiceServicer_to_server(servicer, server)
    port = free_port()
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    backends = Backends(AggregatorSettings(alerts_target=f"127.0.0.1:{port}", call_timeout_seconds=5))
    try:
        stub = backends.stubs.alerts
        with pytest.raises(ServiceCallError, match="alerts service is unavailable"):
            await backends.call("alerts", stub.ListExclusions, alerts_pb2.ListExclusionsRequest())
        with pytest.raises(ServiceCallError, match="alerts service is unavailable"):
            await backends.call("alerts", stub.AddExclusion, alerts_pb2.AddExclusionRequest())
    finally:
        await backends.close()
        await server.stop(None)
    assert servicer.attempts == {"ListExclusions": 3, "AddExclusion": 1}


def test_every_write_named_is_a_real_rpc() -> None:
    """A typo in WRITE_METHODS would leave that write retried."""
    rpcs = {
        method.name
        for service, name in SERVICE_NAMES.items()
        for method in importlib.import_module(f"netscope.{service}.v1.{service}_pb2")
        .DESCRIPTOR.services_by_name[name.rsplit(".", 1)[1]]
        .methods
    }
    assert set(WRITE_METHODS) - rpcs == set()
