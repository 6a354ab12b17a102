"""Dependency audit of the locked environment (pip-audit over `uv export`); policy in docs/security.md.

Fails (exit 1) on a known vulnerability that has a fixed version and no live exception in
scripts/audit-exceptions.toml. A vulnerability without a fix is reported, not failed. Packages the
advisory service could not check are reported loudly; with AUDIT_STRICT=1 that fails too (exit 2).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXCEPTIONS = ROOT / "scripts" / "audit-exceptions.toml"


@dataclass(frozen=True)
class Exception_:
    """An accepted vulnerability: id (or alias), package, why, and until when."""

    id: str
    package: str
    reason: str
    expires: dt.date


@dataclass
class Verdict:
    """What the audit found, sorted by what it means for CI."""

    failing: list[str]
    unfixed: list[str]
    accepted: list[str]
    expired: list[str]
    unaudited: list[str]


def load_exceptions(path: Path) -> list[Exception_]:
    """Read `[[exception]]` tables; every one needs id, package, reason and an `expires` date."""
    if not path.exists():
        return []
    entries = tomllib.loads(path.read_text()).get("exception", [])
    out = []
    for number, entry in enumerate(entries, 1):
        missing = [key for key in ("id", "package", "reason", "expires") if not entry.get(key)]
        if missing:
            raise ValueError(f"{path.name}: exception #{number} lacks {', '.join(missing)} (all four are required)")
        if not isinstance(entry["expires"], dt.date):
            raise ValueError(f"{path.name}: exception #{number} expires must be a TOML date like 2027-01-31")
        out.append(Exception_(entry["id"], entry["package"].lower(), entry["reason"], entry["expires"]))
    return out


def judge(report: dict[str, Any], exceptions: list[Exception_], today: dt.date) -> Verdict:
    """Apply the policy to pip-audit's JSON report."""
    verdict = Verdict([], [], [], [], [])
    for dep in report.get("dependencies", []):
        name = f"{dep['name']} {dep.get('version', '')}".strip()
        if "skip_reason" in dep:
            verdict.unaudited.append(name)
            continue
        for vuln in dep.get("vulns", []):
            ids = {vuln["id"], *vuln.get("aliases", [])}
            fixes = vuln.get("fix_versions", [])
            line = f"{name}: {vuln['id']} (fixed in {', '.join(fixes) or 'no release yet'})"
            match = next((e for e in exceptions if e.id in ids and e.package == dep["name"].lower()), None)
            if match and match.expires >= today:
                verdict.accepted.append(f"{line} — accepted until {match.expires}: {match.reason}")
            elif match:
                verdict.expired.append(f"{line} — exception expired on {match.expires}")
                (verdict.failing if fixes else verdict.unfixed).append(line)
            else:
                (verdict.failing if fixes else verdict.unfixed).append(line)
    return verdict


def run_pip_audit() -> dict[str, Any] | str:
    """pip-audit's JSON report for the locked dependencies, or why it could not run."""
    with tempfile.TemporaryDirectory() as tmp:
        requirements, output = Path(tmp) / "requirements.txt", Path(tmp) / "audit.json"
        exported = subprocess.run(
            ["uv", "export", "--frozen", "--no-hashes", "--no-emit-workspace", "--all-groups"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if exported.returncode:
            return f"uv export failed: {exported.stderr.strip()[-500:]}"
        requirements.write_text(exported.stdout)
        command = [sys.executable, "-m", "pip_audit", "-r", str(requirements), "--no-deps", "--disable-pip"]
        audit = subprocess.run(
            [*command, "--progress-spinner", "off", "-f", "json", "-o", str(output)],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if not output.exists():
            return f"pip-audit did not produce a report: {audit.stderr.strip()[-500:]}"
        report: dict[str, Any] = json.loads(output.read_text())
        return report


def main() -> int:
    """Run the audit and print the verdict; the exit code is what CI acts on."""
    strict = os.environ.get("AUDIT_STRICT", "") == "1"
    try:
        exceptions = load_exceptions(EXCEPTIONS)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        print(f"audit: {exc}", file=sys.stderr)
        return 1
    report = run_pip_audit()
    if isinstance(report, str):
        print(f"audit: WARNING — the advisory database could not be queried: {report}", file=sys.stderr)
        return 2 if strict else 0
    verdict = judge(report, exceptions, dt.date.today())
    for title, lines in (
        ("accepted (scripts/audit-exceptions.toml)", verdict.accepted),
        ("expired exceptions (no longer applied)", verdict.expired),
        ("known vulnerabilities without a fixed release (reported, not failed)", verdict.unfixed),
        ("known vulnerabilities WITH a fix — upgrade or record an exception", verdict.failing),
    ):
        if lines:
            print(f"audit: {title}:\n  " + "\n  ".join(lines))
    total = len(report.get("dependencies", []))
    if verdict.unaudited:
        print(
            f"audit: WARNING — {len(verdict.unaudited)} of {total} packages could NOT be checked "
            f"(advisory service unreachable or package unknown to it), e.g. {', '.join(verdict.unaudited[:5])}. "
            + ("AUDIT_STRICT=1: failing." if strict else "Set AUDIT_STRICT=1 to fail on this."),
            file=sys.stderr,
        )
    if verdict.failing:
        return 1
    if verdict.unaudited and strict:
        return 2
    print(f"audit: {total - len(verdict.unaudited)} of {total} packages checked, no fixable vulnerability")
    return 0


if __name__ == "__main__":
    sys.exit(main())
