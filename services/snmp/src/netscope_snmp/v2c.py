"""SNMPv2c requests over one asyncio UDP socket per address family, decoded with `netscope_snmp.ber`.

Each request gets a request-id; retries resend the same message (an answer to any attempt counts).
Answers are matched by request-id and source address; an answer whose request already gave up is
counted in `late_answers` (a sign that more is in flight than the process can handle in time).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from netscope_snmp.ber import BerError, Oid, Response, decode_response, encode_request
from netscope_snmp.metrics import LATE_ANSWERS, MALFORMED_ANSWERS


class V2cTimeout(Exception):
    """No answer within timeout x attempts."""


class V2cResolveError(Exception):
    """The device address does not resolve."""


@dataclass
class _Pending:
    future: asyncio.Future[Response]
    address: tuple[str, int]
    community: bytes


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, client: V2cClient) -> None:
        self.client = client

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.client.received(data, addr)

    def error_received(self, exc: Exception) -> None:
        """ICMP errors on an unconnected socket name no request; the request times out instead."""


class V2cClient:
    """Sends v2c GET/GETBULK requests and waits for their answers."""

    def __init__(self, receive_buffer_bytes: int = 4 * 1024 * 1024) -> None:
        self.receive_buffer_bytes = receive_buffer_bytes
        self.late_answers = 0
        self.malformed_answers = 0
        self._endpoints: dict[int, asyncio.DatagramTransport] = {}
        self._opening: dict[int, asyncio.Lock] = {}
        self._addresses: dict[tuple[str, int], tuple[int, tuple[str, int]]] = {}
        self._pending: dict[int, _Pending] = {}
        self._next_id = secrets.randbelow(2**30) + 1

    def close(self) -> None:
        """Close the sockets; requests still waiting time out."""
        for transport in self._endpoints.values():
            transport.close()
        self._endpoints.clear()

    async def _resolve(self, host: str, port: int) -> tuple[int, tuple[str, int]]:
        key = (host, port)
        if key not in self._addresses:
            loop = asyncio.get_running_loop()
            try:
                infos = await loop.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
            except OSError as exc:
                raise V2cResolveError(f"cannot resolve address {host!r}: {exc}") from None
            family, _type, _proto, _name, sockaddr = infos[0]
            self._addresses[key] = (family, (str(sockaddr[0]), int(sockaddr[1])))
        return self._addresses[key]

    async def _endpoint(self, family: int) -> asyncio.DatagramTransport:
        lock = self._opening.setdefault(family, asyncio.Lock())
        async with lock:
            if family not in self._endpoints:
                loop = asyncio.get_running_loop()
                any_address = "::" if family == socket.AF_INET6 else "0.0.0.0"
                transport, _ = await loop.create_datagram_endpoint(
                    lambda: _Protocol(self), local_addr=(any_address, 0), family=family
                )
                sock = transport.get_extra_info("socket")
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.receive_buffer_bytes)
                self._endpoints[family] = transport
        return self._endpoints[family]

    def _request_id(self) -> int:
        self._next_id = self._next_id % (2**31 - 1) + 1
        return self._next_id

    async def request(
        self,
        host: str,
        port: int,
        community: bytes,
        pdu_type: int,
        oids: Sequence[Oid],
        timeout_s: float,
        retries: int,
        non_repeaters: int = 0,
        max_repetitions: int = 0,
    ) -> Response:
        """Send one request (resent `retries` times on silence); raise V2cTimeout when nothing answers."""
        family, address = await self._resolve(host, port)
        transport = await self._endpoint(family)
        request_id = self._request_id()
        message = encode_request(community, pdu_type, request_id, oids, non_repeaters, max_repetitions)
        future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = _Pending(future, address, community)
        try:
            for _attempt in range(retries + 1):
                transport.sendto(message, address)
                with contextlib.suppress(TimeoutError):
                    return await asyncio.wait_for(asyncio.shield(future), timeout_s)
            raise V2cTimeout
        finally:
            self._pending.pop(request_id, None)
            future.cancel()

    def received(self, data: bytes, addr: Any) -> None:
        """Hand a datagram to the request waiting for it; drop anything else."""
        try:
            response = decode_response(data)
        except BerError:
            self.malformed_answers += 1
            MALFORMED_ANSWERS.inc()
            return
        pending = self._pending.get(response.request_id)
        if pending is None or pending.future.done():
            self.late_answers += 1
            LATE_ANSWERS.inc()
            return
        if tuple(addr[:2]) != pending.address or response.community != pending.community:
            return
        pending.future.set_result(response)
