"""Which ClickHouse credentials and limits each flows client and assistant SQL get."""

from __future__ import annotations

from pydantic import SecretStr

from netscope_flows.clickhouse_sql import sql_limits
from netscope_flows.settings import FlowsSettings
from netscope_flows.store import server_client_kwargs


def _server(**overrides: object) -> FlowsSettings:
    values: dict[str, object] = {"dsn": "", "ch_user": "reader", "ch_password": SecretStr("r"), **overrides}
    return FlowsSettings.model_validate(values)


def test_the_reader_carries_no_session_and_the_writer_is_its_own_user() -> None:
    settings = _server(ch_writer_user="writer", ch_writer_password=SecretStr("w"))
    reader, writer = server_client_kwargs(settings), server_client_kwargs(settings, writer=True)
    assert (reader["username"], reader["password"], reader["autogenerate_session_id"]) == ("reader", "r", False)
    assert (writer["username"], writer["password"]) == ("writer", "w")
    assert settings.can_write


def test_without_writer_credentials_a_server_store_serves_reads_only() -> None:
    assert not _server().can_write
    assert FlowsSettings.model_validate({"dsn": "chdb:///tmp/x"}).can_write  # the embedded store always writes


def test_one_lane_cuts_assistant_sql_within_the_wait_bound() -> None:
    embedded = FlowsSettings.model_validate({"dsn": "chdb:///tmp/x", "sql_concurrency": 8, "sql_wait_seconds": 7})
    assert embedded.sql_lanes == 1  # chdb runs one query at a time
    assert embedded.sql_time_limit == 6  # the wait bound less a second
    assert sql_limits(embedded).slots == 1
    assert sql_limits(embedded).per_token_running == 1
    server = _server(sql_concurrency=4, sql_wait_seconds=7, query_timeout_seconds=30)
    assert (server.sql_lanes, server.sql_time_limit) == (4, 30)
    set_limit = FlowsSettings.model_validate(
        {"dsn": "chdb:///tmp/x", "sql_wait_seconds": 6, "sql_time_limit_seconds": 2}
    )
    assert set_limit.sql_time_limit == 2  # an operator's own limit wins
    assert (sql_limits(server).slots, sql_limits(server).per_token_running) == (4, 2)
