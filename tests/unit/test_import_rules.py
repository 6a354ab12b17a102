"""The package rules of docs/architecture.md: who may import whom, and each member declares what it imports."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# package -> (workspace member directory, the netscope packages it may import besides itself)
CONTRACTS, KIT, DOMAIN = "netscope", "netscope_common", "netscope_ntopng"
RULES = {
    KIT: ("services/common", {CONTRACTS}),
    DOMAIN: ("services/ntopng", set()),
    "netscope_flows": ("services/flows", {CONTRACTS, KIT, DOMAIN}),
    "netscope_alerts": ("services/alerts", {CONTRACTS, KIT, DOMAIN}),
    "netscope_snmp": ("services/snmp", {CONTRACTS, KIT, DOMAIN}),
    "netscope_live": ("services/live", {CONTRACTS, KIT, DOMAIN}),
    "netscope_aggregator": ("aggregator", {CONTRACTS, KIT}),
    "netscope_scenario": ("scenario", {CONTRACTS, KIT, DOMAIN}),
}
DISTRIBUTIONS = {
    CONTRACTS: "netscope-protos",
    KIT: "netscope-common",
    DOMAIN: "netscope-ntopng",
    "netscope_scenario": "netscope-scenario",
}


def imported_packages(package: str, member: str) -> dict[str, set[str]]:
    """netscope package -> the modules of `package` importing it (imports inside functions included)."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / member / "src" / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top.startswith("netscope") and top != package:
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


@pytest.mark.parametrize("package", sorted(RULES))
def test_imports_follow_the_package_rules(package: str) -> None:
    member, allowed = RULES[package]
    assert (ROOT / member / "src" / package / "__init__.py").is_file(), f"{package} is not under {member}/src"
    used = imported_packages(package, member)
    forbidden = {name: sorted(files) for name, files in used.items() if name not in allowed}
    assert not forbidden, f"{package} may import only {sorted(allowed)} besides itself; found {forbidden}"


@pytest.mark.parametrize("package", sorted(RULES))
def test_each_member_declares_the_workspace_packages_it_imports(package: str) -> None:
    member, _ = RULES[package]
    project = tomllib.loads((ROOT / member / "pyproject.toml").read_text())["project"]
    declared = {dep.split(">")[0].split("=")[0].split("[")[0].strip() for dep in project.get("dependencies", [])}
    needed = {DISTRIBUTIONS[name] for name in imported_packages(package, member)}
    assert needed <= declared, f"{member}/pyproject.toml must list {sorted(needed - declared)}"
