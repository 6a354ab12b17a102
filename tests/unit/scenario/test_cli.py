"""The `scenario` typer app (driven with typer's CliRunner until the `netscope` CLI mounts it)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from netscope_scenario.cli import app

runner = CliRunner()


def test_generate_writes_every_rendering(tmp_path: Path) -> None:
    out = tmp_path / "o"
    result = runner.invoke(app, ["generate", "--seed", "3", "--hours", "2", "--out", str(out),
                                 "--flows-per-hour", "300", "--end", "2026-11-23T12:00:00Z"])  # fmt: skip
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout.strip().splitlines()[-1])
    assert counts["flows"] > 600 and counts["snmprec_files"] == 6
    for rel in ("scenario.json", "ground_truth.json", "ntopng/flows.parquet", "snmp/inventory.yaml"):
        assert (out / rel).is_file(), rel
    assert list((out / "ecs").glob("logs-netflow-2026.11.23.ndjson.gz"))


def test_generate_rejects_bad_input_with_clear_messages(tmp_path: Path) -> None:
    result = runner.invoke(app, ["generate", "--out", str(tmp_path), "--hours", "-1"])
    assert result.exit_code == 2 and "hours must be between 1/60 (one minute) and 744, got -1.0" in result.output
    result = runner.invoke(app, ["generate", "--out", str(tmp_path), "--only", "pcap"])
    assert (
        result.exit_code == 2 and "unknown rendering(s) ['pcap']; choose from ntopng, ecs, snmp, truth" in result.output
    )
    result = runner.invoke(app, ["generate", "--out", str(tmp_path), "--end", "yesterday"])
    assert result.exit_code == 2 and "Invalid isoformat string" in result.output


def test_load_and_replay_reject_bad_input(tmp_path: Path) -> None:
    result = runner.invoke(app, ["load", "--dsn", f"chdb://{tmp_path}/db", "--from", str(tmp_path)])
    assert result.exit_code == 2 and "has no ntopng/flows.parquet: run 'scenario generate" in result.output
    result = runner.invoke(app, ["replay", "--to", "localhost"])
    assert result.exit_code == 2 and "collector address must be host:port" in result.output
    result = runner.invoke(app, ["replay", "--to", "127.0.0.1:9", "--version", "7", "--limit", "1"])
    assert result.exit_code == 2 and "NetFlow version must be 5, 9 or 10" in result.output
    result = runner.invoke(app, ["replay", "--from", str(tmp_path)])
    assert result.exit_code == 2 and "scenario.json not found" in result.output
