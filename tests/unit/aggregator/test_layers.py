"""The aggregator's package rules (docs/architecture.md): tool domains do not import each other, shared pieces
import no domain, the SDK's internals are touched in sdk_adapter only, no module outgrows one job, and every tool
declares the RPCs it calls."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import netscope_aggregator
from netscope_aggregator.app import build_catalog
from netscope_aggregator.backends import Backends
from netscope_aggregator.settings import AggregatorSettings

PACKAGE = Path(netscope_aggregator.__file__).parent
TOOLS = PACKAGE / "tools"
MAX_LINES = 400


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def _domain(path: Path) -> str:
    relative = path.relative_to(TOOLS)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def test_tool_domains_import_only_themselves_and_shared() -> None:
    crossings = []
    for path in TOOLS.rglob("*.py"):
        if path.parent == TOOLS and path.name == "__init__.py":
            continue  # the list of domains
        own = _domain(path)
        for module in _imports(path):
            if module.startswith("netscope_aggregator.tools."):
                other = module.split(".")[2]
                if other != own and other != "shared":
                    crossings.append(f"{path.relative_to(PACKAGE)} imports {module}")
    assert crossings == []


def test_only_the_adapter_reaches_into_the_sdk_server() -> None:
    internals = ("_tool_manager", "_handle_call_tool", "_handle_list_tools", "_lowlevel_server", "fn_metadata")
    offenders = [
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in PACKAGE.rglob("*.py")
        if path.name != "sdk_adapter.py"
        for name in internals
        if name in path.read_text()
    ]
    assert offenders == []


def test_no_module_outgrows_one_job() -> None:
    sizes = {str(p.relative_to(PACKAGE)): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")}
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


def _referenced_rpcs(source: str) -> set[str]:
    return {f"{service}.{name}" for service, name in re.findall(r"contracts\.(flows|alerts|snmp|live)\.(\w+)", source)}


def test_each_tool_declares_the_rpcs_its_handler_calls() -> None:
    """A handler calls only RPCs it declares; each declared RPC is called somewhere in the tool's domain."""
    settings = AggregatorSettings()
    catalog = build_catalog(settings, Backends(settings))
    for name, tool in catalog.tools.items():
        declared = {f"{rpc.service}.{rpc.name}" for rpc in catalog.info[name].rpcs}
        handler = inspect.unwrap(tool.fn)
        module = Path(inspect.getfile(handler))
        if module.name == "declare.py":
            assert len(declared) == 1, name  # a unary tool calls the one RPC it was declared with
            continue
        assert TOOLS in module.parents, name
        domain = module if module.parent == TOOLS else module.parent
        domain_source = "".join(p.read_text() for p in ([domain] if domain.is_file() else domain.rglob("*.py")))
        assert _referenced_rpcs(inspect.getsource(handler)) <= declared, name
        assert declared <= _referenced_rpcs(domain_source), name
