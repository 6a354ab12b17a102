"""ntopng's `value;op` alert filters, the interface id and offset paging, checked against the seeded ground truth."""

from __future__ import annotations

import pytest

from netscope.alerts.v1 import alerts_pb2 as pb
from netscope_alerts.alerts import AlertFilter
from netscope_alerts.ntopng_filters import parse_items
from netscope_common.errors import InvalidArgument, NotFound
from tests.unit.alerts import seed


def window(**kw: object) -> AlertFilter:
    return AlertFilter(start=seed.WINDOW[0], end=seed.WINDOW[1], **kw)  # type: ignore[arg-type]


def hosts() -> list[dict]:
    return [r for r in seed.host_alerts() if seed.WINDOW[0] <= r["tstamp"] < seed.WINDOW[1]]


async def count(core, kind: int, **filters: str) -> int:
    return (await core.alerts.stats(window(kind=kind, ntopng_filters=filters), 10)).total


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"severity": "5;eq"}, lambda r: r["severity"] == 5),
        ({"severity": "error;gte"}, lambda r: r["severity"] >= 5),
        ({"severity": "4;eq,6;eq"}, lambda r: r["severity"] in (4, 6)),
        ({"score": "20;gte,50;lt"}, lambda r: 20 <= r["score"] < 50),
        ({"alert_id": "5;neq"}, lambda r: r["alert_id"] != 5),
        ({"alert_id": "22"}, lambda r: r["alert_id"] == 22),
        ({"ip": "10.0.0.1;eq"}, lambda r: r["ip"] == "10.0.0.1"),
        ({"ip": "10.0.0.1;neq,10.0.0.2;neq"}, lambda r: r["ip"] == "10.0.0.3"),
        ({"name": "host2;eq"}, lambda r: r["name"] == "host2"),
        ({"name": "ost;in"}, lambda r: True),
        ({"name": "1;nin"}, lambda r: "1" not in r["name"]),
        ({"ip_version": "4"}, lambda r: True),
        ({"ip": "10.0.0.1@0;eq"}, lambda r: r["ip"] == "10.0.0.1"),
        ({"ip": "10.0.0.1@7;eq"}, lambda r: False),
        ({"severity": "", "ip": "", "score": ""}, lambda r: True),
        ({"severity": "6;eq", "ip": "10.0.0.2"}, lambda r: r["severity"] == 6 and r["ip"] == "10.0.0.2"),
    ],
)
async def test_host_filters_select_what_the_seed_says(core, filters, expected) -> None:
    assert await count(core, pb.ENTITY_KIND_HOST, **filters) == sum(1 for r in hosts() if expected(r))


async def test_flow_filters_read_the_flows_columns(core) -> None:
    assert await count(core, pb.ENTITY_KIND_FLOW) == 4
    assert await count(core, pb.ENTITY_KIND_FLOW, srv_port="443;eq", cli_ip=seed.HOSTS[0]) == 4
    assert await count(core, pb.ENTITY_KIND_FLOW, srv_ip="198.51.100.7;neq") == 0
    assert await count(core, pb.ENTITY_KIND_FLOW, cli_port="40002;gte") == 3  # flows 1..4 use 40001..40004
    assert await count(core, pb.ENTITY_KIND_FLOW, ip="198.51.100.7") == 4
    assert await count(core, pb.ENTITY_KIND_FLOW, alert_id="28", severity="error") == 4
    assert await count(core, pb.ENTITY_KIND_FLOW, cli_country="RU") == 0
    assert await count(core, pb.ENTITY_KIND_FLOW, l7proto="DNS") == 0
    assert await count(core, pb.ENTITY_KIND_FLOW, traffic_direction="0", format="json") == 4


async def test_snmp_and_all_alerts(core) -> None:
    assert await count(core, pb.ENTITY_KIND_SNMP_DEVICE, ip=seed.SNMP_DEVICE) == 5
    assert await count(core, pb.ENTITY_KIND_SNMP_DEVICE, snmp_interface=f"{seed.SNMP_DEVICE}_0") == 5
    assert await count(core, pb.ENTITY_KIND_SNMP_DEVICE, snmp_interface="3") == 0
    # Over every kind, a filter only some tables have leaves the others out.
    assert await count(core, pb.ENTITY_KIND_UNSPECIFIED, severity="6") == 5 + sum(
        1 for r in hosts() if r["severity"] == 6
    )
    assert await count(core, pb.ENTITY_KIND_UNSPECIFIED, cli_ip=seed.HOSTS[0]) == 4


async def test_interface_id_and_unknown_ones(core) -> None:
    assert (await core.alerts.stats(window(interface_id=0), 10)).total == 39
    with pytest.raises(NotFound, match=r"ifid 7 .*ifids present: 0"):
        await core.alerts.stats(window(interface_id=7), 10)


async def test_offset_paging_matches_token_paging(core) -> None:
    flt = window(kind=pb.ENTITY_KIND_HOST)
    first, _, total, _ = await core.alerts.list_alerts(flt, sort=0, page_size=30, page_token="")
    page, _, _, _ = await core.alerts.list_alerts(flt, sort=0, page_size=5, page_token="", offset=10)
    assert total == 30 and [a.id for a in page] == [a.id for a in first[10:15]]


@pytest.mark.parametrize(
    ("kind", "filters", "message"),
    [
        (pb.ENTITY_KIND_HOST, {"severity": "5;like"}, "malformed"),
        (pb.ENTITY_KIND_HOST, {"severity": ";eq"}, "malformed"),
        (pb.ENTITY_KIND_HOST, {"score": "high;gte"}, "not a number"),
        (pb.ENTITY_KIND_HOST, {"cli_port": "443"}, "they take: .*host_pool_id"),
        (pb.ENTITY_KIND_FLOW, {"cli_country": "RUS"}, "two-letter"),
        (pb.ENTITY_KIND_FLOW, {"l7proto": "NoSuchProto"}, "nDPI"),
        (pb.ENTITY_KIND_FLOW, {"traffic_direction": "9"}, "remote only"),
        (pb.ENTITY_KIND_FLOW, {"format": "xml"}, "json, txt, csv"),
    ],
)
async def test_malformed_filters_are_clear_errors(core, kind, filters, message) -> None:
    with pytest.raises(InvalidArgument, match=message):
        await core.alerts.stats(window(kind=kind, ntopng_filters=filters), 10)


def test_item_syntax() -> None:
    assert parse_items("x", "") == []
    assert parse_items("x", "5") == [("5", "eq")]
    assert parse_items("x", "5;gte, 9;LT") == [("5", "gte"), ("9", "lt")]
