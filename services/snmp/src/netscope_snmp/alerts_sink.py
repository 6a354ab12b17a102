"""An event sink raising SNMP device alerts in the alerts service (RaiseAlert over gRPC).

Events are queued (bounded) and delivered by one background task, so polling never waits on the alerts
service: a full queue drops the event, a failed call is logged; both are counted (`stats` and the
`netscope_snmp_alert_deliveries_total` metric). Recoveries (device recovered, interface up) are not raised:
the alerts API has no call to release an engaged alert, and raising one would re-count the problem alert.
"""

from __future__ import annotations

import asyncio
import collections
import ipaddress
import json
import socket
from collections.abc import Callable

import grpc
from prometheus_client import Counter

from netscope.alerts.v1 import alerts_pb2, alerts_pb2_grpc
from netscope_common.client import open_channel
from netscope_common.logs import get_logger
from netscope_snmp.events import Event, EventKind

log = get_logger("netscope_snmp.alerts_sink")

DELIVERIES = Counter(
    "netscope_snmp_alert_deliveries", "SNMP events sent to the alerts service, by outcome", ["outcome"]
)
RECOVERIES = frozenset({EventKind.DEVICE_RECOVERED, EventKind.INTERFACE_UP})
SCORES = {"info": 10, "notice": 30, "warning": 50, "error": 100, "critical": 150}
RETRYABLE = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})


def alert_request(event: Event, ip: str) -> alerts_pb2.RaiseAlertRequest:
    """The RaiseAlert request for one event: ntopng alert type, device IP (its management IP when the inventory
    gives one, else the polled address), ifIndex, and details with ntopng's entity name."""
    _type_id, type_name = event.alert_type
    details = {
        "device": event.device_id,
        "device_ip": ip,
        "kind": event.kind.value,
        "entity_name": event.entity_name,
        **({"if_index": event.if_index, "if_name": event.if_name} if event.if_index is not None else {}),
        **({"value": round(event.value, 2)} if event.value is not None else {}),
        **({"threshold": event.threshold} if event.threshold is not None else {}),
    }
    request = alerts_pb2.RaiseAlertRequest(
        entity=alerts_pb2.ENTITY_KIND_SNMP_DEVICE,
        entity_value=ip,
        alert_type=type_name,
        severity=event.severity,
        score=SCORES.get(event.severity, 50),
        description=f"{event.device_id}: {event.message}"[:4096],
        details_json=json.dumps(details),
        snmp_port=event.if_index or 0,
        snmp_device_name=event.device_id,
        snmp_port_name=event.if_name if event.if_index is not None else "",
    )
    request.time.FromSeconds(int(event.time))
    return request


class AlertsSink:
    """Sends problem events to the alerts service without ever blocking the poller."""

    def __init__(
        self,
        target: str,
        *,
        queue_size: int = 1000,
        timeout_seconds: float = 5.0,
        attempts: int = 3,
        channel_factory: Callable[[str], grpc.aio.Channel] = open_channel,
    ) -> None:
        self.target = target
        self.timeout_seconds = timeout_seconds
        self.attempts = attempts
        self.stats: collections.Counter[str] = collections.Counter()
        self._queue: asyncio.Queue[Event] = asyncio.Queue(queue_size)
        self._channel_factory = channel_factory
        self._channel: grpc.aio.Channel | None = None
        self._task: asyncio.Task[None] | None = None

    def _count(self, outcome: str) -> None:
        self.stats[outcome] += 1
        DELIVERIES.labels(outcome).inc()

    async def emit(self, event: Event) -> None:
        """Queue a problem event for delivery (recoveries are skipped); never waits."""
        if event.kind in RECOVERIES:
            self._count("skipped")
            return
        if self._task is None:
            self.start()
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self._count("dropped")
            log.warning("snmp_alert_dropped", reason="delivery queue full", device=event.device_id, kind=event.kind)

    def start(self) -> None:
        """Start the delivery task (in the running event loop)."""
        if self._task is None:
            self._channel = self._channel_factory(self.target)
            self._task = asyncio.create_task(self._deliver_forever(), name="snmp-alerts-sink")

    async def stop(self, drain_seconds: float = 2.0) -> None:
        """Deliver what is queued (at most `drain_seconds`), then stop and close the channel."""
        if self._task is None:
            return
        try:
            await asyncio.wait_for(self._queue.join(), drain_seconds)
        except TimeoutError:
            log.warning("snmp_alerts_not_delivered", pending=self._queue.qsize())
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None
        if self._channel is not None:
            await self._channel.close()
            self._channel = None

    async def _deliver_forever(self) -> None:
        assert self._channel is not None
        stub = alerts_pb2_grpc.AlertsServiceStub(self._channel)
        while True:
            event = await self._queue.get()
            try:
                await self._deliver(stub, event)
            except Exception as exc:  # a bad event must not stop delivery of the next ones
                self._count("failed")
                log.error("snmp_alert_failed", device=event.device_id, kind=event.kind, error=str(exc))
            finally:
                self._queue.task_done()

    async def _deliver(self, stub: alerts_pb2_grpc.AlertsServiceStub, event: Event) -> None:
        request = alert_request(event, event.management_ip or await self._resolve(event.address))
        for attempt in range(1, self.attempts + 1):
            try:
                reply = await stub.RaiseAlert(request, timeout=self.timeout_seconds)
            except grpc.aio.AioRpcError as error:
                if error.code() in RETRYABLE and attempt < self.attempts:
                    await asyncio.sleep(0.5 * attempt)
                    continue
                self._count("failed")
                log.error(
                    "snmp_alert_failed",
                    device=event.device_id,
                    kind=event.kind,
                    target=self.target,
                    code=error.code().name,
                    error=(error.details() or "")[:200],
                )
                return
            self._count("deduplicated" if reply.deduplicated else "raised")
            return

    @staticmethod
    async def _resolve(address: str) -> str:
        """The device's IP (alerts of SNMP devices are keyed by IP); host names are resolved."""
        try:
            return str(ipaddress.ip_address(address))
        except ValueError:
            infos = await asyncio.wait_for(
                asyncio.get_running_loop().getaddrinfo(address, None, type=socket.SOCK_DGRAM), 2.0
            )
            return str(infos[0][4][0])
