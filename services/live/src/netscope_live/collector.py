"""The UDP collector: an asyncio datagram endpoint feeding the decoder and the live table."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass

from netscope_common.logs import get_logger
from netscope_live.netflow.decoder import NetflowDecoder
from netscope_live.table import FlowTable

log = get_logger("netscope.live.collector")

RECEIVE_BUFFER_BYTES = 8 * 1024 * 1024


@dataclass(slots=True)
class SocketCounters:
    """Datagram-level counters of the collector socket."""

    datagrams: int = 0
    socket_errors: int = 0
    internal_errors: int = 0


class CollectorProtocol(asyncio.DatagramProtocol):
    """Decodes each datagram and merges its records into the table; never raises to the loop."""

    def __init__(self, decoder: NetflowDecoder, table: FlowTable, counters: SocketCounters) -> None:
        self.decoder = decoder
        self.table = table
        self.counters = counters

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        """One export packet from `addr`."""
        self.counters.datagrams += 1
        try:
            records = self.decoder.decode(data, str(addr[0]))
            if records:
                self.table.add(records)
        except Exception:  # a bug here must cost one packet, not the collector
            self.counters.internal_errors += 1
            log.exception("datagram processing failed", exporter=str(addr[0]))

    def error_received(self, exc: Exception) -> None:
        """ICMP errors and the like: counted, the endpoint stays open."""
        self.counters.socket_errors += 1


class Collector:
    """Owns the UDP endpoint and the periodic timeout sweep of the table."""

    def __init__(self, decoder: NetflowDecoder, table: FlowTable, *, sweep_seconds: float = 1.0) -> None:
        self.decoder = decoder
        self.table = table
        self.sweep_seconds = sweep_seconds
        self.counters = SocketCounters()
        self.address: tuple[str, int] | None = None
        self._transport: asyncio.DatagramTransport | None = None
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
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: CollectorProtocol(self.decoder, self.table, self.counters), sock=sock
        )
        self._transport = transport
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
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        self.table.flush()

    @property
    def running(self) -> bool:
        """True while the socket is open."""
        return self._transport is not None and not self._transport.is_closing()

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_seconds)
            try:
                self.table.expire()
            except Exception:
                log.exception("flow table sweep failed")
