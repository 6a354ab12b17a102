"""gRPC channels to the services and the mapping of their failures to tool errors an assistant can act on."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from mcp.server.mcpserver.exceptions import ToolError

from netscope.alerts.v1 import alerts_pb2, alerts_pb2_grpc
from netscope.flows.v1 import flows_pb2, flows_pb2_grpc
from netscope.live.v1 import live_pb2, live_pb2_grpc
from netscope.snmp.v1 import snmp_pb2, snmp_pb2_grpc
from netscope_aggregator.settings import AggregatorSettings
from netscope_aggregator.snmp_shards import ShardedSnmpStub
from netscope_common.client import call_metadata, open_channel

ResponseT = TypeVar("ResponseT")

SERVICE_NAMES = {
    "flows": "netscope.flows.v1.FlowsService",
    "alerts": "netscope.alerts.v1.AlertsService",
    "snmp": "netscope.snmp.v1.SnmpService",
    "live": "netscope.live.v1.LiveService",
}

# RPCs that change state: never retried by the channel (a retry after UNAVAILABLE could apply them twice).
WRITE_METHODS = frozenset(
    {
        "RaiseAlert",
        "AcknowledgeAlert",
        "AddExclusion",
        "RemoveExclusion",
        "CreatePolicy",
        "SetPolicyEnabled",
        "DeletePolicy",
        "AddExpectedServer",
        "RemoveExpectedServer",
        "IngestFlows",
        "AddMonitor",
        "RemoveMonitor",
        "AddDevice",
        "RemoveDevice",
    }
)
_DESCRIPTORS = {"flows": flows_pb2, "alerts": alerts_pb2, "snmp": snmp_pb2, "live": live_pb2}


def read_methods(service: str) -> list[tuple[str, str]]:
    """(full service name, method) of every RPC of a service that only reads, from its descriptor."""
    full_name = SERVICE_NAMES[service]
    descriptor = _DESCRIPTORS[service].DESCRIPTOR.services_by_name[full_name.rsplit(".", 1)[1]]
    return [(full_name, m.name) for m in descriptor.methods if m.name not in WRITE_METHODS]


class ServiceCallError(ToolError):
    """A service call failed; the message says which service, why, and what to do."""

    def __init__(self, service: str, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.service = service
        self.code = code


def describe_failure(service: str, error: grpc.aio.AioRpcError, timeout: float) -> ServiceCallError:
    """Turn a gRPC failure into a tool error naming the service and what to do next."""
    code = error.code()
    details = error.details() or ""
    if code == grpc.StatusCode.UNAVAILABLE:
        text = (
            f"the {service} service is unavailable ({details[:160]}). Tools of other services keep working; "
            "retry in a few seconds"
        )
    elif code == grpc.StatusCode.DEADLINE_EXCEEDED and details and details != "Deadline Exceeded":
        text = details  # the service cut the work itself and said why
    elif code == grpc.StatusCode.DEADLINE_EXCEEDED:
        text = (
            f"the {service} service did not answer within {timeout:g} s; "
            "narrow the request (shorter window, lower limit)"
        )
    elif code in (
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.ALREADY_EXISTS,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.PERMISSION_DENIED,
    ):
        text = details
    elif code == grpc.StatusCode.UNIMPLEMENTED:
        text = f"the {service} service does not offer this operation with its configured backend"
    else:
        text = f"the {service} service failed ({code.name}): {details[:200]}"
    return ServiceCallError(service, code, text)


@dataclass
class Stubs:
    """One stub per service, sharing a pooled channel each."""

    flows: flows_pb2_grpc.FlowsServiceStub
    alerts: alerts_pb2_grpc.AlertsServiceStub
    snmp: snmp_pb2_grpc.SnmpServiceStub | ShardedSnmpStub
    live: live_pb2_grpc.LiveServiceStub


class Backends:
    """Channels to the four services; `call` applies the deadline, metadata and error mapping."""

    def __init__(self, settings: AggregatorSettings) -> None:
        self.timeout = settings.call_timeout_seconds
        targets = {
            "flows": settings.flows_target,
            "alerts": settings.alerts_target,
            "snmp": settings.snmp_target,
            "live": settings.live_target,
        }
        shards = [t.strip() for t in settings.snmp_shard_targets.split(",") if t.strip()]
        if shards:
            targets["snmp"] = shards[0]
            targets.update({f"snmp-{index}": target for index, target in enumerate(shards[1:], start=1)})
        self.snmp_shards = len(shards) or 1
        self.targets = targets
        self._channels: dict[str, grpc.aio.Channel] = {}
        self._stubs: Stubs | None = None

    def _channel(self, name: str) -> grpc.aio.Channel:
        # Channels bind to the running event loop, so they are made on first use inside it.
        if name not in self._channels:
            reads = read_methods(name.split("-")[0])
            self._channels[name] = open_channel(self.targets[name], retry_methods=reads)
        return self._channels[name]

    @property
    def stubs(self) -> Stubs:
        """Stubs of the four services (created in the running event loop on first use)."""
        if self._stubs is None:
            self._stubs = Stubs(
                flows=flows_pb2_grpc.FlowsServiceStub(self._channel("flows")),
                alerts=alerts_pb2_grpc.AlertsServiceStub(self._channel("alerts")),
                snmp=self._snmp_stub(),
                live=live_pb2_grpc.LiveServiceStub(self._channel("live")),
            )
        return self._stubs

    def _snmp_stub(self) -> snmp_pb2_grpc.SnmpServiceStub | ShardedSnmpStub:
        if self.snmp_shards == 1:
            return snmp_pb2_grpc.SnmpServiceStub(self._channel("snmp"))
        names = ["snmp", *(f"snmp-{index}" for index in range(1, self.snmp_shards))]
        return ShardedSnmpStub([snmp_pb2_grpc.SnmpServiceStub(self._channel(name)) for name in names])

    async def call(
        self,
        service: str,
        method: Callable[..., Awaitable[ResponseT]],
        request: Any,
        *,
        principal: str = "",
        timeout: float | None = None,
    ) -> ResponseT:
        """Call one RPC with a deadline; failures raise ServiceCallError with an actionable message."""
        deadline = timeout or self.timeout
        try:
            return await method(request, timeout=deadline, metadata=call_metadata(uuid.uuid4().hex[:16], principal))
        except grpc.aio.AioRpcError as error:
            raise describe_failure(service, error, deadline) from None

    async def health(self, service: str, timeout: float = 2.0) -> tuple[bool, str]:
        """Whether a service reports SERVING, with a reason when it does not."""
        stub = health_pb2_grpc.HealthStub(self._channel(service))
        name = SERVICE_NAMES[service.split("-")[0]]
        try:
            reply = await stub.Check(health_pb2.HealthCheckRequest(service=name), timeout=timeout)
        except grpc.aio.AioRpcError as error:
            return False, f"{error.code().name}: {(error.details() or '')[:120]}"
        serving = reply.status == health_pb2.HealthCheckResponse.SERVING
        return serving, "" if serving else health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)

    async def close(self) -> None:
        """Close every channel."""
        for channel in self._channels.values():
            await channel.close()
        self._channels.clear()
        self._stubs = None
