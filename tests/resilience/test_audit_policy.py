"""The dependency-audit policy (scripts/audit.py) applied to pip-audit JSON reports."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "audit.py"
TODAY = dt.date(2026, 11, 23)


def _audit() -> ModuleType:
    spec = importlib.util.spec_from_file_location("netscope_audit", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


REPORT = {
    "dependencies": [
        {
            "name": "Fixable",
            "version": "1.0",
            "vulns": [{"id": "PYSEC-1", "aliases": ["GHSA-aaaa"], "fix_versions": ["1.1"]}],
        },
        {"name": "nofix", "version": "2.0", "vulns": [{"id": "GHSA-bbbb", "aliases": [], "fix_versions": []}]},
        {"name": "clean", "version": "3.0", "vulns": []},
        {"name": "offline", "skip_reason": "Dependency not found on PyPI and could not be audited"},
    ]
}


def test_a_fixable_vulnerability_fails_an_unfixed_one_is_reported_and_skips_are_counted() -> None:
    verdict = _audit().judge(REPORT, [], TODAY)
    assert verdict.failing == ["Fixable 1.0: PYSEC-1 (fixed in 1.1)"]
    assert verdict.unfixed == ["nofix 2.0: GHSA-bbbb (fixed in no release yet)"]
    assert verdict.unaudited == ["offline"]


def test_a_live_exception_accepts_by_alias_and_an_expired_one_fails_again() -> None:
    audit = _audit()
    live = audit.Exception_("GHSA-aaaa", "fixable", "not reachable from netscope", TODAY)
    verdict = audit.judge(REPORT, [live], TODAY)
    assert verdict.failing == []
    assert "accepted until 2026-11-23: not reachable from netscope" in verdict.accepted[0]
    expired = audit.judge(REPORT, [live], TODAY + dt.timedelta(days=1))
    assert expired.failing and "exception expired on 2026-11-23" in expired.expired[0]


def test_exceptions_need_a_reason_and_an_expiry_date(tmp_path: Path) -> None:
    audit = _audit()
    path = tmp_path / "audit-exceptions.toml"
    path.write_text('[[exception]]\nid = "GHSA-aaaa"\npackage = "fixable"\nexpires = 2027-01-31\n')
    with pytest.raises(ValueError, match="exception #1 lacks reason"):
        audit.load_exceptions(path)
    path.write_text('[[exception]]\nid = "X"\npackage = "p"\nreason = "r"\nexpires = "soon"\n')
    with pytest.raises(ValueError, match="must be a TOML date like 2027-01-31"):
        audit.load_exceptions(path)
    assert audit.load_exceptions(SCRIPT.parent / "audit-exceptions.toml") == []
