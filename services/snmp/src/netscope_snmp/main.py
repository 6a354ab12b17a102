"""Entry point of the snmp service (`netscope serve snmp`)."""

from __future__ import annotations

import sys

from netscope.snmp.v1 import snmp_pb2_grpc
from netscope_common.errors import ServiceError
from netscope_common.server import ServiceSpec, run
from netscope_common.settings import load_settings
from netscope_snmp.alerts_sink import AlertsSink
from netscope_snmp.events import EventSink, LogSink
from netscope_snmp.inventory import Inventory
from netscope_snmp.poller import Poller
from netscope_snmp.runtime import SnmpRuntime
from netscope_snmp.servicer import SnmpServicer
from netscope_snmp.settings import SnmpSettings
from netscope_snmp.sharding import Shard
from netscope_snmp.state import FleetState, Thresholds
from netscope_snmp.transport import SnmpClient


def build_spec(settings: SnmpSettings) -> ServiceSpec:
    """Wire inventory, poller, state and servicer into a kit ServiceSpec."""
    inventory = Inventory(settings.inventory_path, settings.state_path)
    client = SnmpClient(max_repetitions=settings.max_repetitions, native_v2c=settings.v2c_codec == "native")
    poller = Poller(
        client,
        settings.concurrency,
        settings.timeout_seconds,
        settings.retries,
        full_walk_every=settings.full_walk_every,
    )
    thresholds = Thresholds(
        utilization_percent=settings.utilization_threshold_percent,
        cpu_percent=settings.cpu_threshold_percent,
        memory_percent=settings.memory_threshold_percent,
        errors_per_second=settings.errors_threshold_per_second,
    )
    alerts_sink = AlertsSink(settings.alerts_target) if settings.alerts_target else None
    sinks: list[EventSink] = [LogSink(), *([alerts_sink] if alerts_sink else [])]
    runtime = SnmpRuntime(
        inventory,
        poller,
        FleetState(thresholds, settings.history_points),
        Shard(settings.shard_index, settings.shard_count),
        event_buffer=settings.event_buffer,
        max_backoff_seconds=settings.unreachable_backoff_max_seconds,
        sinks=sinks,
    )

    async def startup() -> None:
        if alerts_sink:
            alerts_sink.start()
        await runtime.start(poll_now=settings.poll_on_start)

    async def shutdown() -> None:
        await runtime.stop()
        if alerts_sink:
            await alerts_sink.stop()
        client.close()

    async def health_check() -> None:
        """The poller is healthy while its scheduler runs (devices being down is data, not ill health)."""
        if runtime.scheduler_failed():
            raise RuntimeError("the polling scheduler stopped")

    return ServiceSpec(
        name="snmp",
        settings=settings,
        servicers=[
            (snmp_pb2_grpc.add_SnmpServiceServicer_to_server, SnmpServicer(runtime), "netscope.snmp.v1.SnmpService")
        ],
        health_check=health_check,
        startup=startup,
        starting="starting the poller",
        shutdown=shutdown,
    )


def main() -> None:
    """Read NETSCOPE_SNMP_* settings and serve until SIGTERM."""
    settings = load_settings(SnmpSettings, "snmp")
    try:
        spec = build_spec(settings)
    except ServiceError as exc:
        sys.exit(f"cannot start the snmp service: {exc.message}")
    run(spec)
