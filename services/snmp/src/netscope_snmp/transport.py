"""SNMP requests: multi-column GETBULK walks and GETs with numeric OIDs only.

SNMPv2c goes through the native codec (`netscope_snmp.ber`, `netscope_snmp.v2c`; ~28x less CPU per
answer than pyasn1) unless `native_v2c=False`. SNMPv3, and v2c when the native codec is off, go through
pysnmp 7: its command generators are called directly (the same calls `bulk_cmd`/`get_cmd` make) with raw
numeric varbinds, so no MIB lookup happens on requests or responses. One shared `SnmpEngine` serves
the first key set of each v3 user name; a second key set for the same v3 user name (USM keys its users by
name) gets an engine of its own so devices never overwrite each other's keys. Both paths return plain
values (`netscope_snmp.ber.Value`).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from typing import Any, Literal

from pyasn1.type import univ
from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.entity import config
from pysnmp.entity.rfc3413 import cmdgen
from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    usm3DESEDEPrivProtocol,
    usmAesCfb128Protocol,
    usmAesCfb192Protocol,
    usmAesCfb256Protocol,
    usmDESPrivProtocol,
    usmHMAC128SHA224AuthProtocol,
    usmHMAC192SHA256AuthProtocol,
    usmHMAC256SHA384AuthProtocol,
    usmHMAC384SHA512AuthProtocol,
    usmHMACMD5AuthProtocol,
    usmHMACSHAAuthProtocol,
)
from pysnmp.hlapi.v3arch.asyncio.cmdgen import LCD
from pysnmp.proto import errind, rfc1902, rfc1905

from netscope_snmp import ber
from netscope_snmp.ber import Missing, Oid, Value, oid_str
from netscope_snmp.inventory import DeviceConfig
from netscope_snmp.v2c import V2cClient, V2cResolveError, V2cTimeout

FailureKind = Literal["timeout", "auth", "error"]

_AUTH = {
    "MD5": usmHMACMD5AuthProtocol,
    "SHA": usmHMACSHAAuthProtocol,
    "SHA224": usmHMAC128SHA224AuthProtocol,
    "SHA256": usmHMAC192SHA256AuthProtocol,
    "SHA384": usmHMAC256SHA384AuthProtocol,
    "SHA512": usmHMAC384SHA512AuthProtocol,
}
_PRIV = {
    "DES": usmDESPrivProtocol,
    "3DES": usm3DESEDEPrivProtocol,
    "AES": usmAesCfb128Protocol,
    "AES128": usmAesCfb128Protocol,
    "AES192": usmAesCfb192Protocol,
    "AES256": usmAesCfb256Protocol,
}
# Error indications that mean "the agent answered but refused our credentials or context".
_AUTH_FAILURES = (
    errind.WrongDigest,
    errind.UnknownUserName,
    errind.UnknownSecurityName,
    errind.UnsupportedSecurityLevel,
    errind.AuthenticationFailure,
    errind.AuthenticationError,
    errind.DecryptionError,
    errind.UnknownCommunityName,
    errind.NoSuchContext,
    errind.NoAccessEntry,
    errind.NotInView,
    errind.NotInTimeWindow,
)
_NULL = rfc1902.Null("")


class SnmpFailure(Exception):
    """A request that produced no usable answer: timeout, refused credentials or an agent error."""

    def __init__(self, kind: FailureKind, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


def to_oid(dotted: str) -> Oid:
    """'1.3.6.1' -> (1, 3, 6, 1)."""
    return tuple(int(p) for p in dotted.split("."))


def plain_value(value: Any) -> Value:
    """A pysnmp/pyasn1 value as the plain Python value the native v2c codec produces (see `ber.Value`)."""
    if isinstance(value, rfc1905.NoSuchObject):
        return Missing.NO_SUCH_OBJECT
    if isinstance(value, rfc1905.NoSuchInstance):
        return Missing.NO_SUCH_INSTANCE
    if isinstance(value, rfc1905.EndOfMibView):
        return Missing.END_OF_MIB_VIEW
    if isinstance(value, rfc1902.IpAddress):
        return IPv4Address(bytes(value))
    if isinstance(value, univ.Null):  # a subclass of OctetString in pyasn1
        return None
    if isinstance(value, univ.OctetString):
        return bytes(value)
    if isinstance(value, univ.ObjectIdentifier):
        return tuple(value)
    if isinstance(value, univ.Integer):
        return int(value)
    return None


@dataclass(frozen=True)
class Timing:
    """Per-request SNMP timeout (seconds) and retry count; the total wait is timeout x (retries + 1)."""

    timeout_s: float
    retries: int

    @property
    def deadline_s(self) -> float:
        """A safety net a little above the longest time pysnmp itself waits."""
        return self.timeout_s * (self.retries + 1) + 1.0

    def describe(self) -> str:
        """E.g. '2s x 2 attempts'."""
        return f"{self.timeout_s:g}s x {self.retries + 1} attempts"


@dataclass
class WalkResult:
    """Answer of a multi-column walk: scalar values and column rows keyed by index suffix."""

    scalars: dict[str, Value] = field(default_factory=dict)
    columns: dict[str, dict[Oid, Value]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    requests: int = 0
    slowest_answer_s: float = 0.0


@dataclass(frozen=True)
class _Session:
    engine: SnmpEngine
    auth: CommunityData | UsmUserData
    context: ContextData
    target: UdpTransportTarget


class SnmpClient:
    """Sends GETBULK/GET requests to devices; one instance per process, shared by all polls."""

    def __init__(
        self,
        max_repetitions: int = 25,
        max_rows: int = 5000,
        max_rounds: int = 200,
        receive_buffer_bytes: int = 4 * 1024 * 1024,
        native_v2c: bool = True,
    ) -> None:
        self.max_repetitions = max_repetitions
        self.native_v2c = native_v2c
        self._v2c = V2cClient(receive_buffer_bytes)
        self.receive_buffer_bytes = receive_buffer_bytes
        self._tuned: set[int] = set()
        self.max_rows = max_rows
        self.max_rounds = max_rounds
        self._engines: list[SnmpEngine] = [SnmpEngine()]
        self._v3_keys: dict[str, list[tuple[str, ...]]] = {}
        self._targets: dict[tuple[str, int, float, int], UdpTransportTarget] = {}

    def close(self) -> None:
        """Release the engines' sockets."""
        for engine in self._engines:
            engine.close_dispatcher()
        self._engines = []
        self._v2c.close()

    def _engine_for(self, device: DeviceConfig) -> SnmpEngine:
        if device.version == "v2c" or device.user is None:
            return self._engines[0]
        fingerprint = (
            device.auth_protocol,
            device.auth_key.get_secret_value() if device.auth_key else "",
            device.priv_protocol,
            device.priv_key.get_secret_value() if device.priv_key else "",
        )
        key_sets = self._v3_keys.setdefault(device.user, [])
        if fingerprint not in key_sets:
            key_sets.append(fingerprint)
        slot = key_sets.index(fingerprint)
        while len(self._engines) <= slot:
            self._engines.append(SnmpEngine())
        return self._engines[slot]

    @staticmethod
    def _auth(device: DeviceConfig) -> CommunityData | UsmUserData:
        if device.version == "v2c":
            assert device.community is not None  # guaranteed by DeviceConfig validation
            return CommunityData(device.community.get_secret_value(), mpModel=1)  # noqa: S508 (v2c is a supported inventory version)
        assert device.user is not None and device.auth_key is not None
        if device.priv_key is None:
            return UsmUserData(
                device.user,
                authKey=device.auth_key.get_secret_value(),
                authProtocol=_AUTH[device.auth_protocol],
            )
        return UsmUserData(
            device.user,
            authKey=device.auth_key.get_secret_value(),
            privKey=device.priv_key.get_secret_value(),
            authProtocol=_AUTH[device.auth_protocol],
            privProtocol=_PRIV[device.priv_protocol],
        )

    async def _session(self, device: DeviceConfig, timing: Timing) -> _Session:
        key = (device.address, device.port, timing.timeout_s, timing.retries)
        target = self._targets.get(key)
        if target is None:
            try:
                target = await UdpTransportTarget.create(
                    (device.address, device.port), timeout=timing.timeout_s, retries=timing.retries
                )
            except Exception as exc:  # pysnmp wraps resolver failures in PySnmpError
                raise SnmpFailure("error", f"cannot resolve address {device.address!r}: {exc}") from None
            self._targets[key] = target
        context = ContextData(contextName=device.context.encode()) if device.context else ContextData()
        return _Session(self._engine_for(device), self._auth(device), context, target)

    async def _request(
        self,
        device: DeviceConfig,
        timing: Timing,
        pdu_type: int,
        oids: Sequence[Oid],
        non_repeaters: int = 0,
        max_repetitions: int = 0,
    ) -> list[tuple[Oid, Value]]:
        """One GET or GETBULK; v2c through the native codec (unless disabled), v3 through pysnmp."""
        if device.version == "v2c" and self.native_v2c:
            return await self._request_v2c(device, timing, pdu_type, oids, non_repeaters, max_repetitions)
        session = await self._session(device, timing)
        var_binds = [(rfc1902.ObjectName(oid), _NULL) for oid in oids]
        if pdu_type == ber.GET:
            generator: cmdgen.CommandGeneratorSingleRun = cmdgen.GetCommandGenerator()
            args: tuple[Any, ...] = (var_binds,)
        else:
            generator, args = cmdgen.BulkCommandGenerator(), (non_repeaters, max_repetitions, var_binds)
        answer = await self._send(session, generator, args, timing.deadline_s)
        return [(tuple(name), plain_value(value)) for name, value in answer]

    async def _request_v2c(
        self,
        device: DeviceConfig,
        timing: Timing,
        pdu_type: int,
        oids: Sequence[Oid],
        non_repeaters: int,
        max_repetitions: int,
    ) -> list[tuple[Oid, Value]]:
        assert device.community is not None  # guaranteed by DeviceConfig validation
        community = device.community.get_secret_value().encode()
        try:
            response = await self._v2c.request(
                device.address,
                device.port,
                community,
                pdu_type,
                oids,
                timing.timeout_s,
                timing.retries,
                non_repeaters,
                max_repetitions,
            )
        except V2cTimeout:
            raise SnmpFailure("timeout", "no SNMP response before the deadline") from None
        except V2cResolveError as exc:
            raise SnmpFailure("error", str(exc)) from None
        if response.error_status:
            status = response.error_status
            name = ber.ERROR_STATUS_NAMES[status] if status < len(ber.ERROR_STATUS_NAMES) else str(status)
            raise SnmpFailure("error", f"agent answered with error status {name}")
        return response.varbinds

    async def _send(
        self,
        session: _Session,
        generator: cmdgen.CommandGeneratorSingleRun,
        args: tuple[Any, ...],
        deadline: float,
    ) -> Sequence[tuple[Any, Any]]:
        addr_name, _ = LCD.configure(session.engine, session.auth, session.target, session.context.contextName)
        self._tune_socket(session.engine)
        future: asyncio.Future[tuple[Any, Any, Any, Any]] = asyncio.get_running_loop().create_future()

        def done(_engine: Any, _handle: Any, ind: Any, status: Any, index: Any, vbs: Any, _ctx: Any) -> None:
            if not future.done():
                future.set_result((ind, status, index, vbs))

        generator.send_varbinds(
            session.engine,
            addr_name,
            session.context.contextEngineId,
            session.context.contextName,
            *args,
            done,
        )
        try:
            err_ind, err_status, _err_index, var_binds = await asyncio.wait_for(future, deadline)
        except TimeoutError:
            raise SnmpFailure("timeout", "no SNMP response before the deadline") from None
        if err_ind:
            raise SnmpFailure(classify_indication(err_ind), str(err_ind))
        if err_status:
            raise SnmpFailure("error", f"agent answered with error status {err_status.prettyPrint()}")
        return list(var_binds)

    def _tune_socket(self, engine: SnmpEngine) -> None:
        """Enlarge the engine's UDP receive buffer (capped by net.core.rmem_max) once its socket exists.

        With many requests in flight, answers arrive faster than one Python thread decodes them; the
        default buffer (~208 KiB) then overflows and answers are lost as timeouts.
        """
        if id(engine) in self._tuned:
            return
        carrier = config.get_transport(engine, udp.DOMAIN_NAME)
        transport = getattr(carrier, "transport", None)
        sock = transport.get_extra_info("socket") if transport is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.receive_buffer_bytes)
            self._tuned.add(id(engine))

    async def get(self, device: DeviceConfig, oids: Sequence[str], timing: Timing) -> dict[str, Value]:
        """GET of the given dotted OIDs; missing objects come back as `Missing` values."""
        answer = await self._request(device, timing, ber.GET, [to_oid(o) for o in oids])
        return {oid_str(name): value for name, value in answer}

    async def walk(
        self,
        device: DeviceConfig,
        scalars: Mapping[str, str],
        columns: Mapping[str, str],
        timing: Timing,
    ) -> WalkResult:
        """Read `scalars` (GETNEXT as non-repeaters) and walk all `columns` together with GETBULK.

        Each round asks only for the columns still inside their subtree; a column ends when the agent
        returns an OID outside it or endOfMibView, or when it stops increasing (noted).
        """
        roots = {name: to_oid(oid) for name, oid in columns.items()}
        cursor: dict[str, Oid] = dict(roots)
        result = WalkResult(columns={name: {} for name in columns})
        scalar_items = [(name, to_oid(oid)) for name, oid in scalars.items()]
        max_rep = self.max_repetitions
        while cursor or scalar_items:
            if result.requests >= self.max_rounds:
                result.notes.append(f"walk stopped after {self.max_rounds} requests: {', '.join(cursor)}")
                break
            names = list(cursor)
            request = [oid for _, oid in scalar_items] + [cursor[n] for n in names]
            sent = time.monotonic()
            try:
                answer = await self._request(
                    device, timing, ber.GET_BULK, request, len(scalar_items), max_rep if names else 0
                )
            except SnmpFailure as failure:
                if failure.detail.endswith("tooBig") and max_rep > 1:
                    max_rep = max(1, max_rep // 2)
                    continue
                raise
            result.requests += 1
            result.slowest_answer_s = max(result.slowest_answer_s, time.monotonic() - sent)
            for (name, oid), (got, value) in zip(scalar_items, answer, strict=False):
                if got == (*oid, 0) and not isinstance(value, Missing):
                    result.scalars[name] = value
                else:
                    result.notes.append(f"{name} ({oid_str(oid)}.0) is missing on the agent")
            progressed = self._take_rows(answer[len(scalar_items) :], names, roots, cursor, result)
            scalar_items = []
            if names and not progressed and cursor:
                result.notes.append("agent returned no rows for a GETBULK request; walk stopped")
                break
        return result

    def _take_rows(
        self,
        rows: Sequence[tuple[Oid, Value]],
        names: list[str],
        roots: Mapping[str, Oid],
        cursor: dict[str, Oid],
        result: WalkResult,
    ) -> bool:
        """Distribute one GETBULK answer over its columns; return whether any column advanced."""
        progressed = False
        width = len(names)
        for position, (oid, value) in enumerate(rows):
            name = names[position % width]
            if name not in cursor:
                continue
            root = roots[name]
            if value is Missing.END_OF_MIB_VIEW or oid[: len(root)] != root:
                del cursor[name]
                continue
            if oid <= cursor[name]:
                result.notes.append(f"{name}: agent returned a non-increasing OID {oid_str(oid)}; column cut")
                del cursor[name]
                continue
            table = result.columns[name]
            table[oid[len(root) :]] = value
            cursor[name] = oid
            progressed = True
            if len(table) >= self.max_rows:
                result.notes.append(f"{name}: more than {self.max_rows} rows; the rest was not read")
                del cursor[name]
        return progressed


def classify_indication(indication: Any) -> FailureKind:
    """Map a pysnmp error indication to timeout / auth / error."""
    if isinstance(indication, errind.RequestTimedOut):
        return "timeout"
    if isinstance(indication, _AUTH_FAILURES):
        return "auth"
    return "error"
