"""The tool reference (docs/tools.md) generated from the live catalog, so the docs cannot drift from the code."""

import argparse
import sys
from pathlib import Path

from netscope_aggregator.app import build_catalog
from netscope_aggregator.backends import Backends
from netscope_aggregator.settings import AggregatorSettings

HEADER = """# Tool reference

Generated from the aggregator's catalog by `uv run python -m netscope_aggregator.reference --write docs/tools.md`
(CI fails when it is stale). Role is the least role that may call the tool; write tools ask for confirmation.
Calls are the service RPCs the tool may make (`protos/netscope/<service>/v1`).

| tool | toolsets | role | calls | what it does |
|---|---|---|---|---|
"""


def render() -> str:
    """The markdown reference of every tool, in catalog order."""
    settings = AggregatorSettings()
    catalog = build_catalog(settings, Backends(settings))
    rows = []
    for tool in catalog.tools.values():
        info = catalog.info[tool.name]
        description = " ".join((tool.description or "").split()).replace("|", "\\|")
        writes = " (write, confirmed)" if info.writes else ""
        calls = ", ".join(f"{rpc.service}.{rpc.name}" for rpc in info.rpcs) or "—"
        rows.append(
            f"| `{tool.name}` | {', '.join(info.toolsets)} | {info.role.name.lower()}{writes} | {calls} | "
            f"{description} |"
        )
    return HEADER + "\n".join(rows) + "\n"


def main() -> None:
    """Print the reference, write it (--write FILE) or check it (--check FILE)."""
    parser = argparse.ArgumentParser(description=__doc__)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", type=Path)
    group.add_argument("--check", type=Path)
    args = parser.parse_args()
    text = render()
    if args.write:
        args.write.write_text(text)
    elif args.check:
        if not args.check.is_file() or args.check.read_text() != text:
            print(f"{args.check} is stale: run 'make docs'", file=sys.stderr)
            sys.exit(1)
        print(f"{args.check} is up to date")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
