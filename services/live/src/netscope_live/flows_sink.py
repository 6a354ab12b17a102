"""An ingest sink that stores completed flows through the flows service's IngestFlows RPC."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

import grpc

from netscope.flows.v1 import flows_pb2, flows_pb2_grpc
from netscope_common.client import open_channel
from netscope_common.timeutil import to_timestamp
from netscope_live.ingest import CompletedFlow

MAX_FLOWS_PER_MESSAGE = 10_000


def to_ingest_flow(flow: CompletedFlow) -> flows_pb2.IngestFlow:
    """One flow segment as the flows service takes it; the segment's bytes split like the flow's totals."""
    total = flow.bytes_c2s_total + flow.bytes_s2c_total
    c2s = round(flow.bytes * flow.bytes_c2s_total / total) if total else flow.bytes
    share = c2s / flow.bytes if flow.bytes else 1.0
    c2s_packets = round(flow.packets * share)
    return flows_pb2.IngestFlow(
        exporter=flow.exporter,
        vlan=flow.vlan,
        protocol=flow.protocol,
        client_ip=flow.client_ip,
        client_port=flow.client_port,
        server_ip=flow.server_ip,
        server_port=flow.server_port,
        application=flow.application,
        first_seen=to_timestamp(datetime.fromtimestamp(flow.first_seen, UTC)),
        last_seen=to_timestamp(datetime.fromtimestamp(flow.last_seen, UTC)),
        src2dst_bytes=c2s,
        dst2src_bytes=flow.bytes - c2s,
        src2dst_packets=c2s_packets,
        dst2src_packets=flow.packets - c2s_packets,
        tcp_flags=flow.tcp_flags,
        input_if=flow.input_if,
        output_if=flow.output_if,
    )


class IngestFailed(Exception):
    """A batch the flows service did not take, after the sink's retries."""


class FlowsIngestSink:
    """Sends each batch as one client-streaming IngestFlows call under one batch id.

    A failed call is retried with the same batch id (the flows service stores a batch id once), so a
    retry never duplicates rows; after the last attempt the error propagates and the exporter counts the
    batch as failed (dropped).
    """

    def __init__(self, target: str, *, timeout_seconds: float = 10.0, attempts: int = 3) -> None:
        self._target = target
        self._timeout = timeout_seconds
        self._attempts = attempts
        self._stub: flows_pb2_grpc.FlowsServiceStub | None = None
        self.accepted = 0
        self.rejected = 0

    def _client(self) -> flows_pb2_grpc.FlowsServiceStub:
        if self._stub is None:
            self._stub = flows_pb2_grpc.FlowsServiceStub(open_channel(self._target))
        return self._stub

    async def ingest(self, batch: Sequence[CompletedFlow]) -> int:
        """Store one batch; returns how many flows the flows service rejected as invalid.

        Raises IngestFailed (naming the target, the status and its details) when every attempt failed.
        """
        batch_id = uuid.uuid4().hex
        flows = [to_ingest_flow(f) for f in batch]

        async def messages() -> AsyncIterator[flows_pb2.IngestFlowsRequest]:
            for start in range(0, len(flows), MAX_FLOWS_PER_MESSAGE):
                yield flows_pb2.IngestFlowsRequest(
                    batch_id=f"{batch_id}-{start}", flows=flows[start : start + MAX_FLOWS_PER_MESSAGE]
                )

        for attempt in range(1, self._attempts + 1):
            try:
                reply = await self._client().IngestFlows(messages(), timeout=self._timeout)
            except grpc.aio.AioRpcError as error:
                if attempt == self._attempts or error.code() not in (
                    grpc.StatusCode.UNAVAILABLE,
                    grpc.StatusCode.DEADLINE_EXCEEDED,
                ):
                    raise IngestFailed(
                        f"IngestFlows to {self._target} failed after {attempt} attempt(s): "
                        f"{error.code().name}: {error.details()}"
                    ) from error
                await asyncio.sleep(0.2 * 2**attempt)
                continue
            self.accepted += reply.accepted
            self.rejected += reply.rejected
            return int(reply.rejected)
        raise AssertionError("unreachable: the last attempt returns or raises")
