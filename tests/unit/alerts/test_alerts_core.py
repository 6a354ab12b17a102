"""ListAlerts, AlertStats, RaiseAlert and AcknowledgeAlert over seeded chdb tables, checked against the seed."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from netscope.alerts.v1 import alerts_pb2 as pb
from netscope_alerts.alerts import AlertFilter
from netscope_common.errors import FailedPrecondition, InvalidArgument, NotFound
from tests.unit.alerts import seed

SEV = {4: "warning", 5: "error", 6: "critical"}


def window(**kw: object) -> AlertFilter:
    return AlertFilter(start=seed.WINDOW[0], end=seed.WINDOW[1], **kw)  # type: ignore[arg-type]


def in_window_hosts() -> list[dict]:
    return [r for r in seed.host_alerts() if seed.WINDOW[0] <= r["tstamp"] < seed.WINDOW[1]]


async def test_host_stats_match_the_seed(core) -> None:
    rows = in_window_hosts()
    stats = await core.alerts.stats(window(kind=pb.ENTITY_KIND_HOST), 10)
    assert stats.total == len(rows) == 30
    names = {5: "host_alert_tcp_syn_scan", 22: "host_alert_dns_flood"}
    assert dict(stats.by_type) == {names[k]: n for k, n in Counter(r["alert_id"] for r in rows).items()}
    assert dict(stats.by_severity) == {SEV[k]: n for k, n in Counter(r["severity"] for r in rows).items()}
    assert {(v, n) for _, v, n in stats.by_entity} == set(Counter(r["ip"] for r in rows).items())
    assert not stats.flow_alerts_unavailable


async def test_all_kinds_include_snmp_and_flow_alerts(core) -> None:
    stats = await core.alerts.stats(window(), 2)
    assert stats.total == 30 + 5 + 4
    assert len(stats.by_entity) == 2 and len(stats.by_type) == 2
    assert stats.by_type[0] == ("host_alert_dns_flood", 15) or stats.by_type[0][1] == 15
    flows = await core.alerts.stats(window(kind=pb.ENTITY_KIND_FLOW), 10)
    assert dict(flows.by_type) == {"alert_tls_certificate_selfsigned": 4}


async def test_list_pages_through_everything_newest_first(core) -> None:
    seen, token, pages = [], "", 0
    while True:
        alerts, token, total, _ = await core.alerts.list_alerts(
            window(kind=pb.ENTITY_KIND_HOST), sort=pb.SORT_ORDER_NEWEST, page_size=7, page_token=token
        )
        seen += alerts
        pages += 1
        if not token:
            break
    assert total == 30 and len(seen) == 30 and pages == 5
    assert len({a.id for a in seen}) == 30
    times = [a.time.seconds for a in seen]
    assert times == sorted(times, reverse=True)
    first = seen[0]
    assert first.alert_name == "host_alert_tcp_syn_scan" and first.severity == "warning"
    assert first.entity == pb.ENTITY_KIND_HOST and first.entity_value == "10.0.0.1" and first.entity_name == "host1"
    assert first.details["n"] == 0 and first.details_json.startswith("{")


async def test_filters(core) -> None:
    rows = in_window_hosts()

    async def count(**kw: object) -> int:
        return (await core.alerts.list_alerts(window(**kw), sort=0, page_size=1, page_token=""))[2]

    assert await count(kind=pb.ENTITY_KIND_HOST, entity_value="10.0.0.2") == 10
    assert await count(alert_type="host_alert_dns_flood") == 15
    assert await count(kind=pb.ENTITY_KIND_HOST, min_severity="error") == sum(r["severity"] >= 5 for r in rows)
    acked = sum(r["alert_status"] == 1 for r in rows)
    assert await count(kind=pb.ENTITY_KIND_HOST, acknowledged=pb.ACK_FILTER_ACKNOWLEDGED) == acked
    assert await count(kind=pb.ENTITY_KIND_HOST, acknowledged=pb.ACK_FILTER_UNACKNOWLEDGED) == 30 - acked
    # A flow alert matches its client or server IP.
    assert await count(kind=pb.ENTITY_KIND_FLOW, entity_value="198.51.100.7") == 4


async def test_sort_by_severity(core) -> None:
    alerts, *_ = await core.alerts.list_alerts(
        window(kind=pb.ENTITY_KIND_HOST), sort=pb.SORT_ORDER_SEVERITY, page_size=12, page_token=""
    )
    assert [a.severity for a in alerts[:10]] == ["critical"] * 10
    assert alerts[10].severity == "error"


async def test_bad_filters_and_tokens_explain_themselves(core) -> None:
    with pytest.raises(
        InvalidArgument, match=re.escape("unknown alert type 'host_alert_dns_flod'. Did you mean host_alert_dns_flood")
    ):
        await core.alerts.stats(window(alert_type="host_alert_dns_flod"), 5)
    with pytest.raises(InvalidArgument, match=re.escape("unknown severity 'urgent'; allowed: none, debug, info")):
        await core.alerts.stats(window(min_severity="urgent"), 5)
    with pytest.raises(InvalidArgument, match=re.escape("page_size 5000 is above the maximum 1000")):
        await core.alerts.list_alerts(window(), sort=0, page_size=5000, page_token="")
    _, token, _, _ = await core.alerts.list_alerts(window(), sort=0, page_size=2, page_token="")
    with pytest.raises(InvalidArgument, match=re.escape("page_token is not valid for this query")):
        await core.alerts.list_alerts(window(kind=pb.ENTITY_KIND_HOST), sort=0, page_size=2, page_token=token)
    with pytest.raises(InvalidArgument, match=re.escape("page_token is not valid")):
        await core.alerts.list_alerts(window(), sort=0, page_size=2, page_token="garbage!")


async def test_raise_deduplicates_engaged_and_ack_ends_engagement(core) -> None:
    req = pb.RaiseAlertRequest(
        entity=pb.ENTITY_KIND_SNMP_DEVICE,
        entity_value="192.168.1.77",
        alert_type="alert_snmp_device_polling_error",
        severity="error",
        description="no answer",
        details_json='{"timeout_s": 2}',
    )
    first, dedup1 = await core.alerts.raise_alert(req)
    second, dedup2 = await core.alerts.raise_alert(req)
    assert not dedup1 and dedup2 and first.id == second.id
    assert second.count == 2 and second.status == "engaged" and second.details["timeout_s"] == 2
    acked, changed = await core.alerts.acknowledge(first.id, "looked at it")
    assert changed and acked.acknowledged and acked.status == "acknowledged"
    assert (await core.alerts.acknowledge(first.id, ""))[1] is False
    third, dedup3 = await core.alerts.raise_alert(req)
    assert not dedup3 and third.id != first.id


async def test_raise_and_ack_validation_messages(core) -> None:
    bad = pb.RaiseAlertRequest(entity=pb.ENTITY_KIND_HOST, entity_value="10.0.0.300", alert_type="host_alert_dns_flood")
    with pytest.raises(InvalidArgument, match=re.escape("'10.0.0.300' is not an IP address")):
        await core.alerts.raise_alert(bad)
    wrong_family = pb.RaiseAlertRequest(
        entity=pb.ENTITY_KIND_HOST, entity_value="10.0.0.1", alert_type="alert_tls_certificate_selfsigned"
    )
    with pytest.raises(InvalidArgument, match=re.escape("is a flow alert type; host alerts take host_alert_")):
        await core.alerts.raise_alert(wrong_family)
    flow = pb.RaiseAlertRequest(entity=pb.ENTITY_KIND_FLOW, entity_value="10.0.0.1", alert_type="alert_flow_blocked")
    with pytest.raises(InvalidArgument, match=re.escape("flow alerts cannot be raised here")):
        await core.alerts.raise_alert(flow)
    not_obj = pb.RaiseAlertRequest(
        entity=pb.ENTITY_KIND_SYSTEM, entity_value="ntopng", alert_type="alert_system_error", details_json="[1]"
    )
    with pytest.raises(InvalidArgument, match=re.escape("details_json must be a JSON object")):
        await core.alerts.raise_alert(not_obj)
    with pytest.raises(InvalidArgument, match=re.escape("is not of the form <entity>:<rowid>")):
        await core.alerts.acknowledge("nonsense", "")
    with pytest.raises(NotFound, match=re.escape("not found")):
        await core.alerts.acknowledge("host:00000000-0000-0000-0000-00000000ffff", "")
    with pytest.raises(FailedPrecondition, match=re.escape("flows service owns")):
        await core.alerts.acknowledge("flow:1", "")
