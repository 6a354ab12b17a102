"""The UDP collector: a non-blocking socket drained on each wakeup of the event loop, feeding the
decoder and the live table."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass

from netscope_common.logs import get_logger
from netscope_live.netflow.decoder import NetflowDecoder
from netscope_live.netflow.records import FlowRecord
from netscope_live.table import FlowTable

log = get_logger("netscope.live.collector")

RECEIVE_BUFFER_BYTES = 8 * 1024 * 1024
MAX_DATAGRAM_BYTES = 65_535
DATAGRAMS_PER_WAKEUP = 64  # read at most this many before yielding to the loop (gRPC calls, sweeps)


@dataclass(slots=True)
class SocketCounters:
    """Datagram-level counters of the collector socket."""

    datagrams: int = 0
    socket_errors: int = 0
    internal_errors: int = 0
    wakeups: int = 0  # reads of the socket by the loop; datagrams / wakeups is the batch size


class Collector:
    """Owns the UDP socket and the periodic timeout sweep of the table.

    Each time the socket is readable, up to DATAGRAMS_PER_WAKEUP datagrams are read without
    blocking and decoded one by one (a datagram that fails costs only itself); their records enter
    the table as one batch (one clock read and window slot for all of them).
    """

    def __init__(self, decoder: NetflowDecoder, table: FlowTable, *, sweep_seconds: float = 1.0) -> None:
        self.decoder = decoder
        self.table = table
        self.sweep_seconds = sweep_seconds
        self.counters = SocketCounters()
        self.address: tuple[str, int] | None = None
        self._sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self, host: str, port: int) -> tuple[str, int]:
        """Bind UDP host:port (0 = a free port) and start sweeping; the bound address."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
            sock.bind((host, port))
        except OSError as exc:
            sock.close()
            raise OSError(f"cannot bind the NetFlow/IPFIX collector to UDP {host}:{port}: {exc.strerror}") from exc
        sock.setblocking(False)
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(sock.fileno(), self._readable)
        self._sock = sock
        bound = sock.getsockname()
        self.address = (str(bound[0]), int(bound[1]))
        self._sweeper = asyncio.create_task(self._sweep(), name="live-collector-sweep")
        log.info("collector listening", address=f"{self.address[0]}:{self.address[1]}")
        return self.address

    async def stop(self) -> None:
        """Close the socket, stop sweeping and hand the live flows to ingest."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        if self._sock is not None:
            if self._loop is not None:
                self._loop.remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None
        self.table.flush()

    @property
    def running(self) -> bool:
        """True while the socket is open."""
        return self._sock is not None

    def _readable(self) -> None:
        sock = self._sock
        if sock is None:
            return
        counters = self.counters
        counters.wakeups += 1
        decode = self.decoder.decode
        records: list[FlowRecord] = []
        for _ in range(DATAGRAMS_PER_WAKEUP):
            try:
                data, addr = sock.recvfrom(MAX_DATAGRAM_BYTES)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:  # e.g. an ICMP error reported on the socket: counted, the socket stays open
                counters.socket_errors += 1
                break
            counters.datagrams += 1
            try:
                records += decode(data, str(addr[0]))
            except Exception:  # decode never raises by contract; a bug must cost one datagram
                counters.internal_errors += 1
                log.exception("datagram decoding failed", exporter=str(addr[0]))
        if records:
            try:
                self.table.add(records)
            except Exception:  # a table bug must cost this batch, not the collector
                counters.internal_errors += 1
                log.exception("adding records to the live table failed", records=len(records))

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_seconds)
            try:
                self.table.expire()
            except Exception:
                log.exception("flow table sweep failed")
