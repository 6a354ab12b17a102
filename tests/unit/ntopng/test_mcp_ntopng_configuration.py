"""mcp-ntopng's configuration works unchanged: a .env file, NTOPNG_HOST + NTOPNG_DB* choosing the ClickHouse
server, explicit NETSCOPE_* winning, native ports mapped to HTTP (variables: tests/compat/upstream/mcp_ntopng.json)."""

from __future__ import annotations

from pathlib import Path

import pytest

from netscope_aggregator.settings import AggregatorSettings
from netscope_alerts.settings import AlertsSettings
from netscope_flows.settings import FlowsSettings
from netscope_flows.store import server_client_kwargs
from netscope_live.settings import LiveSettings
from netscope_ntopng.clickhouse import http_port

MCP_NTOPNG_ENV = """\
NTOPNG_HOST=ntop.example.com
NTOPNG_API_KEY=token-from-dotenv
NTOPNG_DBUSER=reader
NTOPNG_DBPASSWORD=p@ss:word
NTOPNG_DBPORT=9000
"""


@pytest.fixture
def dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("NTOPNG_HOST", "NTOPNG_API_KEY", "NTOPNG_DBUSER", "NTOPNG_DBPASSWORD", "NTOPNG_DBPORT"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / ".env").write_text(MCP_NTOPNG_ENV)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_dotenv_selects_the_server_in_flows_and_alerts(dotenv: Path) -> None:
    flows = FlowsSettings()
    assert not flows.is_embedded and flows.ch_host == "ntop.example.com" and flows.ch_user == "reader"
    kwargs = server_client_kwargs(flows)
    assert kwargs["port"] == 8123 and kwargs["database"] == "ntopng"
    assert "native protocol port" in flows.ch_http_port[1]
    alerts = AlertsSettings()
    assert alerts.dsn == "http://reader:p%40ss%3Aword@ntop.example.com:8123/ntopng"
    assert alerts.database == "ntopng" and "8123" in alerts.clickhouse_port_note


def test_the_api_key_reaches_both_services_that_call_ntopng(dotenv: Path) -> None:
    for settings in (LiveSettings(), AlertsSettings()):
        assert settings.ntopng_api_key.get_secret_value() == "token-from-dotenv"
        assert settings.ntopng_url() == "https://ntop.example.com"


def test_environment_wins_over_the_file_and_an_explicit_dsn_wins_over_ntopng(
    dotenv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NTOPNG_DBUSER", "from-env")
    assert FlowsSettings().ch_user == "from-env"
    monkeypatch.setenv("NETSCOPE_FLOWS_DSN", "chdb:///tmp/flows")
    monkeypatch.setenv("NETSCOPE_ALERTS_DSN", "chdb:///tmp/alerts")
    assert FlowsSettings().dsn == "chdb:///tmp/flows"
    assert AlertsSettings().dsn == "chdb:///tmp/alerts"


def test_ntopng_host_alone_keeps_the_embedded_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("NTOPNG_DBUSER", "NTOPNG_DBPASSWORD", "NTOPNG_DBPORT", "NTOPNG_DBNAME", "NETSCOPE_FLOWS_DSN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NTOPNG_HOST", "ntop.example.com")
    assert FlowsSettings().is_embedded
    assert AlertsSettings().dsn.startswith("chdb://")


@pytest.mark.parametrize(
    ("port", "secure", "mapped", "noted"),
    [(None, False, 8123, False), (None, True, 8443, False), (9000, False, 8123, True), (9440, True, 8443, True),
     (18123, False, 18123, False)],
)  # fmt: skip
def test_native_ports_map_to_http(port: int | None, secure: bool, mapped: int, noted: bool) -> None:
    assert http_port(port, secure)[0] == mapped
    assert bool(http_port(port, secure)[1]) is noted


def test_the_aggregator_reads_the_dotenv_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NETSCOPE_AGGREGATOR_CALL_TIMEOUT_SECONDS", raising=False)
    (tmp_path / ".env").write_text("NETSCOPE_AGGREGATOR_CALL_TIMEOUT_SECONDS=7\n")
    monkeypatch.chdir(tmp_path)
    assert AggregatorSettings().call_timeout_seconds == 7
