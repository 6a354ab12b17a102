"""gRPC channels to the services and the mapping of their failures to tool errors an assistant can act on."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc
from mcp.server.mcpserver.exceptions import ToolError

from netscope_aggregator.caller import caller_name
from netscope_aggregator.contracts import SERVICES, Rpc, retryable_methods
from netscope_aggregator.settings import AggregatorSettings
from netscope_aggregator.snmp_shards import SnmpShards
from netscope_common.client import call_metadata, open_channel
from netscope_common.interceptors import CUT_AT_DEADLINE
from netscope_common.readiness import reason_of

ResponseT = TypeVar("ResponseT", bound=Message)


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
    elif (
        code == grpc.StatusCode.DEADLINE_EXCEEDED
        and details not in ("", "Deadline Exceeded")
        and not details.endswith(CUT_AT_DEADLINE)  # the kit's text: the same deadline, noticed by the service first
    ):
        text = details  # the service cut the work itself and said why (e.g. ntopng did not answer)
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


class Backends:
    """Channels to the four services; `call` applies the deadline, the caller's metadata and the error mapping."""

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
        self._callables: dict[tuple[str, str], grpc.aio.UnaryUnaryMultiCallable[Any, Any]] = {}
        self._shards = SnmpShards(self.snmp_shards, self._invoke_shard)

    def _channel(self, name: str) -> grpc.aio.Channel:
        # Channels bind to the running event loop, so they are made on first use inside it.
        if name not in self._channels:
            retry = retryable_methods(SERVICES[name.split("-")[0]])
            self._channels[name] = open_channel(self.targets[name], retry_methods=retry)
        return self._channels[name]

    def _invoke(self, target: str, rpc: Rpc[Any, ResponseT], request: Message, **call: Any) -> Any:
        # One multicallable per (target, RPC), made once: building it costs about as much CPU as the call itself.
        multicallable = self._callables.get((target, rpc.path))
        if multicallable is None:
            multicallable = self._channel(target).unary_unary(
                rpc.path,
                request_serializer=rpc.request_type.SerializeToString,
                response_deserializer=rpc.response_type.FromString,
            )
            self._callables[(target, rpc.path)] = multicallable
        return multicallable(request, **call)

    def _invoke_shard(self, shard: int, rpc: Rpc[Any, Any], request: Message, **call: Any) -> Any:
        return self._invoke("snmp" if shard == 0 else f"snmp-{shard}", rpc, request, **call)

    async def call(self, rpc: Rpc[Any, ResponseT], request: Message, *, timeout: float | None = None) -> ResponseT:
        """Call one RPC for the current caller with a deadline; failures raise ServiceCallError saying what to do."""
        deadline = timeout or self.timeout
        call = {"timeout": deadline, "metadata": call_metadata(uuid.uuid4().hex[:16], caller_name())}
        try:
            if rpc.service == "snmp" and self.snmp_shards > 1:
                reply = await self._shards.call(rpc, request, **call)
            else:
                reply = await self._invoke(rpc.service, rpc, request, **call)
        except grpc.aio.AioRpcError as error:
            raise describe_failure(rpc.service, error, deadline) from None
        assert isinstance(reply, rpc.response_type)
        return reply

    def channel(self, name: str) -> grpc.aio.Channel:
        """The pooled channel to one service target (made in the running event loop on first use)."""
        return self._channel(name)

    async def health(self, service: str, timeout: float = 2.0) -> tuple[bool, str]:
        """Whether a service reports SERVING, with a reason when it does not."""
        stub = health_pb2_grpc.HealthStub(self._channel(service))
        name = SERVICES[service.split("-")[0]].full_name
        try:
            call = stub.Check(health_pb2.HealthCheckRequest(service=name), timeout=timeout)
            reply = await call
            why = reason_of(await call.trailing_metadata())
        except grpc.aio.AioRpcError as error:
            return False, f"{error.code().name}: {(error.details() or '')[:120]}"
        if reply.status == health_pb2.HealthCheckResponse.SERVING:
            return True, ""
        status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
        return False, f"{status}: {why[:200]}" if why else status

    async def close(self) -> None:
        """Close every channel."""
        for channel in self._channels.values():
            await channel.close()
        self._channels.clear()
        self._callables.clear()
