"""NFStream in a worker thread, handing batches of records to the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from netscope_common.logs import get_logger
from netscope_live.netflow.records import FlowRecord
from netscope_live.probe.records import flow_record

log = get_logger("netscope.live.probe")

PCAP_BATCH = 256  # a pcap is read as fast as possible; a live capture hands each flow over at once
STOP_JOIN_SECONDS = 1.0  # a capture of a quiet interface blocks in NFStream until a packet comes


# The first four bytes of the captures libpcap reads: pcap (microsecond, nanosecond and Kuznetzov's modified
# format, either byte order) and pcapng's section header block.
CAPTURE_MAGIC = frozenset(
    bytes.fromhex(h) for h in ("a1b2c3d4", "d4c3b2a1", "a1b23c4d", "4d3cb2a1", "a1b2cd34", "34cdb2a1", "0a0d0d0a")
)


class ProbeSourceError(Exception):
    """The pcap file or interface cannot be read; the message names it and the fix."""


class MeterState(StrEnum):
    """Where the meter is in its life."""

    STARTING = "starting"
    RUNNING = "running"
    FINISHED = "finished"  # the pcap was read to its end
    FAILED = "failed"
    STOPPED = "stopped"


@dataclass(slots=True)
class MeterCounters:
    """What the meter produced."""

    flows: int = 0
    packets: int = 0
    bytes: int = 0


class PacketMeter:
    """Reads a pcap once (or captures an interface until stopped) with NFStream in a daemon thread.

    NFStream reports a flow when it ends or every `active_timeout` s (then counting afresh), so each
    NFStream flow is a delta record the live table adds to its flow; a live flow is at most
    `active_timeout` s behind the packets (NFStream checks its timeouts as packets arrive, so on a
    quiet interface a flow waits for the next packet). Each NFStream flow becomes a FlowRecord;
    batches go to `deliver` on the event loop (the live table is single-threaded). Errors never escape
    the thread: they set `state` FAILED and `error` to a message naming the source and the fix.
    """

    def __init__(
        self,
        deliver: Callable[[Sequence[FlowRecord]], None],
        *,
        pcap: Path | None = None,
        interface: str = "",
        idle_timeout: float = 30.0,
        active_timeout: float = 120.0,
        bpf_filter: str = "",
    ) -> None:
        if (pcap is None) == (not interface):
            raise ValueError("the packet probe needs exactly one of a pcap file or an interface name")
        self.deliver = deliver
        self.pcap = pcap
        self.interface = interface
        self.idle_timeout = idle_timeout
        self.active_timeout = active_timeout
        self.bpf_filter = bpf_filter
        self.state = MeterState.STARTING
        self.error = ""
        self.counters = MeterCounters()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def description(self) -> str:
        """`pcap:<file>` or `interface:<name>`."""
        return f"pcap:{self.pcap}" if self.pcap is not None else f"interface:{self.interface}"

    @property
    def exporter(self) -> str:
        """The `exporter` name of the flows (the live table keys flows by it)."""
        return "probe"

    def start(self) -> None:
        """Start the worker thread (inside a running event loop)."""
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._run, name="live-probe", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        """Ask the thread to stop and wait for it, boundedly: a capture of a quiet interface notices only
        on its next packet; the daemon thread and NFStream's daemon meter process then end with the service."""
        self._stop.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, STOP_JOIN_SECONDS)
            if self._thread.is_alive():
                log.warning("packet probe thread still waiting for packets at shutdown", source=self.description)
            self._thread = None
        if self.state in (MeterState.STARTING, MeterState.RUNNING):
            self.state = MeterState.STOPPED

    def _streamer(self) -> Iterable[Any]:
        from nfstream import NFStreamer  # imported here: it loads nDPI

        if self.pcap is not None:
            self._check_pcap(self.pcap)
            source = str(self.pcap)
        else:
            source = self.interface
        streamer = NFStreamer(
            source=source,
            bpf_filter=self.bpf_filter or None,
            idle_timeout=max(1, int(self.idle_timeout)),
            active_timeout=max(1, int(self.active_timeout)),
            n_meters=1,
            statistical_analysis=False,
        )
        # NFStream forks its meter process on Linux; forking a process whose gRPC threads are running can
        # leave the child blocked on a lock a parent thread held (gRPC: "skipping fork() handlers"), and the
        # capture is then never read. A spawned meter starts from a clean interpreter.
        streamer._mp_context = multiprocessing.get_context("spawn")
        return streamer

    @staticmethod
    def _check_pcap(path: Path) -> None:
        if not path.exists():
            raise ProbeSourceError(
                f"pcap file {path} does not exist; set NETSCOPE_LIVE_PROBE_PCAP to a readable capture"
            )
        if not path.is_file():
            raise ProbeSourceError(
                f"pcap file {path} is not a regular file; set NETSCOPE_LIVE_PROBE_PCAP to a capture file"
            )
        with path.open("rb") as capture:
            magic = capture.read(4)
        if magic not in CAPTURE_MAGIC:  # refused here, before NFStream starts its meter process
            raise ProbeSourceError(
                f"cannot read pcap file {path}: unknown file format (expected a pcap or pcapng capture)"
            )

    def _run(self) -> None:
        batch: list[FlowRecord] = []
        batch_size = PCAP_BATCH if self.pcap is not None else 1
        try:
            streamer = self._streamer()
            self.state = MeterState.RUNNING
            log.info("packet probe started", source=self.description)
            for flow in streamer:
                record = flow_record(flow, self.exporter)
                self.counters.flows += 1
                self.counters.packets += record.packets + record.rev_packets
                self.counters.bytes += record.bytes + record.rev_bytes
                batch.append(record)
                if len(batch) >= batch_size:
                    self._hand_over(batch)
                    batch = []
                if self._stop.is_set():
                    break
            self._hand_over(batch)
        except Exception as exc:  # reported through health and FAILED_PRECONDITION, never a crash
            self._hand_over(batch)
            self.error = self._message(exc)
            self.state = MeterState.FAILED
            log.error("packet probe failed", source=self.description, error=self.error)
            return
        if self.state is MeterState.RUNNING:
            self.state = MeterState.STOPPED if self._stop.is_set() or self.pcap is None else MeterState.FINISHED
        log.info("packet probe ended", source=self.description, state=self.state.value, flows=self.counters.flows)

    def _message(self, exc: Exception) -> str:
        text = str(exc) or type(exc).__name__
        if isinstance(exc, ProbeSourceError):
            return text
        if "BPF" in text:
            return f"NETSCOPE_LIVE_PROBE_BPF_FILTER {self.bpf_filter!r} is not a valid BPF filter (e.g. 'tcp port 443')"
        if self.pcap is not None:
            return f"cannot read pcap file {self.pcap}: {text} (expected a pcap or pcapng capture)"
        if "valid network interface" in text:
            return (
                f"cannot capture on interface {self.interface!r}: no such interface (or no permission to open it); "
                "set NETSCOPE_LIVE_PROBE_INTERFACE to an existing interface name"
            )
        return f"packet probe on {self.description} failed: {text}"

    def _hand_over(self, batch: list[FlowRecord]) -> None:
        if batch and self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed while we were reading
                self._loop.call_soon_threadsafe(self.deliver, batch)
