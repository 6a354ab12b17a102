"""Exclusions, policies, expected servers and the audit log over seeded chdb tables."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from netscope.alerts.v1 import alerts_pb2 as pb
from netscope_alerts.alerts import AlertFilter
from netscope_alerts.exclusions import normalise
from netscope_common.errors import AlreadyExists, FailedPrecondition, InvalidArgument
from tests.unit.alerts import seed


def flt(**kw: object) -> AlertFilter:
    return AlertFilter(**({"start": seed.WINDOW[0], "end": seed.WINDOW[1]} | kw))  # type: ignore[arg-type]


async def total(core, **kw: object) -> int:
    return (await core.alerts.stats(flt(**kw), 5)).total


async def test_exclusions_hide_alerts_and_are_idempotent(core) -> None:
    assert await total(core) == 39
    ex, created = await core.exclusions.add(normalise("host", "10.0.0.2"), "alice")
    assert created and ex.value == "10.0.0.2" and ex.created_by == "alice"
    assert (await core.exclusions.add(normalise("host", " 10.0.0.2 "), "bob"))[1] is False
    assert len(await core.exclusions.all("host")) == 1
    assert await total(core) == 29
    # Domain: the 4 flow alerts to bad.example.org and host alerts whose details name cdn.example.com.
    await core.exclusions.add(normalise("domain", "*.Example.ORG."), "alice")
    assert await total(core, kind=pb.ENTITY_KIND_FLOW) == 0
    # Certificate text in the flow alert JSON; with a type restriction that does not match, nothing changes.
    await core.exclusions.remove(normalise("domain", "example.org"))
    await core.exclusions.add(normalise("certificate", "CN=Evil Self Signed", "alert_flow_blocked"), "alice")
    assert await total(core, kind=pb.ENTITY_KIND_FLOW) == 4
    await core.exclusions.add(normalise("certificate", "CN=Evil Self Signed"), "alice")
    assert await total(core, kind=pb.ENTITY_KIND_FLOW) == 0
    # A CIDR with a type: only the dns_flood alerts of 10.0.0.0/24 go.
    await core.exclusions.add(normalise("host", "10.0.0.0/24", "host_alert_dns_flood"), "alice")
    stats = await core.alerts.stats(flt(kind=pb.ENTITY_KIND_HOST), 5)
    assert dict(stats.by_type) == {"host_alert_tcp_syn_scan": 10}
    for ex in await core.exclusions.all():
        assert await core.exclusions.remove(ex)
    assert not await core.exclusions.remove(normalise("host", "10.0.0.2"))
    assert await total(core) == 39


async def test_a_host_domain_pair_hides_only_that_hosts_alerts_toward_the_domain(core) -> None:
    """Seed 001's add_domain_alert_exclusion for a host-domain pair: the 4 flow alerts to bad.example.org all come
    from seed.HOSTS[0]; excluding the domain for another host hides none, for that host all four."""
    other, _ = await core.exclusions.add(normalise("domain", "bad.example.org", host="10.0.0.99"), "alice")
    assert (other.kind, other.host, other.target) == ("host_domain", "10.0.0.99", "bad.example.org")
    assert await total(core, kind=pb.ENTITY_KIND_FLOW) == 4
    pair, created = await core.exclusions.add(normalise("domain", "Bad.Example.org", host=seed.HOSTS[0]), "alice")
    assert created and await total(core, kind=pb.ENTITY_KIND_FLOW) == 0
    assert {e.value for e in await core.exclusions.all("domain")} == {other.value, pair.value}
    for ex in (other, pair):
        assert await core.exclusions.remove(ex)
    assert await total(core, kind=pb.ENTITY_KIND_FLOW) == 4
    with pytest.raises(InvalidArgument, match="host narrows domain exclusions only"):
        normalise("host", "10.0.0.2", host="10.0.0.3")


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("host", "10.0.0.256", "'10.0.0.256' is not an IP address or CIDR"),
        ("host", "10.0.0.1/8", "has host bits set; did you mean 10.0.0.0/8?"),
        ("domain", "exa mple.com", "is not a valid domain name"),
        ("domain", "localhost", "at least two labels"),
        ("domain", "192.168.1.1", "is an IP address, not a domain; use a host exclusion"),
        ("certificate", "", "needs the certificate's issuer or subject text"),
        ("printer", "x", "exclusion kind must be one of host, domain, certificate"),
    ],
)
def test_exclusion_validation_messages(kind: str, value: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        normalise(kind, value)


def host_country() -> pb.PolicySpec:
    return pb.PolicySpec(
        name="ru-contacts",
        severity="error",
        host_country=pb.HostCountryRule(host_cidrs=["10.0.0.0/24"], countries=["ru"], min_flows=2),
    )


async def test_policy_dry_runs_report_what_they_would_raise(core) -> None:
    start, end = seed.WINDOW
    findings, truncated = await core.policies.dry_run(host_country(), start, end, 10)
    assert not truncated and len(findings) == 1
    f = findings[0]
    assert (f.entity_value, f.value, f.threshold, f.alert_type) == ("10.0.0.2", 3, 2, "host_alert_countries_contacts")
    assert "3 flows to servers in RU" in f.description
    upload = pb.PolicySpec(
        name="night-upload",
        upload_volume=pb.UploadVolumeRule(
            host_cidrs=["10.0.0.0/24"], min_bytes=2_000_000_000, business_start_hour=8, business_end_hour=18
        ),
    )
    day = (seed.BASE.replace(hour=0), seed.BASE.replace(hour=23))
    findings, _ = await core.policies.dry_run(upload, *day, 10)
    assert [(f.entity_value, f.value) for f in findings] == [(seed.EXFIL_HOST, 3_000_000_000)]
    count = pb.PolicySpec(
        name="dns-floods", alert_count=pb.AlertCountRule(alert_type="host_alert_dns_flood", min_count=4)
    )
    findings, _ = await core.policies.dry_run(count, start, end, 10)
    assert sorted((f.entity_value, f.value) for f in findings) == [("10.0.0.1", 5), ("10.0.0.2", 5), ("10.0.0.3", 5)]
    assert {f.alert_type for f in findings} == {"alert_threshold_cross"}


async def test_policy_store_and_evaluation_raise_alerts(core) -> None:
    policy, created = await core.policies.create(host_country(), False, "alice")
    assert created and policy.spec.host_country.countries == ["RU"] and policy.spec.lookback_seconds == 3600
    assert (await core.policies.create(host_country(), False, "bob"))[1] is False
    changed = host_country()
    changed.host_country.min_flows = 1
    with pytest.raises(AlreadyExists, match=re.escape("a different policy named 'ru-contacts' exists")):
        await core.policies.create(changed, False, "alice")
    assert await core.policies.evaluate_enabled(seed.BASE) == {}
    await core.policies.set_enabled("ru-contacts", True)
    assert await core.policies.evaluate_enabled(seed.BASE) == {"ru-contacts": "ok: 1 finding(s)"}
    assert await core.policies.evaluate_enabled(seed.BASE) == {"ru-contacts": "ok: 1 finding(s)"}
    raised = await core.alerts.list_alerts(
        flt(alert_type="host_alert_countries_contacts", end=seed.BASE + timedelta(seconds=1)),
        sort=0,
        page_size=10,
        page_token="",
    )
    assert raised[2] == 1  # the second run re-used the engaged alert
    alert = raised[0][0]
    assert alert.entity_value == "10.0.0.2" and alert.count == 2 and alert.details["policy"] == "ru-contacts"
    stored = (await core.policies.all())[0]
    assert stored.enabled and stored.last_result == "ok: 1 finding(s)"
    assert await core.policies.delete("ru-contacts") and not await core.policies.delete("ru-contacts")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (pb.PolicySpec(name="Bad Name", alert_count=pb.AlertCountRule(alert_type="x", min_count=1)), "invalid name"),
        (pb.PolicySpec(name="p"), "a rule is required"),
        (
            pb.PolicySpec(name="p", host_country=pb.HostCountryRule(host_cidrs=["10.0.0.0/8"], countries=["Russia"])),
            "'Russia' is not a two-letter ISO country code",
        ),
        (pb.PolicySpec(name="p", host_country=pb.HostCountryRule(countries=["RU"])), "at least one host CIDR"),
        (pb.PolicySpec(name="p", upload_volume=pb.UploadVolumeRule(host_cidrs=["10.0.0.0/8"])), "min_bytes"),
        (
            pb.PolicySpec(name="p", lookback_seconds=5, alert_count=pb.AlertCountRule(alert_type="x", min_count=1)),
            "lookback_seconds must be 60..604800",
        ),
        (pb.PolicySpec(name="p", alert_count=pb.AlertCountRule(alert_type="nope", min_count=1)), "unknown alert type"),
    ],
)
def test_policy_validation_messages(spec: pb.PolicySpec, message: str) -> None:
    from netscope_alerts.policies import validate_spec

    with pytest.raises(InvalidArgument, match=re.escape(message)):
        validate_spec(spec)


async def test_expected_servers_and_unexpected_check(core) -> None:
    start, end = seed.WINDOW
    resp = await core.expected.check(start, end, pb.SERVER_ROLE_UNSPECIFIED, 10, False)
    assert not resp.servers and len(resp.skipped_roles) == 4
    server, created = await core.expected.add(pb.SERVER_ROLE_DNS, "10.0.0.53", "office resolver", "alice")
    assert created and server.address == "10.0.0.53"
    assert (await core.expected.add(pb.SERVER_ROLE_DNS, "10.0.0.53", "", "bob"))[1] is False
    resp = await core.expected.check(start, end, pb.SERVER_ROLE_DNS, 10, True)
    assert [(s.server, s.flows, s.clients) for s in resp.servers] == [("8.8.8.8", 3, 1)]
    assert list(resp.servers[0].sample_clients) == [seed.HOSTS[2]] and resp.alerts_raised == 1
    with pytest.raises(InvalidArgument, match=re.escape("gateways cannot be checked over flows")):
        await core.expected.check(start, end, pb.SERVER_ROLE_GATEWAY, 10, False)
    with pytest.raises(InvalidArgument, match=re.escape("'dns.google' is not an IP address or CIDR")):
        await core.expected.add(pb.SERVER_ROLE_DNS, "dns.google", "", "alice")
    assert await core.expected.remove(pb.SERVER_ROLE_DNS, "10.0.0.53")
    assert await core.expected.all() == []


async def test_flow_rules_need_a_flows_table(core) -> None:
    core.store.client.command("RENAME TABLE flows TO flows_hidden")
    core.alerts._flows_checked = 0.0
    try:
        with pytest.raises(FailedPrecondition, match=re.escape("no flows table is reachable")):
            await core.policies.dry_run(host_country(), *seed.WINDOW, 10)
        stats = await core.alerts.stats(flt(), 5)
        assert stats.flow_alerts_unavailable and stats.total == 35
    finally:
        core.store.client.command("RENAME TABLE flows_hidden TO flows")
        core.alerts._flows_checked = 0.0


async def test_audit_log_records_outcomes(core) -> None:
    async with core.audit.audited("alice", "exclusion.add", {"value": "10.0.0.7"}):
        pass
    with pytest.raises(InvalidArgument):
        async with core.audit.audited("bob", "exclusion.add", {"value": "nope"}):
            normalise("host", "nope")
    now = datetime.now(UTC)
    entries, truncated = await core.audit.entries(now - timedelta(minutes=1), now + timedelta(minutes=1))
    assert not truncated
    assert [(e.principal, e.result[:6]) for e in entries[:2]] == [("bob", "error:"), ("alice", "ok")]
    assert "is not an IP address or CIDR" in entries[0].result
