"""Bad settings stop a service with a line naming each environment variable and its rule, not a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest
from pydantic import SecretStr
from pydantic_settings import BaseSettings

from netscope_alerts.settings import AlertsSettings
from netscope_common.settings import load_settings
from netscope_flows.settings import FlowsSettings
from tests.support.processes import NETSCOPE


def _serve(service: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`netscope serve SERVICE` with `env`, until it exits."""
    return subprocess.run([*NETSCOPE, "serve", service], env=env, capture_output=True, text=True, timeout=60)


def test_each_bad_variable_is_named_with_its_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETSCOPE_FLOWS_SQL_TIME_LIMIT_SECONDS", "-1")  # field read by its prefixed name
    monkeypatch.setenv("NTOPNG_DBPORT", "ninety")  # field read through mcp-ntopng's alias
    with pytest.raises(SystemExit) as stop:
        load_settings(FlowsSettings, "flows")
    message = str(stop.value.code)
    assert message.startswith("invalid flows settings: ")
    assert "NETSCOPE_FLOWS_SQL_TIME_LIMIT_SECONDS: Input should be greater than or equal to 0" in message
    assert "NETSCOPE_FLOWS_CH_PORT or NTOPNG_DBPORT: Input should be a valid integer" in message


def test_a_bad_secret_is_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETSCOPE_FLOWS_QUERY_TIMEOUT_SECONDS", "s3cret-not-a-number")
    with pytest.raises(SystemExit) as stop:
        load_settings(FlowsSettings, "flows")
    assert "s3cret" not in str(stop.value.code)
    assert "NETSCOPE_FLOWS_QUERY_TIMEOUT_SECONDS or SELECT_QUERY_TIMEOUT_SECS: Input should be a valid number" in str(
        stop.value.code
    )


def test_good_settings_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETSCOPE_FLOWS_CH_PASSWORD", "r")
    assert load_settings(FlowsSettings, "flows").ch_password == SecretStr("r")


@pytest.mark.parametrize(
    ("service", "variable"),
    [
        ("flows", "NETSCOPE_FLOWS_SQL_TIME_LIMIT_SECONDS"),
        ("alerts", "NETSCOPE_ALERTS_PORT"),
        ("snmp", "NETSCOPE_SNMP_PORT"),
        ("live", "NETSCOPE_LIVE_PORT"),
        ("aggregator", "NETSCOPE_AGGREGATOR_PORT"),
    ],
)
def test_netscope_serve_refuses_a_bad_variable_in_one_line(service: str, variable: str) -> None:
    env = {**os.environ, variable: "-1"}
    done = _serve(service, env)
    assert done.returncode == 1
    assert f"invalid {service} settings: {variable}: Input should be greater than or equal to 0" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_source_without_what_it_needs_stops_live_in_one_line() -> None:
    env = {**os.environ, "NETSCOPE_LIVE_SOURCE": "probe"}
    done = _serve("live", env)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "invalid live settings: Value error, NETSCOPE_LIVE_SOURCE=probe needs exactly one of "
        "NETSCOPE_LIVE_PROBE_PCAP (a capture file) or NETSCOPE_LIVE_PROBE_INTERFACE (an interface name)"
    )


def test_a_bad_token_entry_stops_the_aggregator_in_one_line() -> None:
    env = {**os.environ, "NETSCOPE_AGGREGATOR_TOKENS": "alice:alice-token-1:read"}
    done = _serve("aggregator", env)
    assert done.returncode == 1
    assert done.stderr.strip() == "invalid aggregator settings: the role of token 'alice' must be read, write or admin"


def test_a_json_variable_that_does_not_parse_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVICE_PORTS", "{8801: Zoom}")
    with pytest.raises(SystemExit) as stop:
        load_settings(FlowsSettings, "flows")
    assert str(stop.value.code) == (
        "invalid flows settings: NETSCOPE_FLOWS_SERVICE_PORTS or SERVICE_PORTS: not valid JSON "
        "(Expecting property name enclosed in double quotes: line 1 column 2 (char 1))"
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("/nonexistent/interfaces.yaml", "cannot read /nonexistent/interfaces.yaml: No such file or directory"),
        ('{"1": {"name": "WAN-1", "capacity_mbps": "ten"}}', "capacity_mbps must be a number of megabits per second"),
        ('{"1": ', "not valid JSON"),
    ],
)
def test_an_unusable_interface_map_stops_the_service_at_start(
    monkeypatch: pytest.MonkeyPatch, text: str, problem: str
) -> None:
    monkeypatch.setenv("NETSCOPE_FLOWS_INTERFACE_MAP", text)
    with pytest.raises(SystemExit) as stop:
        load_settings(FlowsSettings, "flows")
    assert str(stop.value.code).startswith("invalid flows settings: NETSCOPE_FLOWS_INTERFACE_MAP: Value error, ")
    assert problem in str(stop.value.code)


@pytest.mark.parametrize(
    ("settings_class", "variable", "value", "problem"),
    [
        (AlertsSettings, "NETSCOPE_ALERTS_DSN", "https://reader:s3cret@[::1:8443/ntopng", "Invalid IPv6 URL"),
        (AlertsSettings, "NETSCOPE_ALERTS_WRITER_DSN", "ftp://writer:s3cret@db/ntopng", "not a store address"),
        (AlertsSettings, "NETSCOPE_ALERTS_DSN", "https://reader:s3cret@db:eighty/ntopng", "not a store address"),
        (FlowsSettings, "NETSCOPE_FLOWS_DSN", "https://reader:s3cret@db:8443/ntopng", "names the embedded store only"),
    ],
)
def test_a_store_address_that_cannot_be_used_is_refused_without_its_password(
    monkeypatch: pytest.MonkeyPatch, settings_class: type[BaseSettings], variable: str, value: str, problem: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SystemExit) as stop:
        load_settings(settings_class, "store")
    message = str(stop.value.code)
    assert f"{variable}: Value error, " in message and problem in message
    assert "s3cret" not in message and "reader" not in message and "writer:" not in message


@pytest.mark.parametrize(
    "dsn", ["", "chdb:///var/lib/netscope/alerts", "chdb://memory", "chdb://relative", "http://u:p@ch:8123/ntopng"]
)
def test_usable_store_addresses_pass(dsn: str) -> None:
    assert AlertsSettings(dsn=dsn).dsn == dsn


@pytest.mark.parametrize("variable", ["NETSCOPE_ALERTS_PORT", "NETSCOPE_ALERTS_METRICS_PORT"])
def test_a_port_in_use_stops_the_service_naming_its_setting(tmp_path: Path, variable: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        env = {
            **os.environ,
            "NETSCOPE_ALERTS_DSN": f"chdb://{tmp_path / 'alerts'}",
            "NETSCOPE_ALERTS_PORT": "0",
            variable: str(busy),
        }
        done = _serve("alerts", env)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]  # gRPC's own core may log the bind error first
    assert last.startswith("cannot start the alerts service: cannot ") and f"127.0.0.1:{busy}" in last
    assert last.endswith(variable if variable.endswith("METRICS_PORT") else f"{variable} or NETSCOPE_ALERTS_HOST")
    assert "Traceback" not in done.stderr
