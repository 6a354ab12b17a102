"""Bytes per answer of every tool on the demo: the text as the aggregator sends it (compact JSON) against the same
answer indented as the mcp SDK renders a tool's return value (indent=2), and the whole answer on the wire.

Starts `netscope demo` (24 h of simulated history) on free ports and calls every listed tool once through the
official mcp client with the arguments of tests/e2e/every_tool.py (write tools: the preview only, nothing is
changed). Tokens are estimated as bytes / 4.

Run: uv run python -m benchmarks.answer_bytes [--hours 24]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path
from typing import Any

import pydantic_core
from mcp import ClientSession
from mcp.types import CallToolResult, TextContent

from tests.e2e.every_tool import WRITE_TOOLS, _discover, read_arguments
from tests.support.demo import running_demo
from tests.support.stack import mcp_session

TOKEN = "answer-bytes-token-0123456789"


def write_previews(found: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Arguments of each write tool's first call, which answers a preview and changes nothing."""
    return {
        "add_host_alert_exclusion": {"value": "10.99.0.1", "comment": "bench"},
        "add_domain_alert_exclusion": {"value": "bench.example", "comment": "bench"},
        "add_certificate_alert_exclusion": {"value": "bench.example", "comment": "bench"},
        "create_ai_policy": {
            "name": "bench-upload",
            "rule": "upload_volume",
            "host_cidrs": [found["host"] + "/32"],
            "min_bytes": 10**9,
        },
        "add_active_monitoring_script": {"kind": "tcp_connect", "host": "127.0.0.1", "port": 9},
        "remove_active_monitoring_script": {"monitor_id": "bench"},
        "add_snmp_device": {"device_id": "bench-dev", "address": "127.0.0.1", "port": 9, "community": "bench"},
        "remove_snmp_device": {"device": found["device"]},
    }


def sizes(result: CallToolResult) -> tuple[int, int, int, int]:
    """Text bytes sent, text bytes indented as the SDK renders it, whole answer sent, whole answer indented."""
    text = sum(len(block.text.encode()) for block in result.content if isinstance(block, TextContent))
    wire = len(result.model_dump_json(by_alias=True, exclude_none=True).encode())
    data = result.structured_content
    if data is None:
        return text, text, wire, wire
    shown = data["result"] if list(data) == ["result"] else data
    indented = text if isinstance(shown, str) else len(pydantic_core.to_json(shown, fallback=str, indent=2))
    return text, indented, wire, wire - text + indented


async def measure(session: ClientSession) -> None:
    """One call per listed tool; a table of bytes per answer and the totals."""
    listed = sorted(tool.name for tool in (await session.list_tools()).tools)
    found = await _discover(session)
    arguments = read_arguments(found) | write_previews(found)
    print("| tool | text bytes, indented (before) | text bytes, compact (after) | answer bytes before | after |")
    print("|---|---:|---:|---:|---:|")
    totals = [0, 0, 0, 0]
    for name in listed:
        result = await session.call_tool(name, arguments.get(name, {}))
        assert not result.is_error or name in WRITE_TOOLS, (name, result.content)
        text, indented, wire, wire_before = sizes(result)
        for index, value in enumerate((indented, text, wire_before, wire)):
            totals[index] += value
        print(f"| {name} | {indented:,} | {text:,} | {wire_before:,} | {wire:,} |")
    before, after, wire_before, wire_after = totals
    print(
        f"| **all {len(listed)} tools** | **{before:,}** | **{after:,}** | **{wire_before:,}** | **{wire_after:,}** |"
    )
    print(
        f"\ntext: {before:,} -> {after:,} bytes ({1 - after / before:.1%} less), about {(before - after) // 4:,} "
        f"tokens saved over one call of every tool (bytes / 4); whole answers {1 - wire_after / wire_before:.1%} less"
    )


async def run(url: str) -> None:
    async with mcp_session(url, TOKEN) as session:
        await measure(session)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", type=float, default=24.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with running_demo(root / "demo", root, TOKEN, hours=args.hours, ready_timeout=900) as demo:
            asyncio.run(run(demo.url))


if __name__ == "__main__":
    main()
