"""The live service's ntopng source answers what ntopng itself answers, above one ntopng page.

Each test asks the live service (over gRPC) and ntopng's REST API the same question and compares. By default
ntopng is the FAKE replaying a real ntopng 6.3 (3,279 active flows, 1,244 hosts: see
tests/fixtures/ntopng/recordings); with NETSCOPE_TEST_NTOPNG_URL set (`make test-ntopng`) it is that real ntopng.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import grpc
import pytest

from netscope.common.v1 import common_pb2
from netscope.live.v1 import live_pb2 as pb
from netscope_live.geo import GeoLocator
from tests.support.ntopng_target import NtopngTarget, live_service, ntopng_target

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def target() -> Iterator[NtopngTarget]:
    with ntopng_target() as t:
        yield t


def _flow_tuple(f: pb.LiveFlow) -> tuple[Any, ...]:
    return (f.client_ip, f.client_port, f.server_ip, f.server_port, f.l4_proto, f.l7_proto, f.bytes, f.packets)


def _row_tuple(r: dict[str, Any]) -> tuple[Any, ...]:
    c, s, p = r["client"], r["server"], r["protocol"]
    return (c["ip"], c["port"], s["ip"], s["port"], p["l4"], p["l7"], r["bytes"], r["packets"])


def _flows(target: NtopngTarget, **params: Any) -> dict[str, Any]:
    rsp: dict[str, Any] = target.rest("/get/flow/active.lua", ifid=target.ifid, verbose="true", **params)
    return rsp


async def test_interfaces_and_interface_throughput_in_bits(target: NtopngTarget) -> None:
    async with live_service(target.settings()) as stub:
        interfaces = await stub.ListInterfaces(pb.ListInterfacesRequest(), timeout=30)
        own = target.rest("/get/ntopng/interfaces.lua")
        assert [(i.ifid, i.name) for i in interfaces.interfaces] == sorted((r["ifid"], r["ifname"]) for r in own)
        stats = await stub.InterfaceStats(pb.InterfaceStatsRequest(ifid=target.ifid), timeout=30)
    data = target.rest("/get/interface/data.lua", ifid=target.ifid)
    assert stats.num_hosts == data["num_hosts"] and stats.packets == data["packets"]
    assert stats.throughput_bps == pytest.approx(data["throughput_bps"] * 8, rel=0.5)  # ntopng gives bytes/s
    if target.fake:
        assert (stats.bytes, stats.num_flows, stats.num_hosts) == (17_697_507, 3279, 1244)
        async with live_service(target.settings()) as stub:
            lo = await stub.InterfaceStats(pb.InterfaceStatsRequest(ifid=1), timeout=30)
        # recorded with traffic on lo: ntopng's 461,051.6 bytes/s are 3,688,412.75 bit/s
        assert lo.name == "lo" and lo.throughput_bps == 461051.59375 * 8


async def test_list_flows_pushes_filters_sorting_and_paging_to_ntopng(target: NtopngTarget) -> None:
    async with live_service(target.settings()) as stub:
        first = await stub.ListFlows(pb.ListFlowsRequest(ifid=target.ifid), timeout=30)
        everything = _flows(target, sortColumn="bytes", sortOrder="desc", currentPage=1, perPage=50)
        assert first.total == everything["totalRows"]
        assert [_flow_tuple(f) for f in first.flows] == [_row_tuple(r) for r in everything["data"]]
        assert all(f.HasField("packets") and f.packets > 0 for f in first.flows)
        if target.fake:
            assert first.total == 3279 and first.next_page_token == "50"
        # page 3 of 1000 flows is ntopng's page 3
        page = common_pb2.PageRequest(page_size=1000, page_token="2000")
        third = await stub.ListFlows(pb.ListFlowsRequest(ifid=target.ifid, page=page), timeout=30)
        own = _flows(target, sortColumn="bytes", sortOrder="desc", currentPage=3, perPage=1000)
        assert [_flow_tuple(f) for f in third.flows] == [_row_tuple(r) for r in own["data"]]
        for request, params in (
            (pb.ListFlowsRequest(l4_proto="udp"), {"l4proto": 17}),
            (pb.ListFlowsRequest(l7_proto="tls"), {"application": "91"}),
            (pb.ListFlowsRequest(port=443, sort=pb.FLOW_SORT_LAST_SEEN), {"port": 443, "sortColumn": "last_seen"}),
            (pb.ListFlowsRequest(l7_proto="HTTP", l4_proto="TCP"), {"application": "7", "l4proto": 6}),
            (pb.ListFlowsRequest(sort=pb.FLOW_SORT_THROUGHPUT), {"sortColumn": "thpt"}),
        ):
            request.ifid = target.ifid
            request.page.page_size = 25
            reply = await stub.ListFlows(request, timeout=30)
            own = _flows(target, **{"sortColumn": "bytes", "sortOrder": "desc", **params}, currentPage=1, perPage=25)
            assert reply.total == own["totalRows"], params
            assert [_flow_tuple(f) for f in reply.flows] == [_row_tuple(r) for r in own["data"]], params
            if target.fake and "l4proto" in params and params["l4proto"] == 17:
                assert reply.total == 990  # of 3,279: not a filter over the first 1000 rows


async def test_flows_of_a_host_and_its_peers(target: NtopngTarget) -> None:
    busiest = target.rest(
        "/get/host/active.lua", ifid=target.ifid, mode="local", sortColumn="traffic", sortOrder="desc", perPage=1
    )["data"][0]["ip"]
    async with live_service(target.settings()) as stub:
        flows = await stub.ListFlows(pb.ListFlowsRequest(ifid=target.ifid, host=busiest), timeout=30)
        own = _flows(target, host=busiest, sortColumn="bytes", sortOrder="desc", currentPage=1, perPage=50)
        assert flows.total == own["totalRows"] > 0
        assert [_flow_tuple(f) for f in flows.flows] == [_row_tuple(r) for r in own["data"]]
        host = await stub.GetHost(pb.GetHostRequest(ifid=target.ifid, ip=busiest), timeout=30)
    data = target.rest("/get/host/data.lua", ifid=target.ifid, host=busiest)
    assert (host.bytes_sent, host.bytes_received) == (data["bytes.sent"], data["bytes.rcvd"])
    assert host.active_flows == data["active_flows.as_client"] + data["active_flows.as_server"]
    peers: dict[str, int] = defaultdict(int)
    for r in target.all_rows("/get/flow/active.lua", host=busiest, sortColumn="key", sortOrder="asc"):
        peers[r["server"]["ip"] if r["client"]["ip"] == busiest else r["client"]["ip"]] += r["bytes"]
    assert {p.ip: p.bytes for p in host.peers} == dict(sorted(peers.items(), key=lambda kv: -kv[1])[:50])


async def test_flows_summary_covers_every_flow_with_ntopng_total(target: NtopngTarget) -> None:
    rows = target.all_rows("/get/flow/active.lua", sortColumn="key", sortOrder="asc")
    apps: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        apps[r["protocol"]["l7"]][0] += 1
        apps[r["protocol"]["l7"]][1] += r["bytes"]
    async with live_service(target.settings()) as stub:
        summary = await stub.FlowsSummary(pb.FlowsSummaryRequest(ifid=target.ifid, limit=100), timeout=60)
    assert summary.total_flows == _flows(target, perPage=1)["totalRows"]
    assert summary.flows_examined == len(rows) and summary.total_bytes == sum(r["bytes"] for r in rows)
    assert {a.name: [a.flows, a.bytes] for a in summary.applications} == dict(apps)
    if target.fake:
        assert summary.total_flows == 3279 and not summary.truncated


async def test_flows_summary_says_truncated_at_its_row_bound(target: NtopngTarget) -> None:
    async with live_service(target.settings(ntopng_scan_rows=1000)) as stub:
        summary = await stub.FlowsSummary(pb.FlowsSummaryRequest(ifid=target.ifid), timeout=60)
    total = _flows(target, perPage=1)["totalRows"]
    assert summary.total_flows == total
    assert summary.flows_examined == min(total, 1000) and summary.truncated == (total > 1000)


async def test_hosts_pages_totals_and_countries(target: NtopngTarget) -> None:
    data = target.rest("/get/interface/data.lua", ifid=target.ifid)
    async with live_service(target.settings()) as stub:
        remote = await stub.ListHosts(
            pb.ListHostsRequest(
                ifid=target.ifid,
                locality=pb.HOST_LOCALITY_REMOTE,
                page=common_pb2.PageRequest(page_size=10, page_token="10"),
            ),
            timeout=30,
        )
        own = target.rest(
            "/get/host/active.lua",
            ifid=target.ifid,
            mode="remote",
            sortColumn="traffic",
            sortOrder="desc",
            currentPage=2,
            perPage=10,
        )["data"]
        assert remote.total == data["num_hosts"] - data["num_local_hosts"]
        assert sorted(h.ip for h in remote.hosts) == sorted(r["ip"] for r in own)
        # largest first; ntopng orders hosts of equal traffic at random inside a page
        assert [h.bytes_sent + h.bytes_received for h in remote.hosts] == sorted(
            (r["bytes"]["total"] for r in own), reverse=True
        )
        countries = await stub.CountryStats(pb.CountryStatsRequest(ifid=target.ifid, limit=300), timeout=60)
    hosts = target.all_rows("/get/host/active.lua", sortColumn="traffic", sortOrder="desc")
    assert countries.hosts_examined == len(hosts) == data["num_hosts"]
    geo, expected = GeoLocator(), defaultdict(int)
    for h in hosts:
        country = h.get("country") or ("" if h["is_localhost"] else geo.country(h["ip"]))
        if country:
            expected[country] += h["bytes"]["total"]
    assert {c.country: c.bytes_sent + c.bytes_received for c in countries.countries} == dict(expected)
    if target.fake:
        assert remote.total == 1044 and countries.hosts_examined == 1244


async def test_mac_info_asks_ntopng(target: NtopngTarget) -> None:
    locals_ = target.rest(
        "/get/host/active.lua", ifid=target.ifid, mode="local", sortColumn="traffic", sortOrder="desc", perPage=5
    )["data"]
    macs = {r["ip"]: target.rest("/get/host/data.lua", ifid=target.ifid, host=r["ip"])["mac"] for r in locals_}
    async with live_service(target.settings()) as stub:
        for address in sorted(set(macs.values())):
            behind = target.all_rows("/get/host/active.lua", mac=address, sortColumn="traffic", sortOrder="desc")
            mac = await stub.MacInfo(pb.MacInfoRequest(ifid=target.ifid, mac=address.lower()), timeout=60)
            assert mac.seen and mac.hosts == len(behind) and not mac.truncated
            traffic = {h["ip"]: h["bytes"]["total"] for h in behind}  # ntopng orders equal traffic at random
            assert [traffic[ip] for ip in mac.ips] == [h["bytes"]["total"] for h in behind][:100]
            assert {ip for ip, m in macs.items() if m == address} <= set(mac.ips) | {h["ip"] for h in behind[100:]}
            assert mac.bytes_sent == sum(h["bytes"]["sent"] for h in behind)
            assert mac.bytes_received == sum(h["bytes"]["recvd"] for h in behind)
        unseen = await stub.MacInfo(pb.MacInfoRequest(ifid=target.ifid, mac="02:00:5e:10:00:01"), timeout=30)
        assert not unseen.seen and not unseen.ips and unseen.locally_administered
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.MacInfo(pb.MacInfoRequest(ifid=77, mac="00:16:3e:00:00:00"), timeout=30)
        details = str(err.value.details())
        assert err.value.code() == grpc.StatusCode.NOT_FOUND and "no interface with ifid 77" in details
        assert all(f"{i['ifid']} ({i['ifname']})" in details for i in target.rest("/get/ntopng/interfaces.lua"))
    if target.fake:
        assert len(set(macs.values())) >= 2  # a host's own MAC, and the router's with 1,055 hosts behind it
