"""Expected servers (DNS, NTP, DHCP, SMTP, gateways) as configuration, and the unexpected-server check.

A flow is a DNS/NTP/DHCP/SMTP conversation when its server port or nDPI protocol says so; a server that
answers such flows and is not in the role's expected list is unexpected. Gateways are stored for
reference only: flows carry no next-hop information, so they are not checked.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from typing import Any

from netscope.alerts.v1 import alerts_pb2 as pb
from netscope_alerts.alerts import AlertRepository
from netscope_alerts.store import Store
from netscope_alerts.validation import network_text, parse_network
from netscope_common.errors import FailedPrecondition, InvalidArgument
from netscope_common.timeutil import to_timestamp

ROLE_NAMES = {
    pb.SERVER_ROLE_DNS: "dns",
    pb.SERVER_ROLE_NTP: "ntp",
    pb.SERVER_ROLE_DHCP: "dhcp",
    pb.SERVER_ROLE_SMTP: "smtp",
    pb.SERVER_ROLE_GATEWAY: "gateway",
}
ROLE_BY_NAME = {v: k for k, v in ROLE_NAMES.items()}
# Per checked role: (server ports, nDPI protocol ids (ntopng's l7 consts), host alert raised on the client).
ROLE_TRAFFIC: dict[pb.ServerRole.ValueType, tuple[tuple[int, ...], tuple[int, ...], str]] = {
    pb.SERVER_ROLE_DNS: ((53,), (5,), "host_alert_dns_server_contacts"),
    pb.SERVER_ROLE_NTP: ((123,), (9,), "host_alert_ntp_server_contacts"),
    pb.SERVER_ROLE_DHCP: ((67,), (18,), "host_alert_server_ports_contacts"),
    pb.SERVER_ROLE_SMTP: ((25, 465, 587), (3, 29), "host_alert_smtp_server_contacts"),
}
_COLUMNS = ["role", "address", "comment", "created_at", "created_by", "version", "deleted"]
_SRV = "if(IP_PROTOCOL_VERSION = 6, IPv6NumToString(IPV6_DST_ADDR), IPv4NumToString(IPV4_DST_ADDR))"
_CLI = "if(IP_PROTOCOL_VERSION = 6, IPv6NumToString(IPV6_SRC_ADDR), IPv4NumToString(IPV4_SRC_ADDR))"


def parse_role(role: pb.ServerRole.ValueType, *, allow_unspecified: bool = False) -> str:
    """Role name for a ServerRole value."""
    if role == pb.SERVER_ROLE_UNSPECIFIED and allow_unspecified:
        return ""
    if role not in ROLE_NAMES:
        raise InvalidArgument(f"role must be one of {', '.join(ROLE_NAMES.values())}", field="role")
    return ROLE_NAMES[role]


class ExpectedServers:
    """Stores expected servers and checks flows against them."""

    def __init__(self, store: Store, alerts: AlertRepository) -> None:
        self._store = store
        self._alerts = alerts
        self._lock = asyncio.Lock()

    async def all(self, role: str = "") -> list[pb.ExpectedServer]:
        """Configured servers, optionally of one role."""
        rows = await self._store.rows(
            "SELECT role, address, comment, toUnixTimestamp64Milli(created_at), created_by"
            " FROM netscope_expected_servers FINAL WHERE deleted = 0"
            + (" AND role = {role:String}" if role else "")
            + " ORDER BY role, address",
            {"role": role},
        )
        out = []
        for r, address, comment, ms, by in rows:
            server = pb.ExpectedServer(role=ROLE_BY_NAME[r], address=address, comment=comment, created_by=by)
            server.created_at.CopyFrom(to_timestamp(datetime.fromtimestamp(ms / 1000, UTC)))
            out.append(server)
        return out

    async def add(
        self, role: pb.ServerRole.ValueType, address: str, comment: str, principal: str
    ) -> tuple[pb.ExpectedServer, bool]:
        """Add a server (idempotent)."""
        name = parse_role(role)
        clean = network_text(parse_network(address, "address"))
        if len(comment) > 1024:
            raise InvalidArgument("comment longer than 1024 characters", field="comment")
        async with self._lock:
            found = next((s for s in await self.all(name) if s.address == clean), None)
            if found is not None:
                return found, False
            now = datetime.now(UTC)
            await self._store.insert(
                "netscope_expected_servers",
                [[name, clean, comment, now, principal, time.time_ns(), 0]],
                _COLUMNS,
            )
        server = pb.ExpectedServer(role=role, address=clean, comment=comment, created_by=principal)
        server.created_at.CopyFrom(to_timestamp(now))
        return server, True

    async def remove(self, role: pb.ServerRole.ValueType, address: str) -> bool:
        """Remove a server; False when it was not configured."""
        name = parse_role(role)
        clean = network_text(parse_network(address, "address"))
        async with self._lock:
            if not any(s.address == clean for s in await self.all(name)):
                return False
            await self._store.insert(
                "netscope_expected_servers",
                [[name, clean, "", datetime.now(UTC), "", time.time_ns(), 1]],
                _COLUMNS,
            )
        return True

    async def check(
        self, start: datetime, end: datetime, role: pb.ServerRole.ValueType, limit: int, raise_alerts: bool
    ) -> pb.CheckUnexpectedServersResponse:
        """Servers seen answering a role's traffic that are not expected for it."""
        wanted = [role] if role else list(ROLE_TRAFFIC)
        if role == pb.SERVER_ROLE_GATEWAY:
            raise InvalidArgument("gateways cannot be checked over flows (flows carry no next hop)", field="role")
        if role:
            parse_role(role)
        if not await self._alerts.flows_present():
            raise FailedPrecondition(
                "the unexpected-server check reads flows, and no flows table is reachable from the alert "
                "store "
                "(the flows service RPC is not wired yet)"
            )
        configured = await self.all()
        resp = pb.CheckUnexpectedServersResponse()
        for r in wanted:
            expected = [s.address for s in configured if s.role == r]
            if not expected:
                resp.skipped_roles.append(r)
                continue
            resp.checked_roles.append(r)
            servers = await self._unexpected(r, expected, start, end, limit + 1)
            resp.servers.extend(servers)
        resp.servers.sort(key=lambda s: (-s.flows, s.server))
        if len(resp.servers) > limit:
            resp.truncated = True
            del resp.servers[limit:]
        if raise_alerts:
            resp.alerts_raised = await self._raise(list(resp.servers), configured, end)
        return resp

    async def _unexpected(
        self, role: pb.ServerRole.ValueType, expected: list[str], start: datetime, end: datetime, limit: int
    ) -> list[pb.UnexpectedServer]:
        ports, protos, _ = ROLE_TRAFFIC[role]
        params: dict[str, Any] = {"start": int(start.timestamp()), "end": int(end.timestamp())}
        allowed = []
        for i, net in enumerate(expected):
            params[f"e{i}"] = net if "/" in net else f"{net}/{128 if ':' in net else 32}"
            allowed.append(f"isIPAddressInRange({_SRV}, {{e{i}:String}})")
        rows = await self._store.rows(
            f"SELECT {_SRV} AS server, count(), uniqExact({_CLI}), sum(TOTAL_BYTES),"
            " toUnixTimestamp(min(FIRST_SEEN)), toUnixTimestamp(max(LAST_SEEN)),"
            f" arraySort(groupUniqArray(10)({_CLI})) FROM flows"
            " WHERE FIRST_SEEN >= toDateTime({start:UInt32}) AND FIRST_SEEN < toDateTime({end:UInt32})"
            f" AND (IP_DST_PORT IN ({', '.join(map(str, ports))})"
            f" OR L7_PROTO IN ({', '.join(map(str, protos))}))"
            f" AND NOT ({' OR '.join(allowed)})"
            f" GROUP BY server ORDER BY count() DESC, server LIMIT {limit}",
            params,
        )
        out = []
        for server, flows, clients, nbytes, first, last, sample in rows:
            item = pb.UnexpectedServer(role=role, server=server, flows=flows, clients=clients, bytes=nbytes)
            item.first_seen.CopyFrom(to_timestamp(datetime.fromtimestamp(first, UTC)))
            item.last_seen.CopyFrom(to_timestamp(datetime.fromtimestamp(last, UTC)))
            item.sample_clients.extend(sample)
            out.append(item)
        return out

    async def _raise(
        self, servers: list[pb.UnexpectedServer], configured: list[pb.ExpectedServer], when: datetime
    ) -> int:
        raised = 0
        for s in servers:
            expected = [c.address for c in configured if c.role == s.role]
            role_name = ROLE_NAMES[s.role]
            for client in s.sample_clients:
                details = {"role": ROLE_NAMES[s.role], "unexpected_server": s.server, "expected": expected}
                await self._alerts.raise_alert(
                    pb.RaiseAlertRequest(
                        entity=pb.ENTITY_KIND_HOST,
                        entity_value=client,
                        alert_type=ROLE_TRAFFIC[s.role][2],
                        severity="warning",
                        description=f"{client} used unexpected {role_name.upper()} server {s.server}",
                        details_json=json.dumps(details),
                        time=to_timestamp(when),
                    )
                )
                raised += 1
        return raised
