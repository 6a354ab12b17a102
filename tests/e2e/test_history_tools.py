"""Historical flow tools over MCP on the scenario world: search, rankings, compat fragments, charts."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.e2e.conftest import READ_TOKEN, load_store, mcp_session
from tests.support.processes import NETSCOPE, free_port, running, wait_grpc_serving, wait_http_ok

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def history_url(run_dir: Path, world_dir: Path) -> Iterator[str]:
    """flows (scenario world in chdb) + aggregator; yields the MCP URL."""
    dsn = load_store(world_dir, run_dir / "history-flows")
    flows_port, http_port = free_port(), free_port()
    logs = run_dir / "logs"
    flows_env = {"NETSCOPE_FLOWS_DSN": dsn, "NETSCOPE_FLOWS_PORT": str(flows_port)}
    agg_env = {
        "NETSCOPE_AGGREGATOR_PORT": str(http_port),
        "NETSCOPE_AGGREGATOR_FLOWS_TARGET": f"127.0.0.1:{flows_port}",
        "NETSCOPE_AGGREGATOR_TOKENS": f"reader:read:{READ_TOKEN}",
    }
    with running("flows-history", [*NETSCOPE, "serve", "flows"], flows_env, logs) as flows:
        wait_grpc_serving(f"127.0.0.1:{flows_port}", process=flows)
        with running("aggregator-history", [*NETSCOPE, "serve", "aggregator"], agg_env, logs) as aggregator:
            wait_http_ok(f"http://127.0.0.1:{http_port}/healthz", process=aggregator)
            yield f"http://127.0.0.1:{http_port}/mcp/"


async def test_historical_search_finds_the_exfiltration(history_url: str) -> None:
    async with mcp_session(history_url) as session:
        result = await session.call_tool(
            "get_historical_flow", {"host": "10.1.2.42", "sort": "bytes", "limit": 5, "hours": 48}
        )
        assert not result.is_error, result.content
        flows = result.structured_content["flows"]
        assert flows
        assert all("10.1.2.42" in (f.get("src_ip"), f.get("dst_ip")) for f in flows)
        sizes = [int(f.get("bytes", 0)) for f in flows]
        assert sizes == sorted(sizes, reverse=True)
        bad = await session.call_tool("get_historical_flow", {"host": "10.1.2.300"})
        assert bad.is_error
        assert "10.1.2.300" in bad.content[0].text


async def test_top_talkers_and_compat_top_k(history_url: str) -> None:
    async with mcp_session(history_url) as session:
        top = await session.call_tool("get_flow_top_k", {"dimension": "src_ip", "k": 5, "hours": 48})
        keys = [e["key"] for e in top.structured_content["entries"]]
        assert len(keys) == 5
        assert "top 5 by bytes" in top.structured_content["summary"]
        compat = await session.call_tool(
            "get_ntopng_top-k_flows",
            {"select_keys_clause": "IPV4_SRC_ADDR", "select_values_clause": "TOTAL_BYTES", "maxhits_clause": 5},
        )
        assert not compat.is_error, compat.content
        assert compat.structured_content["columns"] == ["IPV4_SRC_ADDR", "TOTAL_BYTES"]
        assert len(compat.structured_content["rows"]) == 5


async def test_compat_fragments_cannot_smuggle_statements(history_url: str) -> None:
    async with mcp_session(history_url) as session:
        for arguments in (
            {"where_clause": "1) UNION ALL SELECT * FROM file('/etc/passwd') --"},
            {"select_clause": "* FROM flows; DROP TABLE flows; SELECT 1"},
            {"order_by_clause": "1 SETTINGS readonly = 0"},
        ):
            refused = await session.call_tool("query_ntopng_flows_data", arguments)
            assert refused.is_error, arguments
            assert "Traceback" not in refused.content[0].text
        count = await session.call_tool("query_ntopng_database", {"query": "SELECT count() > 0 FROM flows"})
        assert count.structured_content["rows"] == [[1]]


async def test_compat_time_clauses_take_dates_epochs_and_sql(history_url: str) -> None:
    stamp = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    forms = [
        stamp.strftime("%Y-%m-%d %H:%M:%S"),  # UTC when no offset is given
        stamp.astimezone(timezone(timedelta(hours=2))).isoformat(),
        str(int(stamp.timestamp())),
        f"toDateTime({int(stamp.timestamp())})",
    ]
    counts = []
    async with mcp_session(history_url) as session:
        for form in forms:
            answer = await session.call_tool(
                "query_ntopng_flows_data", {"select_clause": "count() AS n", "begin_time_clause": form}
            )
            assert not answer.is_error, (form, answer.content)
            counts.append(answer.structured_content["rows"][0][0])
    assert len(set(counts)) == 1 and counts[0] > 0, dict(zip(forms, counts, strict=True))


async def test_chart_is_a_png_image(history_url: str) -> None:
    async with mcp_session(history_url) as session:
        result = await session.call_tool("chart", {"kind": "top_k", "dimension": "l7_proto", "hours": 48})
        assert not result.is_error, result.content
        image = result.content[0]
        assert image.type == "image"
        assert image.mime_type == "image/png"
        assert base64.b64decode(image.data)[:8] == b"\x89PNG\r\n\x1a\n"


async def test_protocols_time_series_and_exporters(history_url: str) -> None:
    async with mcp_session(history_url) as session:
        protos = await session.call_tool("list_protos", {"name_contains": "DNS"})
        assert {"id": 5, "name": "DNS"} in protos.structured_content["protocols"]
        series = await session.call_tool("get_flow_time_series", {"hours": 24, "bucket_seconds": 3600})
        points = series.structured_content["series"][0]["points"]
        assert 20 <= len(points) <= 25
        exporters = await session.call_tool("get_ntopng_flow_devices_stats", {"hours": 48})
        assert exporters.structured_content["exporters"]
        assert exporters.structured_content["exporters"][0]["interfaces"]


async def test_country_ranking_names_unknown_countries_readably(history_url: str) -> None:
    async with mcp_session(history_url) as session:
        top = await session.call_tool("get_flow_top_k", {"dimension": "src_country", "k": 20, "hours": 48})
    keys = [e["key"] for e in top.structured_content["entries"]]
    assert keys
    assert all("\x00" not in key for key in keys)
    assert all(len(key) == 2 or key == "unknown" for key in keys)


async def test_an_answer_over_the_byte_cap_loses_rows_not_the_session(history_url: str) -> None:
    """200 rows over 1 MiB even as compact JSON (the official client's event limit) are cut to the cap."""
    cap = 256 * 1024
    async with mcp_session(history_url) as session:
        wide = "SELECT *, repeat('x', 8000) AS padding FROM flows, flows"
        answer = await session.call_tool("query_ntopng_database", {"query": wide})
        assert not answer.is_error, answer.content
        data = answer.structured_content
        assert data["truncated"] is True
        assert 0 < len(data["rows"]) < 200
        assert data["row_count"] == len(data["rows"])
        reason = data["truncated_reason"]
        assert "narrow the question" in reason and "WHERE" in reason
        original = int(re.search(r"rows: (\d+) bytes exceed", reason)[1])  # type: ignore[index]
        assert original > 1024 * 1024, reason
        assert len(answer.model_dump_json(by_alias=True, exclude_none=True)) <= cap
        after = await session.call_tool("query_ntopng_database", {"query": "SELECT count() > 0 FROM flows"})
        assert after.structured_content["rows"] == [[1]]
