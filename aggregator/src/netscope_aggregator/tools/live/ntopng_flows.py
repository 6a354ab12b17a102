"""ntopng's views of the active flows (its embedded MCP's keys): a host's role in the flow, its VLAN, alerted flows
only, and grouping by server/client country, server IP, application or L4 protocol.

A live flow counts as alerted when the alert store holds a flow alert, in the last ALERT_LOOKBACK, for the same
client, server and server port (the live sources do not mark flows themselves). Countries are those the live source
gives the COUNTRY_HOSTS busiest hosts; other addresses group under "unknown".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from netscope.alerts.v1 import alerts_pb2
from netscope.live.v1 import live_pb2 as pb
from netscope_aggregator import contracts
from netscope_aggregator.backends import Backends
from netscope_aggregator.render import human_bytes
from netscope_aggregator.tools.live.answers import (
    CountryStatsAnswer,
    FlowsAnswer,
    FlowsSummaryAnswer,
    GroupItem,
    NamedItem,
)
from netscope_aggregator.tools.live.render import country_item, flow_item
from netscope_common.timeutil import last

READ_FOR_FILTER = 1000  # active flows of a host read before filtering by role, VLAN or alert
ALERT_LOOKBACK = timedelta(hours=24)
ALERT_PAGE = 1000
COUNTRY_HOSTS = 1000
COUNTRY_LIMIT = 300  # the most countries CountryStats answers
_FLOW_NAME = re.compile(r"^(?P<cli>[^\s]+):\d+ -> (?P<srv>[^\s]+):(?P<port>\d+)$")

Pair = tuple[str, str, int]


@dataclass(frozen=True)
class Selection:
    """Which active flows: of one host (in a role), on a VLAN, alerted only; at most `max_flows` by bytes."""

    ifid: int
    host: str
    vlan: int
    role: str
    alerted_only: bool
    max_flows: int


def split_vlan(host: str, vlan: int) -> tuple[str, int]:
    """ntopng's host key 'ip@vlan' as (ip, vlan); an explicit vlan wins over the suffix."""
    ip, _, suffix = host.partition("@")
    return ip, vlan or (int(suffix) if suffix.isdigit() else 0)


async def alerted_pairs(backends: Backends) -> set[Pair]:
    """(client, server, server port) of the flow alerts of the last ALERT_LOOKBACK."""
    request = alerts_pb2.ListAlertsRequest(window=last(ALERT_LOOKBACK), entity=alerts_pb2.ENTITY_KIND_FLOW)
    request.page.page_size = ALERT_PAGE
    reply = await backends.call(contracts.alerts.ListAlerts, request)
    pairs = set()
    for alert in reply.alerts:
        match = _FLOW_NAME.match(alert.entity_name)
        if match:
            pairs.add((match["cli"], match["srv"], int(match["port"])))
    return pairs


def pair(flow: pb.LiveFlow) -> Pair:
    return (flow.client_ip, flow.server_ip, flow.server_port)


async def select(
    backends: Backends, selection: Selection, *, with_alerts: bool = False
) -> tuple[list[pb.LiveFlow], int, set[Pair]]:
    """The selected flows (largest first), how many active flows were read, and the alerted pairs (read when
    `with_alerts` or alerted_only)."""
    request = pb.ListFlowsRequest(ifid=selection.ifid, host=selection.host, sort=pb.FLOW_SORT_BYTES)
    request.page.page_size = selection.max_flows
    reply = await backends.call(contracts.live.ListFlows, request)
    alerted = await alerted_pairs(backends) if selection.alerted_only or with_alerts else set()
    flows = [
        f
        for f in reply.flows
        if (selection.role != "client" or f.client_ip == selection.host)
        and (selection.role != "server" or f.server_ip == selection.host)
        and (not selection.vlan or f.vlan == selection.vlan)
        and (not selection.alerted_only or pair(f) in alerted)
    ]
    return flows, len(reply.flows), alerted


async def countries(backends: Backends, ifid: int) -> dict[str, str]:
    """IP -> country code of the busiest active hosts."""
    reply = await backends.call(contracts.live.HostsLocation, pb.HostsLocationRequest(ifid=ifid, limit=COUNTRY_HOSTS))
    return {h.ip: h.country for h in reply.hosts if h.country}


def group(flows: Iterable[pb.LiveFlow], group_by: str, country: dict[str, str], alerted: set[Pair]) -> list[GroupItem]:
    """Flows, alerted flows, bytes and packets per group, largest first by bytes."""
    keys = {
        "country": lambda f: country.get(f.server_ip, "unknown"),
        "source": lambda f: country.get(f.client_ip, "unknown"),
        "destination": lambda f: f.server_ip,
        "application": lambda f: f.l7_proto or "Unknown",
        "protocol": lambda f: f.l4_proto or "unknown",
    }
    key = keys[group_by]
    groups: dict[str, GroupItem] = {}
    for f in flows:
        item = groups.setdefault(key(f), GroupItem(name=key(f), flows=0, alerted_flows=0, bytes=0, packets=0))
        item.flows += 1
        item.alerted_flows += pair(f) in alerted
        item.bytes += f.bytes
        item.packets += f.packets
    return sorted(groups.values(), key=lambda g: (-g.bytes, g.name))


def _described(selection: Selection) -> str:
    parts = [f"{selection.host} as {selection.role}" if selection.host else "all hosts"]
    parts += [f"vlan {selection.vlan}"] if selection.vlan else []
    parts += ["alerted only"] if selection.alerted_only else []
    return ", ".join(parts)


def selected_answer(
    flows: list[pb.LiveFlow], matching: int, read: int, selection: Selection, alerted: set[Pair]
) -> FlowsAnswer:
    """A host's flows after ntopng's filters: the largest `len(flows)` of `matching` among `read` active flows."""
    items = [flow_item(f).model_copy(update={"alerted": pair(f) in alerted}) for f in flows]
    return FlowsAnswer(
        flows=items,
        total=matching,
        summary=f"{len(items)} of {matching} active flows of {_described(selection)} (among the {read} largest "
        f"flows of the host), {human_bytes(sum(f.bytes for f in flows))} shown",
    )


def _named(flows: list[pb.LiveFlow], key: str, limit: int) -> list[NamedItem]:
    return [NamedItem(name=g.name, flows=g.flows, bytes=g.bytes) for g in group(flows, key, {}, set())[:limit]]


async def summary(backends: Backends, selection: Selection, group_by: str, limit: int) -> FlowsSummaryAnswer:
    """ntopng's live summary: the selected flows grouped, with alerted flows counted per group."""
    flows, read, alerted = await select(backends, selection, with_alerts=True)
    country = await countries(backends, selection.ifid) if group_by in ("country", "source") else {}
    groups = group(flows, group_by, country, alerted)
    total_bytes = sum(f.bytes for f in flows)
    top = ", ".join(f"{g.name} {human_bytes(g.bytes)}" for g in groups[:3])
    ports = [NamedItem(name=f"{g.name}", flows=g.flows, bytes=g.bytes) for g in _port_groups(flows)[:limit]]
    return FlowsSummaryAnswer(
        total_flows=len(flows),
        total_bytes=total_bytes,
        applications=_named(flows, "application", limit),
        l4_protocols=_named(flows, "protocol", limit),
        server_ports=ports,
        truncated=len(groups) > limit or read >= selection.max_flows,
        flows_examined=read,
        group_by=group_by,
        groups=groups[:limit],
        total_alerted=sum(pair(f) in alerted for f in flows),
        summary=f"{len(flows)} active flows of {_described(selection)} (of the {read} largest read), "
        f"{human_bytes(total_bytes)}; by {group_by}: {top or 'none'}",
    )


def _port_groups(flows: list[pb.LiveFlow]) -> list[GroupItem]:
    totals: dict[str, GroupItem] = {}
    for f in flows:
        name = f"{f.l4_proto}/{f.server_port}"
        item = totals.setdefault(name, GroupItem(name=name, flows=0, alerted_flows=0, bytes=0, packets=0))
        item.flows += 1
        item.bytes += f.bytes
    return sorted(totals.values(), key=lambda g: (-g.bytes, g.name))


async def countries_ranked(backends: Backends, ifid: int, sort_by: str, limit: int) -> CountryStatsAnswer:
    """Countries ranked by hosts or by the summed score of their hosts (ntopng's sort_by), with their traffic."""
    reply = await backends.call(contracts.live.CountryStats, pb.CountryStatsRequest(ifid=ifid, limit=COUNTRY_LIMIT))
    score: dict[str, int] = {}
    if sort_by == "score":
        hosts = pb.ListHostsRequest(ifid=ifid, sort=pb.HOST_SORT_SCORE)
        hosts.page.page_size = COUNTRY_HOSTS
        for h in (await backends.call(contracts.live.ListHosts, hosts)).hosts:
            score[h.country or "unknown"] = score.get(h.country or "unknown", 0) + h.score
    items = [country_item(c, score.get(c.country, 0) if sort_by == "score" else None) for c in reply.countries]
    rank = (lambda c: (-c.hosts, c.country)) if sort_by == "hosts" else (lambda c: (-(c.score or 0), c.country))
    items.sort(key=rank)
    top = ", ".join(f"{c.country} {c.hosts if sort_by == 'hosts' else c.score}" for c in items[:5])
    return CountryStatsAnswer(
        countries=items[:limit],
        truncated=len(items) > limit or reply.truncated,
        hosts_examined=reply.hosts_examined,
        summary=f"top {min(limit, len(items))} countries by {sort_by} over {reply.hosts_examined} hosts: "
        f"{top or 'none'}",
    )
