"""The live flow table: merging, counted once, aggregates, timeouts and hand-off."""

from __future__ import annotations

from netscope_live.entries import FlowEntry
from netscope_live.netflow.records import FlowRecord
from netscope_live.table import FlowTable, TableConfig

T0 = 1_795_422_000.0


def rec(
    src: str,
    dst: str,
    sport: int,
    dport: int,
    nbytes: int,
    *,
    proto: int = 6,
    rev: int = 0,
    src_mac: str = "",
    l7: int = -1,
    input_if: int = 1,
) -> FlowRecord:
    return FlowRecord(
        exporter="127.0.0.1",
        domain=0,
        version=9,
        src_ip=src,
        dst_ip=dst,
        src_port=sport,
        dst_port=dport,
        protocol=proto,
        bytes=nbytes,
        packets=max(1, nbytes // 100),
        rev_bytes=rev,
        first_seen=T0 - 5,
        last_seen=T0,
        src_mac=src_mac,
        l7_proto=l7,
        input_if=input_if,
        output_if=2,
    )


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def make_table(**config: float) -> tuple[FlowTable, list[tuple[FlowEntry, int, int, bool]], Clock]:
    exported: list[tuple[FlowEntry, int, int, bool]] = []
    clock = Clock()
    table = FlowTable(TableConfig(**config), on_export=lambda *a: exported.append(a), clock=clock)  # type: ignore[arg-type]
    return table, exported, clock


def test_a_flow_is_counted_once_across_records_and_directions() -> None:
    table, _, _ = make_table()
    table.add([rec("10.0.0.1", "8.8.8.8", 5000, 443, 1000)])
    table.add([rec("10.0.0.1", "8.8.8.8", 5000, 443, 500)])  # active-timeout update of the same flow
    table.add([rec("8.8.8.8", "10.0.0.1", 443, 5000, 4000)])  # the answer direction
    assert len(table.flows) == 1
    flow = next(iter(table.flows.values()))
    assert (flow.client_ip, flow.server_ip, flow.bytes_c2s, flow.bytes_s2c, flow.records) == (
        "10.0.0.1",
        "8.8.8.8",
        1500,
        4000,
        3,
    )
    client, server = table.hosts["10.0.0.1"], table.hosts["8.8.8.8"]
    assert (client.flows_as_client, client.active_flows, client.bytes_sent, client.bytes_rcvd) == (
        1,
        1,
        1500,
        4000,
    )
    assert (server.flows_as_server, server.bytes_sent, server.bytes_rcvd) == (1, 4000, 1500)
    assert table.counters.flows_created == 1 and table.counters.records == 3


def test_aggregates_country_app_mac_interface_and_locality() -> None:
    table, _, clock = make_table()
    table.add([rec("192.168.1.5", "8.8.8.8", 5000, 443, 1000, src_mac="00:1b:63:84:45:e6")], clock.now)
    table.add([rec("192.168.1.5", "1.1.1.1", 5001, 53, 100, proto=17)], clock.now)
    table.add([rec("192.168.1.6", "8.8.4.4", 5002, 22, 50, l7=7)], clock.now)  # exporter says HTTP (id 7)
    host = table.hosts["192.168.1.5"]
    assert host.is_local and host.country == "" and host.mac == "00:1b:63:84:45:e6"
    assert not table.hosts["8.8.8.8"].is_local and table.hosts["8.8.8.8"].country == "US"
    assert set(host.applications()) == {"TLS", "DNS"} and host.applications()["TLS"].bytes_sent == 1000
    assert table.hosts["192.168.1.6"].applications().keys() == {"HTTP"}
    assert host.peers == {"8.8.8.8": 1000, "1.1.1.1": 100}
    assert table.hosts["8.8.8.8"].server_ports == {(6, 443): 1}
    assert table.macs["00:1b:63:84:45:e6"].vendor == "Apple, Inc."
    assert table.countries["US"].bytes_rcvd == 1050 and table.countries["US"].flows == 2  # 8.8.8.8, 8.8.4.4
    assert table.countries["US"].hosts == 2
    assert table.interfaces[("127.0.0.1", 1)].bytes_in == 1150
    assert table.host_bps(host, clock.now) == 1100 * 8 / 30
    assert table.apps["TLS"].rate.bps(clock.now + 31) == 0


def test_idle_and_active_timeouts_hand_off_deltas() -> None:
    table, exported, clock = make_table(idle_timeout=30, active_timeout=60, host_idle_timeout=100)
    table.add([rec("10.0.0.1", "10.0.0.2", 1, 80, 1000)], clock.now)
    table.add([rec("10.0.0.3", "10.0.0.4", 2, 80, 10)], clock.now)
    for step in range(1, 8):  # flow 1 keeps being updated every 10 s, flow 2 goes idle
        clock.now = T0 + 10 * step
        table.add([rec("10.0.0.1", "10.0.0.2", 1, 80, 100)], clock.now)
        table.expire()
    assert [(e[0].client_ip, e[1], e[3]) for e in exported] == [
        ("10.0.0.3", 10, True),
        ("10.0.0.1", 1600, False),
    ]
    assert len(table.flows) == 1 and table.counters.flows_expired == 1
    assert table.hosts["10.0.0.3"].active_flows == 0
    clock.now += 200
    table.expire()
    assert table.flows == {} and table.hosts == {}
    assert exported[-1][0].client_ip == "10.0.0.1" and exported[-1][1] == 100 and exported[-1][3]
    assert sum(e[1] for e in exported) == 1000 + 10 + 700  # every byte handed off exactly once


def test_table_full_drops_new_flows_and_counts_them() -> None:
    table, _, _ = make_table(max_flows=2)
    table.add([rec("10.0.0.1", "10.0.0.2", p, 80, 1) for p in range(5)])
    assert len(table.flows) == 2 and table.counters.flows_dropped_table_full == 3
