"""The alerts service over gRPC: seeded stats and lists, writes, audit, ntopng push and restart persistence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest

from netscope.alerts.v1 import alerts_pb2 as pb
from netscope_common.timeutil import make_window
from tests.fixtures.ntopng.fake_ntopng import FakeNtopng
from tests.integration.alerts.conftest import AlertsService
from tests.unit.alerts import seed

pytestmark = pytest.mark.integration
WINDOW = make_window(*seed.WINDOW)
ALICE = (("x-netscope-principal", "alice"),)


def test_stats_and_lists_match_the_seed(service: AlertsService) -> None:
    stats = service.stub.AlertStats(
        pb.AlertStatsRequest(window=WINDOW, entity=pb.ENTITY_KIND_HOST, top_n=5), timeout=10
    )
    assert stats.total == 30 and not stats.flow_alerts_unavailable
    assert {e.key: e.count for e in stats.by_type} == {"host_alert_tcp_syn_scan": 15, "host_alert_dns_flood": 15}
    assert {(e.key, e.count, e.entity) for e in stats.by_entity} == {(ip, 10, pb.ENTITY_KIND_HOST) for ip in seed.HOSTS}
    page = service.stub.ListAlerts(
        pb.ListAlertsRequest(window=WINDOW, entity=pb.ENTITY_KIND_SNMP_DEVICE, page={"page_size": 3}), timeout=10
    )
    assert page.total == 5 and len(page.alerts) == 3 and page.next_page_token
    assert page.alerts[0].alert_name == "alert_snmp_device_polling_error" and page.alerts[0].severity == "critical"
    rest = service.stub.ListAlerts(
        pb.ListAlertsRequest(
            window=WINDOW, entity=pb.ENTITY_KIND_SNMP_DEVICE, page={"page_size": 3, "page_token": page.next_page_token}
        ),
        timeout=10,
    )
    assert len(rest.alerts) == 2 and not rest.next_page_token


def test_bad_requests_get_invalid_argument_with_a_clear_message(service: AlertsService) -> None:
    with pytest.raises(grpc.RpcError) as err:
        service.stub.ListAlerts(pb.ListAlertsRequest(window=WINDOW, min_severity="loud"), timeout=10)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "unknown severity 'loud'; allowed: none, debug" in err.value.details()
    with pytest.raises(grpc.RpcError) as err:
        service.stub.AddExclusion(pb.AddExclusionRequest(kind=pb.EXCLUSION_KIND_HOST, value="10.1.1.1/8"), timeout=10)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "has host bits set; did you mean 10.0.0.0/8?" in err.value.details()
    inverted = make_window(seed.WINDOW[1], seed.WINDOW[0])
    with pytest.raises(grpc.RpcError) as err:
        service.stub.AlertStats(pb.AlertStatsRequest(window=inverted), timeout=10)
    assert "time window is empty or inverted" in err.value.details()


def test_exclusions_are_idempotent_pushed_to_ntopng_audited_and_survive_a_restart(
    service: AlertsService, fake_ntopng: FakeNtopng
) -> None:
    request = pb.AddExclusionRequest(kind=pb.EXCLUSION_KIND_HOST, value="10.0.0.3", comment="scanner lab")
    first = service.stub.AddExclusion(request, metadata=ALICE, timeout=10)
    second = service.stub.AddExclusion(request, metadata=ALICE, timeout=10)
    assert first.created and not second.created and first.ntopng_result == "applied"
    path, sent = fake_ntopng.requests[-1]
    assert path == "/lua/pro/rest/v2/add/alert/exclusion.lua"
    assert sent["_auth"] == f"Token {fake_ntopng.token}"
    assert sent["type"] == "host" and sent["alert_addr"] == "10.0.0.3" and sent["subdir"] == "host"
    listed = service.stub.ListExclusions(pb.ListExclusionsRequest(), timeout=10).exclusions
    assert [(e.value, e.created_by, e.comment) for e in listed] == [("10.0.0.3", "alice", "scanner lab")]
    stats = service.stub.AlertStats(pb.AlertStatsRequest(window=WINDOW, entity=pb.ENTITY_KIND_HOST), timeout=10)
    assert stats.total == 20

    service.stop()
    service.start()
    listed = service.stub.ListExclusions(pb.ListExclusionsRequest(), timeout=10).exclusions
    assert [e.value for e in listed] == ["10.0.0.3"]
    stats = service.stub.AlertStats(pb.AlertStatsRequest(window=WINDOW, entity=pb.ENTITY_KIND_HOST), timeout=10)
    assert stats.total == 20

    removed = service.stub.RemoveExclusion(
        pb.RemoveExclusionRequest(kind=pb.EXCLUSION_KIND_HOST, value="10.0.0.3"), metadata=ALICE, timeout=10
    )
    assert removed.removed and removed.ntopng_result == "applied"
    assert fake_ntopng.requests[-1][0] == "/lua/pro/rest/v2/delete/alert/exclusion.lua"
    with pytest.raises(grpc.RpcError):  # a refused change is audited too
        service.stub.AddExclusion(pb.AddExclusionRequest(kind=pb.EXCLUSION_KIND_HOST, value="10.1.1.1/8"), timeout=10)
    now = datetime.now(UTC)
    audit = service.stub.ListAuditEntries(
        pb.ListAuditEntriesRequest(window=make_window(now - timedelta(minutes=5), now + timedelta(minutes=1))),
        timeout=10,
    ).entries
    actions = [(e.principal, e.action, e.result) for e in audit]
    assert ("alice", "exclusion.add", "ok") in actions and ("alice", "exclusion.remove", "ok") in actions
    assert ("alice", "exclusion.add.ntopng", "applied") in actions
    assert any(a == "exclusion.add" and r.startswith("error: ") and p == "anonymous" for p, a, r in actions)


def test_a_push_ntopng_refuses_is_reported_and_audited_and_the_exclusion_stays(
    service: AlertsService, fake_ntopng: FakeNtopng
) -> None:
    fake_ntopng.fail("/lua/pro/rest/v2/add/alert/exclusion.lua", "html500")
    request = pb.AddExclusionRequest(kind=pb.EXCLUSION_KIND_DOMAIN, value="refused.example", comment="ntopng down")
    added = service.stub.AddExclusion(request, metadata=ALICE, timeout=10)
    assert added.created
    assert added.ntopng_result.startswith(
        "failed: ntopng answered /lua/pro/rest/v2/add/alert/exclusion.lua with HTTP 500 and text/html"
    ), added.ntopng_result
    listed = service.stub.ListExclusions(pb.ListExclusionsRequest(), timeout=10).exclusions
    assert "refused.example" in [e.value for e in listed]
    now = datetime.now(UTC)
    audit = service.stub.ListAuditEntries(
        pb.ListAuditEntriesRequest(window=make_window(now - timedelta(minutes=5), now + timedelta(minutes=1))),
        timeout=10,
    ).entries
    assert ("exclusion.add.ntopng", added.ntopng_result) in [(e.action, e.result) for e in audit]
    removed = service.stub.RemoveExclusion(
        pb.RemoveExclusionRequest(kind=pb.EXCLUSION_KIND_DOMAIN, value="refused.example"), metadata=ALICE, timeout=10
    )
    assert removed.removed and removed.ntopng_result == "applied"


def test_policy_lifecycle_and_raise_over_grpc(service: AlertsService) -> None:
    spec = pb.PolicySpec(
        name="ru",
        host_country=pb.HostCountryRule(host_cidrs=["10.0.0.0/24"], countries=["RU"]),
    )
    created = service.stub.CreatePolicy(pb.CreatePolicyRequest(spec=spec), metadata=ALICE, timeout=10)
    assert created.created and not created.policy.enabled and created.policy.created_by == "alice"
    dry = service.stub.DryRunPolicy(pb.DryRunPolicyRequest(name="ru", window=WINDOW), timeout=10)
    assert [(f.entity_value, f.value) for f in dry.findings] == [("10.0.0.2", 3.0)]
    enabled = service.stub.SetPolicyEnabled(pb.SetPolicyEnabledRequest(name="ru", enabled=True), timeout=10)
    assert enabled.policy.enabled
    with pytest.raises(grpc.RpcError) as err:
        service.stub.SetPolicyEnabled(pb.SetPolicyEnabledRequest(name="nope", enabled=True), timeout=10)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND and "no policy named 'nope'" in err.value.details()
    raise_req = pb.RaiseAlertRequest(
        entity=pb.ENTITY_KIND_HOST, entity_value="10.9.9.9", alert_type="host_alert_scan_detected", severity="error"
    )
    first = service.stub.RaiseAlert(raise_req, timeout=10)
    again = service.stub.RaiseAlert(raise_req, timeout=10)
    assert not first.deduplicated and again.deduplicated and again.alert.count == 2
    acked = service.stub.AcknowledgeAlert(pb.AcknowledgeAlertRequest(id=first.alert.id), timeout=10)
    assert acked.changed and acked.alert.acknowledged
    port = service.stub.RaiseAlert(
        pb.RaiseAlertRequest(
            entity=pb.ENTITY_KIND_SNMP_DEVICE,
            entity_value="10.1.0.1",
            alert_type="alert_snmp_interface_threshold_crossed",
            severity="warning",
            snmp_port=5,
            snmp_device_name="hq-rtr-1",
            snmp_port_name="ge-0/0/4",
        ),
        timeout=10,
    )
    assert port.alert.entity_name == "hq-rtr-1 ifIndex 5 ge-0/0/4"  # as ntopng names an interface's SNMP alert
