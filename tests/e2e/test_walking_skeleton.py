"""MCP client → aggregator → flows service → chdb and back, over real HTTP and gRPC."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.e2e.conftest import ADMIN_TOKEN, Stack, mcp_session
from tests.support.seed_flows import EXFIL_DST, EXFIL_SRC, ROWS

pytestmark = pytest.mark.e2e


async def test_lists_flow_tools_with_annotations(stack: Stack) -> None:
    async with mcp_session(stack.mcp_url) as session:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        for name in ("query_ntopng_database", "list_tables_ntopng_database", "describe_table", "query"):
            assert name in tools
        assert tools["query_ntopng_database"].annotations.read_only_hint is True
        assert tools["query_ntopng_database"].output_schema is not None


async def test_query_returns_rows_from_chdb(stack: Stack) -> None:
    async with mcp_session(stack.mcp_url) as session:
        result = await session.call_tool(
            "query_ntopng_database",
            {
                "query": "SELECT IPv4NumToString(IPV4_SRC_ADDR) AS src, IPv4NumToString(IPV4_DST_ADDR) AS dst, "
                "sum(TOTAL_BYTES) AS bytes FROM flows GROUP BY src, dst ORDER BY bytes DESC LIMIT 3"
            },
        )
        assert not result.is_error, result.content
        answer = result.structured_content
        assert answer["columns"] == ["src", "dst", "bytes"]
        assert answer["rows"][0] == [EXFIL_SRC, EXFIL_DST, 500_000_000]
        assert answer["truncated"] is False


async def test_row_cap_says_truncated(stack: Stack) -> None:
    async with mcp_session(stack.mcp_url) as session:
        result = await session.call_tool(
            "query_ntopng_database", {"query": "SELECT FLOW_ID FROM flows", "max_rows": 10}
        )
        assert result.structured_content["row_count"] == 10
        assert result.structured_content["truncated"] is True


async def test_list_and_describe_tables(stack: Stack) -> None:
    async with mcp_session(stack.mcp_url) as session:
        tables = (await session.call_tool("list_tables_ntopng_database", {})).structured_content
        by_name = {t["name"]: t for t in tables["tables"]}
        assert by_name["flows"]["total_rows"] == ROWS
        described = (await session.call_tool("describe_table", {"table": "flows"})).structured_content
        columns = {c["name"]: c for c in described["columns"]}
        assert columns["IPV4_SRC_ADDR"]["type"] == "UInt32"
        assert "IPv4NumToString" in columns["IPV4_SRC_ADDR"]["comment"]
        missing = await session.call_tool("describe_table", {"table": "nope"})
        assert missing.is_error
        assert "table 'nope' does not exist; tables: " in missing.content[0].text
        assert "flows" in missing.content[0].text


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("DROP TABLE flows", "DROP statements change data or schema"),
        ("INSERT INTO flows (FLOW_ID) VALUES (1)", "INSERT statements change data or schema"),
        ("ALTER TABLE flows DELETE WHERE 1", "ALTER statements change data or schema"),
        ("SELECT 1; DROP TABLE flows", "multi-statement SQL is not allowed"),
        ("SELECT * FROM flows INTO OUTFILE '/tmp/x'", "SQL could not be parsed"),
        ("SELECT * FROM file('/etc/passwd', 'TSV')", "function file() reaches files"),
        ("SELECT * FROM url('http://127.0.0.1:9/x', 'TSV')", "function url() reaches files"),
        ("SELECT 1 SETTINGS readonly = 0", "SETTINGS and FORMAT clauses are not allowed"),
    ],
)
async def test_hostile_sql_is_a_clear_tool_error_and_changes_nothing(stack: Stack, sql: str, expected: str) -> None:
    async with mcp_session(stack.mcp_url) as session:
        result = await session.call_tool("query_ntopng_database", {"query": sql})
        assert result.is_error
        assert expected in result.content[0].text
        assert "Traceback" not in result.content[0].text
        count = await session.call_tool("query_ntopng_database", {"query": "SELECT count() FROM flows"})
        assert count.structured_content["rows"] == [[ROWS]]


async def test_engine_error_is_actionable(stack: Stack) -> None:
    async with mcp_session(stack.mcp_url) as session:
        result = await session.call_tool("query_ntopng_database", {"query": "SELECT no_such_column FROM flows"})
        assert result.is_error
        assert "the database rejected the query" in result.content[0].text
        assert "no_such_column" in result.content[0].text


async def test_slow_query_is_cut_at_its_time_limit(stack: Stack) -> None:
    async with mcp_session(stack.mcp_url) as session:
        result = await session.call_tool(
            "query_ntopng_database",
            {"query": "SELECT count() FROM numbers(100000000000) WHERE sipHash64(number) = 1"},
        )
        assert result.is_error
        assert "time limit" in result.content[0].text


async def test_out_of_bounds_argument_is_rejected_by_schema(stack: Stack) -> None:
    async with mcp_session(stack.mcp_url) as session:
        result = await session.call_tool("query_ntopng_database", {"query": "SELECT 1", "max_rows": 10**9})
        assert result.is_error
        assert "max_rows" in result.content[0].text


def test_missing_or_wrong_token_is_401(stack: Stack) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    assert httpx.post(stack.mcp_url, json=body, headers=headers).status_code == 401
    wrong = {**headers, "Authorization": "Bearer not-a-valid-token"}
    reply = httpx.post(stack.mcp_url, json=body, headers=wrong)
    assert reply.status_code == 401
    assert "missing or invalid token" in reply.json()["error"]


async def test_bearer_scheme_works_too(stack: Stack) -> None:
    async with mcp_session(stack.mcp_url, ADMIN_TOKEN, scheme="Bearer") as client:
        assert (await client.call_tool("list_tables_ntopng_database", {})).is_error is False


def test_health_readiness_and_metrics(stack: Stack) -> None:
    assert httpx.get(f"{stack.base_url}/healthz").json() == {"status": "ok"}
    # /readyz gives each health check 2 s: on a loaded machine one answer may miss that, so ask until flows
    # is seen serving (it reported SERVING before the aggregator started), within a generous bound
    deadline = time.monotonic() + 60
    while not (ready := httpx.get(f"{stack.base_url}/readyz", timeout=10)).json()["services"]["flows"]["serving"]:
        assert time.monotonic() < deadline, ready.json()
        time.sleep(0.2)
    assert ready.status_code == 503  # only flows runs in this stack
    assert ready.json()["ready"] is False
    assert ready.json()["services"]["alerts"]["serving"] is False
    assert ready.json()["services"]["alerts"]["reason"].startswith("UNAVAILABLE"), ready.json()
    metrics = httpx.get(f"{stack.base_url}/metrics")
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    assert "# TYPE netscope_" in metrics.text


async def test_dead_flows_service_is_a_fast_tool_error_naming_it(run_dir) -> None:  # type: ignore[no-untyped-def]
    from tests.support.processes import NETSCOPE, free_port, running, wait_http_ok

    port = free_port()
    env = {
        "NETSCOPE_AGGREGATOR_PORT": str(port),
        "NETSCOPE_AGGREGATOR_FLOWS_TARGET": f"127.0.0.1:{free_port()}",  # nothing listens there
        "NETSCOPE_AGGREGATOR_TOKENS": f"reader:read:{ADMIN_TOKEN}",
        "NETSCOPE_AGGREGATOR_CALL_TIMEOUT_SECONDS": "5",
    }
    with running("aggregator-dead-flows", [*NETSCOPE, "serve", "aggregator"], env, run_dir / "logs") as agg:
        wait_http_ok(f"http://127.0.0.1:{port}/healthz", process=agg)
        async with mcp_session(f"http://127.0.0.1:{port}/mcp/", ADMIN_TOKEN) as session:
            started = time.monotonic()
            result = await session.call_tool("query_ntopng_database", {"query": "SELECT 1"})
            elapsed = time.monotonic() - started
    assert result.is_error
    assert "the flows service is unavailable" in result.content[0].text
    assert "retry" in result.content[0].text
    assert elapsed < 5


async def test_whole_hostile_corpus_runs_nothing_against_the_store(stack: Stack) -> None:
    import grpc

    from netscope.flows.v1 import flows_pb2, flows_pb2_grpc
    from tests.support.hostile_sql import HOSTILE_SQL

    async with grpc.aio.insecure_channel(stack.flows_target) as channel:
        stub = flows_pb2_grpc.FlowsServiceStub(channel)
        before = await stub.ListTables(flows_pb2.ListTablesRequest(), timeout=10)
        for sql in HOSTILE_SQL:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub.Query(flows_pb2.QueryRequest(sql=sql), timeout=10)
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, sql
        after = await stub.ListTables(flows_pb2.ListTablesRequest(), timeout=10)
        literal = await stub.Query(flows_pb2.QueryRequest(sql="SELECT '\\'; DROP TABLE flows; --'"), timeout=10)
    assert [(t.name, t.total_rows) for t in after.tables] == [(t.name, t.total_rows) for t in before.tables]
    assert literal.table.rows[0].values[0].string_value == "'; DROP TABLE flows; --"
