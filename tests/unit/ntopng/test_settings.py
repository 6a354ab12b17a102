"""NTOPNG_* read one way: the REST base URL rules, their errors, and the same answer in every service."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from netscope_alerts.settings import AlertsSettings
from netscope_flows.settings import FlowsSettings
from netscope_live.settings import LiveSettings
from netscope_ntopng.settings import host_name, rest_base_url


@pytest.mark.parametrize(
    ("host", "secure", "url"),
    [
        # no scheme: https as mcp-ntopng builds it (https://NTOPNG_HOST), port as given or 443
        ("ntop.example.com", None, "https://ntop.example.com"),
        ("ntop.example.com:3000", None, "https://ntop.example.com:3000"),
        ("ntop.example.com", True, "https://ntop.example.com"),
        # NTOPNG_SECURE=false: http, on ntopng's default port 3000 unless one is given
        ("ntop.example.com", False, "http://ntop.example.com:3000"),
        ("ntop.example.com:8080", False, "http://ntop.example.com:8080"),
        ("[fd00::5]", False, "http://[fd00::5]:3000"),
        # a scheme: as written, NTOPNG_SECURE ignored, trailing slash dropped, a proxy's path prefix kept
        ("https://ntop.example.com", False, "https://ntop.example.com"),
        ("http://10.0.0.5:3000/", None, "http://10.0.0.5:3000"),
        ("http://ntop.example.com", None, "http://ntop.example.com"),
        (" HTTPS://proxy.example.com/ntopng/ ", None, "https://proxy.example.com/ntopng"),
    ],
)
def test_rest_base_url(host: str, secure: bool | None, url: str) -> None:
    assert rest_base_url(host, secure) == url


@pytest.mark.parametrize(
    ("host", "error"),
    [
        ("", "NTOPNG_HOST is empty: set it to ntopng's web address"),
        ("ftp://ntop.example.com", "the scheme must be http or https"),
        ("ntop.example.com:http", "the port must be a number from 1 to 65535"),
        ("ntop.example.com:70000", "the port must be a number from 1 to 65535"),
        ("ntop.example.com:0", "the port must be a number from 1 to 65535"),
        ("fd00::5", r"write an IPv6 address in brackets, e.g. \[fd00::5\]:3000"),
        ("https://admin:secret@ntop.example.com", "carries credentials: put ntopng's token in NTOPNG_API_KEY"),
        ("http://ntop.example.com/?ifid=0", "no query or fragment is allowed"),
        ("http://:3000", "names no host"),
    ],
)
def test_bad_hosts_say_what_is_accepted(host: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        rest_base_url(host)


def test_host_name_is_the_host_alone() -> None:
    assert [
        host_name(h) for h in ("ntop.example.com", "ntop.example.com:3000", "http://10.0.0.5:3000/", "[fd00::5]:3000")
    ] == ["ntop.example.com", "ntop.example.com", "10.0.0.5", "fd00::5"]


def test_live_and_alerts_read_the_same_variables_the_same_way(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NTOPNG_HOST", "ntop.example.com")
    monkeypatch.setenv("NTOPNG_SECURE", "false")
    monkeypatch.setenv("NTOPNG_VERIFY", "false")
    monkeypatch.setenv("NTOPNG_API_KEY", "secret-token")
    monkeypatch.setenv("NETSCOPE_LIVE_NTOPNG_TIMEOUT_SECONDS", "3")
    for settings in (LiveSettings(), AlertsSettings()):
        assert settings.ntopng_url() == "http://ntop.example.com:3000"
        assert not settings.ntopng_verify and settings.ntopng_api_key.get_secret_value() == "secret-token"
    assert LiveSettings().ntopng_timeout_seconds == 3 and AlertsSettings().ntopng_timeout_seconds == 10
    client = LiveSettings().ntopng_client(retries=0)
    assert client.base_url == "http://ntop.example.com:3000" and client.retries == 0


def test_a_bad_ntopng_host_fails_at_settings_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NTOPNG_HOST", "ftp://ntop.example.com")
    with pytest.raises(ValidationError, match=r"NTOPNG_HOST 'ftp://ntop\.example\.com': the scheme must be http"):
        AlertsSettings()


def test_flows_takes_the_clickhouse_host_alone_from_ntopng_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NTOPNG_HOST", "https://ntop.example.com:3000/")
    assert FlowsSettings().ch_host == "ntop.example.com"
