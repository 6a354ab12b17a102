"""Entry point: `netscope serve live`."""

from __future__ import annotations

from netscope.live.v1 import live_pb2_grpc
from netscope_common.deadline import time_left
from netscope_common.server import ServiceSpec, run
from netscope_common.settings import load_settings
from netscope_live.collector_source import CollectorSource
from netscope_live.flows_sink import FlowsIngestSink
from netscope_live.ingest import IngestSink, MemorySink
from netscope_live.metrics import watch
from netscope_live.monitoring.service import ActiveMonitors
from netscope_live.ntopng_source import NtopngSource
from netscope_live.probe.source import ProbeSource
from netscope_live.servicer import LiveServicer
from netscope_live.settings import LiveSettings
from netscope_live.source import LiveSource
from netscope_live.table import tune_gc

SERVICE_NAME = "netscope.live.v1.LiveService"


def build_source(settings: LiveSettings, sink: IngestSink | None = None) -> LiveSource:
    """The source NETSCOPE_LIVE_SOURCE selects. Collector and probe completed flows go to `sink`: by default
    the flows service at NETSCOPE_LIVE_FLOWS_TARGET, or a counting sink when no target is set."""
    if settings.source == "ntopng":  # the settings checked what each source needs
        client = settings.ntopng_client(retries=settings.ntopng_retries, time_left=time_left)
        return NtopngSource(client, settings.ntopng_scan_rows)
    if sink is None:
        sink = FlowsIngestSink(settings.flows_target) if settings.flows_target else MemorySink(keep_batches=0)
    if settings.source == "probe":
        return ProbeSource(settings, sink)
    collector = CollectorSource(settings, sink)
    watch(collector)
    return collector


def build_spec(settings: LiveSettings, sink: IngestSink | None = None, *, own_process: bool = False) -> ServiceSpec:
    """Wire the source and the servicer into a runnable service. `own_process` (the `netscope serve live`
    process, not in-process tests) also tunes the process's GC for the live table once it is loaded."""
    source = build_source(settings, sink)
    monitors = ActiveMonitors(settings.settings_dir, settings.max_monitors)

    async def startup() -> None:
        await source.start()
        await monitors.start()
        if own_process:
            tune_gc()

    async def shutdown() -> None:
        await monitors.stop()
        await source.stop()

    return ServiceSpec(
        name="live",
        settings=settings,
        servicers=[(live_pb2_grpc.add_LiveServiceServicer_to_server, LiveServicer(source, monitors), SERVICE_NAME)],
        health_check=source.health,
        startup=startup,
        starting=f"starting the {settings.source} source",
        shutdown=shutdown,
    )


def main() -> None:
    """Run the live service with settings from the environment."""
    run(build_spec(load_settings(LiveSettings, "live"), own_process=True))
