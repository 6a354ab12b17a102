"""The live table's indexes and caches answer exactly what a full scan / an uncached lookup answers."""

from __future__ import annotations

import asyncio
import random

from netscope.common.v1 import common_pb2
from netscope.live.v1 import live_pb2 as pb
from netscope_live.collector_source import CollectorSource
from netscope_live.geo import AddressClassifier, GeoLocator, LocalNetworks
from netscope_live.ingest import MemorySink
from netscope_live.netflow.records import FlowRecord
from netscope_live.rates import KeyedRates
from netscope_live.settings import LiveSettings

T0 = 1_795_422_000.0


def test_block_cache_never_changes_an_answer() -> None:
    local = LocalNetworks(["10.0.0.0/8", "192.168.1.128/25", "fc00::/7", "::1/128"])
    geo = GeoLocator()
    cached = AddressClassifier(local, geo)
    addresses = [
        "192.168.1.5",  # same /24 as a smaller local network, outside it
        "192.168.1.200",  # inside it
        "192.168.1.6",
        "10.1.2.3",
        "10.1.2.4",
        "8.8.8.8",
        "8.8.4.4",
        "8.8.8.9",
        "1.1.1.1",
        "81.2.69.160",
        "::1",
        "::2",  # same /48 as ::1, not local
        "fd00::1",
        "2001:4860:4860::8888",
        "not-an-ip",
    ]
    for ip in addresses * 2:  # the second round answers from the cache where it may
        expected_local = local.is_local(ip)
        assert cached.classify(ip) == (expected_local, "" if expected_local else geo.country(ip)), ip
    assert cached.lookups < 2 * len(addresses)


def test_block_cache_skips_mixed_blocks() -> None:
    local = LocalNetworks(["192.168.1.128/25"])
    cached = AddressClassifier(local, GeoLocator())
    assert cached.classify("192.168.1.1") == (False, "")
    assert cached.classify("192.168.1.129") == (True, "")
    assert cached.lookups == 2  # the /24 holds a /25 local network: never cached


def test_keyed_rates_window_and_totals() -> None:
    rates = KeyedRates(3, 5)
    slot = int(T0) // 5
    rates.bucket(slot)["a"] = 100
    rates.bucket(slot + 1)["a"] = 50
    rates.bucket(slot + 1)["b"] = 10
    now = T0 + 5
    assert rates.total("a", now) == 150 and rates.bps("b", now) == 10 * 8 / 15
    assert rates.totals(now) == {"a": 150, "b": 10}
    assert rates.totals(T0 + 15) == {"a": 50, "b": 10}  # the first bucket left the window
    assert rates.totals(T0 + 100) == {} and rates.total("a", T0 + 100) == 0


def _records(rng: random.Random, n: int) -> list[FlowRecord]:
    hosts = [f"10.0.{i // 10}.{i % 10}" for i in range(30)] + [f"8.8.{i}.8" for i in range(10)] + ["1.1.1.1"]
    out = []
    for _ in range(n):
        src, dst = rng.sample(hosts, 2)
        out.append(
            FlowRecord(
                exporter="127.0.0.1",
                domain=0,
                version=9,
                src_ip=src,
                dst_ip=dst,
                src_port=rng.choice([1000, 2000, 53, 443]),
                dst_port=rng.choice([53, 80, 443, 22, 9999]),
                protocol=rng.choice([6, 17]),
                bytes=rng.randint(1, 5000),
                packets=rng.randint(1, 10),
                rev_bytes=rng.choice([0, rng.randint(1, 3000)]),
                first_seen=T0 - 10,
                last_seen=T0,
                l7_proto=rng.choice([-1, 7, 91]),
            )
        )
    return out


def test_indexes_match_full_scans_through_adds_and_expiry() -> None:
    rng = random.Random(7)
    source = CollectorSource(LiveSettings(idle_timeout_seconds=30), MemorySink())
    table = source.table
    now = T0
    for step in range(6):
        table.add(_records(rng, 200), now)
        now += 12
        table.expire(now)
        table.clock = lambda: now  # noqa: B023 - the source reads the window at this step's time
        check_against_scans(source, now, step)
    assert table.counters.flows_expired > 0 and table.flows  # both paths of the indexes were exercised


def check_against_scans(source: CollectorSource, now: float, step: int) -> None:
    table = source.table
    for ip, host in table.hosts.items():
        scanned = {f.key for f in table.flows.values() if ip in (f.client_ip, f.server_ip)}
        assert {f.key for f in table.host_flows(ip)} == scanned == set(host.flows), (step, ip)
    by_service: dict[tuple[str, int, int], list[int]] = {}
    for f in table.flows.values():
        counts = by_service.setdefault((f.application, f.protocol, f.server_port), [0, 0])
        counts[0] += 1
        counts[1] += f.bytes
    assert {k: [s.flows, s.bytes] for k, s in table.services.items()} == by_service, step

    async def calls() -> None:
        summary = await source.flows_summary(pb.FlowsSummaryRequest(limit=100))
        assert summary.total_flows == len(table.flows)
        assert summary.total_bytes == sum(f.bytes for f in table.flows.values())
        for locality, wanted in (
            (pb.HOST_LOCALITY_UNSPECIFIED, lambda h: True),
            (pb.HOST_LOCALITY_LOCAL, lambda h: h.is_local),
            (pb.HOST_LOCALITY_REMOTE, lambda h: not h.is_local),
        ):
            reply = await source.list_hosts(
                pb.ListHostsRequest(
                    locality=locality, sort=pb.HOST_SORT_THROUGHPUT, page=common_pb2.PageRequest(page_size=1000)
                )
            )
            rates = [table.host_bps(h, now) for h in table.hosts.values() if wanted(h)]
            assert [h.throughput_bps for h in reply.hosts] == sorted(rates, reverse=True), (step, locality)
            assert reply.total == len(rates)

    asyncio.run(calls())
