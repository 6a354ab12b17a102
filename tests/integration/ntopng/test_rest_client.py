"""The ntopng REST v2 client (live reads, alert exclusion writes) against the FAKE ntopng replaying recorded real
responses."""

from __future__ import annotations

import time

import pytest

from netscope_ntopng.rest import (
    PRO_REST,
    REST,
    NtopngAuthError,
    NtopngBadResponse,
    NtopngClient,
    NtopngDeadline,
    NtopngInvalidInterface,
    NtopngNotFound,
    NtopngRequestError,
    NtopngStarting,
    NtopngUnavailable,
)
from tests.fixtures.ntopng.fake_ntopng import FakeNtopng, free_port

pytestmark = pytest.mark.integration


def client(fake: FakeNtopng, **kwargs: float) -> NtopngClient:
    return NtopngClient(fake.url, fake.token, backoff=0.01, **kwargs)  # type: ignore[arg-type]


async def test_reads_interfaces_hosts_host_and_flows(fake_ntopng: FakeNtopng) -> None:
    c = client(fake_ntopng)
    try:
        assert await c.interfaces() == [
            {"ifid": 0, "ifname": "netscope.pcap", "name": "netscope.pcap"},
            {"ifid": 1, "ifname": "lo", "name": "lo"},
        ]
        data = await c.interface_data(0)
        assert data["ifname"] == "netscope.pcap" and data["num_hosts"] == 1244
        hosts = await c.active_hosts(0, mode="local", sort="bytes", per_page=2)
        assert [h["ip"] for h in hosts["data"]] == ["192.168.1.106", "192.168.1.96"]
        host = await c.host_data(0, "192.168.1.10")
        assert host["bytes.sent"] > 0 and host["localhost"] and host["mac"] == "00:16:3E:00:00:00"
        assert {e["label"] for e in await c.host_l7_stats(0, "192.168.1.10")} == {"TLS", "Other"}
        flows = await c.active_flows(0, host="192.168.1.10", per_page=3, sort="bytes", l4proto=6)
        assert len(flows["data"]) == 3 and flows["totalRows"] == 17
        assert all(f["protocol"]["l4"] == "TCP" and f["packets"] > 0 for f in flows["data"])
    finally:
        await c.aclose()
    path, params = fake_ntopng.requests[0]
    assert path == "/get/ntopng/interfaces.lua" and params["_auth"] == f"Token {fake_ntopng.token}"


async def test_basic_auth_when_there_is_no_token(fake_ntopng: FakeNtopng) -> None:
    c = NtopngClient(fake_ntopng.url, "", user=fake_ntopng.user, password=fake_ntopng.password)
    assert len(await c.interfaces()) == 2
    await c.aclose()
    assert fake_ntopng.requests[-1][1]["_auth"].startswith("Basic ")
    c = NtopngClient(fake_ntopng.url, "", user="admin", password="wrong")
    with pytest.raises(NtopngAuthError, match=r"login page.*check NTOPNG_USER \(admin\) and NTOPNG_PASSWORD"):
        await c.interfaces()
    await c.aclose()


async def test_the_start_up_page_is_retried_then_named(fake_ntopng: FakeNtopng) -> None:
    c = client(fake_ntopng, retries=1)
    fake_ntopng.fail("/get/ntopng/interfaces.lua", "starting")
    assert len(await c.interfaces()) == 2
    fake_ntopng.fail("/get/ntopng/interfaces.lua", "starting", times=2)
    with pytest.raises(NtopngStarting, match=r"ntopng is starting .*almost ready.*HTTP 403"):
        await c.interfaces()
    await c.aclose()


async def test_attempts_fit_inside_the_callers_time(fake_ntopng: FakeNtopng) -> None:
    ends = [time.monotonic() + 0.6]
    c = NtopngClient(
        fake_ntopng.url, fake_ntopng.token, timeout=10, retries=5, time_left=lambda: max(0, ends[0] - time.monotonic())
    )
    fake_ntopng.stall()
    with pytest.raises(NtopngDeadline, match=r"did not answer /lua/rest/v2/get/ntopng/interfaces.lua in time"):
        await c.interfaces()
    assert fake_ntopng.hits("/get/ntopng/interfaces.lua") == 1, "no retry once the caller's time is spent"
    fake_ntopng.resume()
    with pytest.raises(NtopngDeadline, match=r"the caller's deadline left no time"):
        await c.interfaces()
    await c.aclose()


async def test_bad_token_is_reported_as_auth_error(fake_ntopng: FakeNtopng) -> None:
    c = NtopngClient(fake_ntopng.url, "wrong-token")
    with pytest.raises(NtopngAuthError, match=r"redirected .* login page: the credentials are missing or refused"):
        await c.interfaces()
    await c.aclose()


async def test_unknown_ifid_and_host(fake_ntopng: FakeNtopng) -> None:
    c = client(fake_ntopng)
    with pytest.raises(NtopngInvalidInterface, match=r"rc=-2 INVALID_INTERFACE.*list the interfaces") as info:
        await c.interface_data(7)
    assert info.value.status == 400
    with pytest.raises(NtopngNotFound, match=r"rc=-1 NOT_FOUND") as found:
        await c.host_data(0, "10.9.9.9")
    assert found.value.status == 404
    with pytest.raises(NtopngNotFound, match=r"flow/active.lua with rc=-1 NOT_FOUND"):
        await c.active_flows(0, host="10.9.9.9")
    await c.aclose()


async def test_rc_error_html_page_and_malformed_json(fake_ntopng: FakeNtopng) -> None:
    c = client(fake_ntopng)
    fake_ntopng.fail("/get/interface/data.lua", "rc_internal")
    with pytest.raises(NtopngRequestError, match=r"rc=-6 INTERNAL_ERROR"):
        await c.interface_data(0)
    fake_ntopng.fail("/get/interface/data.lua", "html500")
    with pytest.raises(NtopngBadResponse, match=r"HTTP 500 and text/html.*not JSON"):
        await c.interface_data(0)
    fake_ntopng.fail("/get/interface/data.lua", "malformed")
    with pytest.raises(NtopngBadResponse, match=r"malformed JSON"):
        await c.interface_data(0)
    assert (await c.interface_data(0))["ifid"] == "0"
    await c.aclose()


async def test_unknown_endpoint_redirect_is_not_found(fake_ntopng: FakeNtopng) -> None:
    c = client(fake_ntopng)
    with pytest.raises(NtopngNotFound, match=r"no REST endpoint /lua/rest/v2/get/nothing.lua"):
        await c.get(f"{REST}/get/nothing.lua", {"ifid": 0})
    await c.aclose()


async def test_idempotent_reads_are_retried(fake_ntopng: FakeNtopng) -> None:
    c = client(fake_ntopng, retries=2)
    fake_ntopng.fail("/get/ntopng/interfaces.lua", "503", times=2)
    assert len(await c.interfaces()) == 2
    assert fake_ntopng.hits("/get/ntopng/interfaces.lua") == 3
    fake_ntopng.fail("/get/ntopng/interfaces.lua", "503", times=3)
    with pytest.raises(NtopngUnavailable, match=r"answered HTTP 503"):
        await c.interfaces()
    await c.aclose()


async def test_timeout_is_reported(fake_ntopng: FakeNtopng) -> None:
    fake_ntopng.slow_seconds = 1.0
    c = client(fake_ntopng, timeout=0.2, retries=1)
    fake_ntopng.fail("/get/ntopng/interfaces.lua", "slow", times=2)
    with pytest.raises(NtopngUnavailable, match=r"did not answer /lua/rest/v2/get/ntopng/interfaces.lua in time"):
        await c.interfaces()
    await c.aclose()


async def test_connection_refused_and_bad_url() -> None:
    c = NtopngClient(f"http://127.0.0.1:{free_port()}", "t", retries=0)
    with pytest.raises(NtopngUnavailable, match=r"cannot reach ntopng at http://127.0.0.1:"):
        await c.interfaces()
    await c.aclose()
    with pytest.raises(ValueError, match=r"must start with http:// or https://"):
        NtopngClient("127.0.0.1:3000", "t")


EXCLUSION = {"type": "host", "alert_addr": "10.0.0.3", "label": "lab", "subdir": "host", "host_alert_key": "-1"}


async def test_exclusions_are_posted_as_json_once(fake_ntopng: FakeNtopng) -> None:
    c = client(fake_ntopng)
    try:
        await c.add_alert_exclusion(EXCLUSION)
        await c.delete_alert_exclusion(EXCLUSION)
        path = f"{PRO_REST}/add/alert/exclusion.lua"
        fake_ntopng.fail(path, "503")
        with pytest.raises(NtopngBadResponse, match=r"HTTP 503"):
            await c.add_alert_exclusion(EXCLUSION)
        assert fake_ntopng.hits(path) == 2, "a POST is never retried"
        with pytest.raises(NtopngRequestError, match=r"rc=-5 INVALID_ARGUMENTS \(Invalid arguments\)") as info:
            await c.add_alert_exclusion({**EXCLUSION, "type": "mac"})
        assert info.value.status == 400
    finally:
        await c.aclose()
    sent = [(p, params) for p, params in fake_ntopng.requests if p.endswith("exclusion.lua")]
    assert sent[0] == (path, {**EXCLUSION, "_auth": f"Token {fake_ntopng.token}"})
    assert sent[1][0] == f"{PRO_REST}/delete/alert/exclusion.lua"


async def test_a_post_that_times_out_says_the_change_is_uncertain(fake_ntopng: FakeNtopng) -> None:
    fake_ntopng.slow_seconds = 1.0
    c = client(fake_ntopng, timeout=0.2)
    fake_ntopng.fail(f"{PRO_REST}/add/alert/exclusion.lua", "slow")
    with pytest.raises(NtopngUnavailable, match=r"did not answer .* in time .*may or may not have been applied"):
        await c.add_alert_exclusion(EXCLUSION)
    await c.aclose()


async def test_a_post_fits_inside_the_callers_time(fake_ntopng: FakeNtopng) -> None:
    ends = [time.monotonic() + 0.6]
    c = NtopngClient(
        fake_ntopng.url, fake_ntopng.token, timeout=10, time_left=lambda: max(0, ends[0] - time.monotonic())
    )
    fake_ntopng.stall()
    started = time.monotonic()
    with pytest.raises(
        NtopngDeadline, match=r"did not answer .*exclusion.lua in time.*may or may not have been applied"
    ):
        await c.add_alert_exclusion(EXCLUSION)
    assert time.monotonic() - started < 5, "cut at the caller's deadline, not at the client's 10 s timeout"
    fake_ntopng.resume()
    with pytest.raises(NtopngDeadline, match=r"the caller's deadline left no time"):
        await c.add_alert_exclusion(EXCLUSION)
    await c.aclose()


async def test_https_to_a_plain_http_ntopng_names_the_fix(fake_ntopng: FakeNtopng) -> None:
    c = NtopngClient(fake_ntopng.url.replace("http://", "https://"), fake_ntopng.token, retries=0)
    with pytest.raises(NtopngUnavailable, match=r"is it plain http\? .*NTOPNG_HOST=http://host:3000"):
        await c.interfaces()
    await c.aclose()
