"""The official MCP Inspector CLI (from the npm registry) lists and calls netscope's tools over HTTP."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from tests.e2e.conftest import READ_TOKEN, Stack

pytestmark = pytest.mark.e2e
INSPECTOR = "@modelcontextprotocol/inspector@2.12.0"


def _inspector(stack: Stack, *args: str) -> dict:
    npx = shutil.which("npx")
    assert npx, "npx (Node.js) is needed for the MCP Inspector CLI"
    command = [
        npx,
        "-y",
        INSPECTOR,
        "--cli",
        stack.mcp_url,
        "--transport",
        "http",
        "--header",
        f"Authorization: Bearer {READ_TOKEN}",
        *args,
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=240, env={**os.environ, "MCP_CATALOG_PATH": os.devnull}
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_inspector_lists_and_calls_tools(stack: Stack) -> None:
    listed = _inspector(stack, "--method", "tools/list")
    names = {tool["name"] for tool in listed["tools"]}
    assert {"query_ntopng_database", "list_tables_ntopng_database", "search_docs"} <= names
    called = _inspector(
        stack,
        "--method",
        "tools/call",
        "--tool-name",
        "query_ntopng_database",
        "--tool-arg",
        "query=SELECT count() AS n FROM flows",
    )
    assert called.get("isError") in (None, False), called
    assert called["structuredContent"]["columns"] == ["n"]
    assert called["structuredContent"]["rows"][0][0] > 0
