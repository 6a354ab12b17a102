"""Live settings: mcp-ntopng's variables, URL building and paging validation."""

from __future__ import annotations

import pytest

from netscope.common.v1 import common_pb2
from netscope_common.errors import InvalidArgument
from netscope_live.paging import next_token, page_bounds
from netscope_live.settings import LiveSettings


def test_mcp_ntopng_variables_are_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NTOPNG_HOST", "ntopng.lan")
    monkeypatch.setenv("NTOPNG_API_KEY", "secret-token")
    monkeypatch.setenv("NETSCOPE_LIVE_SOURCE", "ntopng")
    settings = LiveSettings()
    assert settings.source == "ntopng" and settings.ntopng_api_key.get_secret_value() == "secret-token"
    assert settings.ntopng_url() == "https://ntopng.lan"
    monkeypatch.setenv("NTOPNG_SECURE", "false")
    assert LiveSettings().ntopng_url() == "http://ntopng.lan:3000"
    monkeypatch.setenv("NTOPNG_HOST", "http://127.0.0.1:3001/")
    assert LiveSettings().ntopng_url() == "http://127.0.0.1:3001"


def test_basic_auth_variables_build_a_basic_auth_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NTOPNG_HOST", "http://127.0.0.1:3001")
    monkeypatch.setenv("NTOPNG_USER", "operator")
    monkeypatch.setenv("NTOPNG_PASSWORD", "s3cret")
    settings = LiveSettings()
    assert settings.ntopng_user == "operator" and settings.ntopng_password.get_secret_value() == "s3cret"
    client = settings.ntopng_client()
    assert "NTOPNG_USER (operator)" in client.credentials and "s3cret" not in repr(settings)
    monkeypatch.setenv("NTOPNG_API_KEY", "a-token")
    assert "NTOPNG_API_KEY" in LiveSettings().ntopng_client().credentials  # a token wins over the password


def test_missing_ntopng_host_is_explained() -> None:
    with pytest.raises(ValueError, match="NETSCOPE_LIVE_SOURCE=ntopng needs NTOPNG_HOST"):
        LiveSettings(source="ntopng", ntopng_host="")


def test_a_bad_local_network_is_named() -> None:
    with pytest.raises(ValueError, match=r"'10\.0\.0\.0/33' is not a network such as 10\.0\.0\.0/8"):
        LiveSettings(local_networks=["192.168.0.0/16", "10.0.0.0/33"])


def test_page_tokens() -> None:
    assert page_bounds(common_pb2.PageRequest()) == (0, 50)
    assert page_bounds(common_pb2.PageRequest(page_size=10, page_token="30")) == (30, 10)
    assert next_token(30, 10, 41) == "40" and next_token(30, 10, 40) == ""
    with pytest.raises(InvalidArgument, match="not a token this service issued") as err:
        page_bounds(common_pb2.PageRequest(page_token="-1"))
    assert err.value.field == "page.page_token"
