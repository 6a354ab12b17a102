"""The aggregator's channels retry reads on UNAVAILABLE and never writes (a write must not be applied twice).

What is a read comes from the contract: `option idempotency_level` on the RPC in protos/netscope/**.proto.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import grpc
import pytest

from netscope.alerts.v1 import alerts_pb2, alerts_pb2_grpc
from netscope_aggregator import contracts
from netscope_aggregator.backends import Backends, ServiceCallError
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
        with pytest.raises(ServiceCallError, match="alerts service is unavailable"):
            await backends.call(contracts.alerts.ListExclusions, alerts_pb2.ListExclusionsRequest())
        with pytest.raises(ServiceCallError, match="alerts service is unavailable"):
            await backends.call(contracts.alerts.AddExclusion, alerts_pb2.AddExclusionRequest())
    finally:
        await backends.close()
        await server.stop(None)
    assert servicer.attempts == {"ListExclusions": 3, "AddExclusion": 1}


WRITE_VERBS = ("Add", "Remove", "Create", "Set", "Delete", "Raise", "Acknowledge", "Ingest")


@pytest.mark.parametrize("service", sorted(contracts.SERVICES))
def test_no_write_is_declared_retryable(service: str) -> None:
    """A write marked NO_SIDE_EFFECTS or IDEMPOTENT by mistake would be applied twice after a retry."""
    retryable = {name for _, name in contracts.retryable_methods(contracts.SERVICES[service])}
    writes = {m.name for m in contracts.SERVICES[service].methods if m.name.startswith(WRITE_VERBS)}
    assert writes, "every service has writes"
    assert retryable & writes == set()
    assert retryable, "its reads declare an idempotency level"
