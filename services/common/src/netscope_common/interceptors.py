"""One server interceptor for every handler kind: request ids, JSON logs, metrics, deadlines, error mapping."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar
from typing import Any

import grpc
import structlog
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

from netscope_common.deadline import deadline_in
from netscope_common.errors import ServiceError
from netscope_common.logs import get_logger
from netscope_common.metrics import RPC_LATENCY, RPC_REQUESTS
from netscope_common.readiness import Readiness
from netscope_common.status import SERVER_FAULTS, ProcessStatus

log = get_logger("netscope.rpc")

REQUEST_ID_KEY = "x-request-id"
PRINCIPAL_KEY = "x-netscope-principal"
# The end of the message of an RPC cut by its deadline inside the service (the caller's, or the service's default).
CUT_AT_DEADLINE = "did not finish within its time limit"

_PRINCIPAL: ContextVar[str] = ContextVar("netscope_principal", default="")


def current_principal() -> str:
    """The principal (token name) the aggregator named for the RPC being served; empty when none."""
    return _PRINCIPAL.get()


def _status_details(error: ServiceError) -> tuple[tuple[str, bytes], ...]:
    """google.rpc.Status trailing metadata carrying a BadRequest field violation when a field is named."""
    status = status_pb2.Status(code=getattr(code_pb2, error.code.name), message=error.message)
    if error.field:
        detail = any_pb2.Any()
        detail.Pack(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(field=error.field, description=error.message)
                ]
            )
        )
        status.details.append(detail)
    return (("grpc-status-details-bin", status.SerializeToString()),)


class ServerInterceptor(grpc.aio.ServerInterceptor):
    """Wraps every RPC handler of a server; servicers only raise ServiceError subclasses.

    With `readiness`, every RPC but health and reflection answers UNAVAILABLE until the service has started.
    """

    def __init__(
        self,
        service: str,
        default_deadline_seconds: float,
        readiness: Readiness | None = None,
        detail: Callable[[], str] | None = None,
    ) -> None:
        self._service = service
        self._default_deadline = default_deadline_seconds
        self._readiness = readiness
        self.status = ProcessStatus(service, detail=detail)

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        method = handler_call_details.method.rsplit("/", 1)[-1]
        if method == "Check" and handler.unary_unary:
            return self._with_status(handler)
        if method in ("Check", "Watch", "ServerReflectionInfo"):
            return handler
        metadata = dict(handler_call_details.invocation_metadata or ())
        request_id = str(metadata.get(REQUEST_ID_KEY) or uuid.uuid4().hex[:16])
        principal = str(metadata.get(PRINCIPAL_KEY, ""))
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                self._wrap_unary(handler.unary_unary, method, request_id, principal),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(
                self._wrap_unary(handler.stream_unary, method, request_id, principal),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                self._wrap_stream(handler.unary_stream, method, request_id, principal),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return grpc.stream_stream_rpc_method_handler(
            self._wrap_stream(handler.stream_stream, method, request_id, principal),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    def _with_status(self, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        """The health Check, answering with this process's status as initial metadata."""
        inner = handler.unary_unary

        async def check(request: Any, context: grpc.aio.ServicerContext) -> Any:
            await context.send_initial_metadata(self.status.metadata())
            return await inner(request, context)

        return grpc.unary_unary_rpc_method_handler(
            check, request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer
        )

    def _deadline(self, context: grpc.aio.ServicerContext) -> float:
        remaining = context.time_remaining()
        return self._default_deadline if remaining is None else min(remaining, self._default_deadline)

    async def _fail(self, context: grpc.aio.ServicerContext, exc: BaseException, method: str) -> None:
        """Log, count and turn an exception into a status with an actionable message."""
        if isinstance(exc, ServiceError):
            code, message, trailer = exc.code, exc.message, _status_details(exc)
            log.info("rpc_error", method=method, code=code.name, error=message)
        elif isinstance(exc, TimeoutError):
            code, message, trailer = (
                grpc.StatusCode.DEADLINE_EXCEEDED,
                f"{method} {CUT_AT_DEADLINE}",
                (),
            )
            log.warning("rpc_timeout", method=method)
        else:
            code, trailer = grpc.StatusCode.INTERNAL, ()
            request_id = structlog.contextvars.get_contextvars().get("request_id", "")
            message = f"internal error in {self._service}.{method} (request id {request_id}); see the service log"
            log.exception("rpc_internal_error", method=method)
        RPC_REQUESTS.labels(self._service, method, code.name).inc()
        self.status.record(f"{method}: {code.name}: {message}" if code in SERVER_FAULTS else "")
        await context.abort(code, message, trailing_metadata=trailer)

    def _wrap_unary(
        self, inner: Callable[..., Awaitable[Any]], method: str, request_id: str, principal: str
    ) -> Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]]:
        async def handle(request: Any, context: grpc.aio.ServicerContext) -> Any:
            structlog.contextvars.bind_contextvars(request_id=request_id, principal=principal)
            _PRINCIPAL.set(principal)
            started = time.perf_counter()
            seconds = self._deadline(context)
            try:
                if self._readiness:
                    self._readiness.require()
                with deadline_in(seconds):
                    async with asyncio.timeout(seconds):
                        response = await inner(request, context)
            except (grpc.aio.AbortError, asyncio.CancelledError):
                raise
            except Exception as exc:
                await self._fail(context, exc, method)
                raise  # unreachable: abort raises
            finally:
                RPC_LATENCY.labels(self._service, method).observe(time.perf_counter() - started)
                structlog.contextvars.clear_contextvars()
            RPC_REQUESTS.labels(self._service, method, "OK").inc()
            self.status.record()
            log.debug("rpc_ok", method=method, seconds=round(time.perf_counter() - started, 4))
            return response

        return handle

    def _wrap_stream(
        self, inner: Callable[..., AsyncIterator[Any]], method: str, request_id: str, principal: str
    ) -> Callable[[Any, grpc.aio.ServicerContext], AsyncIterator[Any]]:
        async def handle(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            structlog.contextvars.bind_contextvars(request_id=request_id, principal=principal)
            _PRINCIPAL.set(principal)
            started = time.perf_counter()
            try:
                if self._readiness:
                    self._readiness.require()
                async with asyncio.timeout(self._deadline(context)):
                    async for item in inner(request, context):
                        yield item
            except (grpc.aio.AbortError, asyncio.CancelledError):
                raise
            except Exception as exc:
                await self._fail(context, exc, method)
                raise
            finally:
                RPC_LATENCY.labels(self._service, method).observe(time.perf_counter() - started)
                structlog.contextvars.clear_contextvars()
            RPC_REQUESTS.labels(self._service, method, "OK").inc()
            self.status.record()

        return handle
