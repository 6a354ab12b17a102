"""README.md and docs/tools.md name every tool the aggregator serves, and nothing it does not."""

from __future__ import annotations

import re
from pathlib import Path

from netscope_aggregator.app import build_catalog
from netscope_aggregator.backends import Backends
from netscope_aggregator.reference import render
from netscope_aggregator.settings import AggregatorSettings

ROOT = Path(__file__).resolve().parents[3]


def _readme_tool_names() -> set[str]:
    section = (ROOT / "README.md").read_text().split("### Tools", 1)[1].split("Resources:", 1)[0]
    names: set[str] = set()
    for token in re.findall(r"`([a-z0-9_\-{},]+)`", section):
        braces = re.match(r"^(.*)\{(.*)\}(.*)$", token)
        names |= {f"{braces[1]}{part}{braces[3]}" for part in braces[2].split(",")} if braces else {token}
    return names


def test_readme_lists_exactly_the_served_tools() -> None:
    settings = AggregatorSettings()
    served = set(build_catalog(settings, Backends(settings)).tools)
    mentioned = _readme_tool_names() - {"content", "missing", "confirm_id", "query"} | ({"query"} & served)
    assert served - mentioned == set(), "tools missing from README.md"
    assert {n for n in mentioned if n.startswith(("get_", "list_", "add_", "fetch_"))} - served == set()


def test_tool_reference_is_current() -> None:
    assert (ROOT / "docs" / "tools.md").read_text() == render(), "run 'make docs'"
