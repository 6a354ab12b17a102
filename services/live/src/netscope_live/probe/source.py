"""LiveService answers from packets: NFStream flows fill the same live table the collector fills."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from netscope.live.v1 import live_pb2 as pb
from netscope_common.errors import FailedPrecondition, Unavailable
from netscope_common.logs import get_logger
from netscope_live.collector_source import COLLECTOR_IFID, CollectorSource
from netscope_live.ingest import IngestSink
from netscope_live.netflow.records import FlowRecord
from netscope_live.probe.meter import MeterState, PacketMeter
from netscope_live.settings import LiveSettings

PROBE_IFID = COLLECTOR_IFID
SWEEP_SECONDS = 1.0

log = get_logger("netscope.live.probe")


class ProbeSource(CollectorSource):
    """A pcap file (read once) or an interface metered by NFStream with nDPI application names.

    Flows go through the collector's live table, timeouts and ingest hand-off, so every RPC answers
    as with the collector (whose UDP socket is not opened).
    """

    name = "probe"

    def __init__(self, settings: LiveSettings, sink: IngestSink) -> None:
        super().__init__(settings, sink)
        self._sweeper: asyncio.Task[None] | None = None
        self.meter = PacketMeter(
            self._add,
            pcap=settings.probe_pcap,
            interface=settings.probe_interface,
            idle_timeout=min(settings.idle_timeout_seconds, settings.probe_active_timeout_seconds),
            active_timeout=settings.probe_active_timeout_seconds,
            bpf_filter=settings.probe_bpf_filter,
        )

    def _add(self, records: Sequence[FlowRecord]) -> None:
        self.table.add(records)

    async def start(self) -> None:
        """Load the lookup tables, start ingest, the table sweep and the packet meter thread."""
        self.table.preload()
        self.ingest.start()
        self._sweeper = asyncio.create_task(self._sweep(), name="live-probe-sweep")
        self.meter.start()

    async def stop(self) -> None:
        """Stop the meter, hand the live flows to ingest."""
        await self.meter.stop()
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        self.table.flush()
        await self.ingest.stop()

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            try:
                self.table.expire()
            except Exception:
                log.exception("flow table sweep failed")

    async def health(self) -> None:
        """Serving while the meter runs or after it read the whole pcap; the error when it failed."""
        if self.meter.state is MeterState.FAILED:
            raise Unavailable(self.meter.error)

    def _interface(self, ifid: int) -> None:
        if self.meter.state is MeterState.FAILED:
            raise FailedPrecondition(self.meter.error)
        super()._interface(ifid)

    async def list_interfaces(self) -> pb.ListInterfacesResponse:
        """The probe's single interface (ifid 0)."""
        return pb.ListInterfacesResponse(
            interfaces=[
                pb.NetworkInterface(
                    ifid=PROBE_IFID,
                    name="probe",
                    description=f"packet probe (NFStream + nDPI) on {self.meter.description}",
                    source=self.name,
                )
            ]
        )

    async def interface_stats(self, req: pb.InterfaceStatsRequest) -> pb.InterfaceStatsResponse:
        """As the collector's, named after the probe."""
        reply = await super().interface_stats(req)
        reply.name = "probe"
        reply.source = self.name
        return reply

    async def collector_stats(self, req: pb.CollectorStatsRequest) -> pb.CollectorStatsResponse:
        """Table and ingest counters; `listen_address` names the capture (no NetFlow exporters)."""
        if self.meter.state is MeterState.FAILED:
            raise FailedPrecondition(self.meter.error)
        reply = await super().collector_stats(req)
        reply.listen_address = self.meter.description
        return reply
