"""The enabled monitors on disk: one JSON file, replaced atomically, so a restart keeps them."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from netscope_live.monitoring.kinds import MonitorSpec

STATE_FILE = "active_monitors.json"
FORMAT_VERSION = 1


class MonitorStore:
    """Reads and writes `<settings_dir>/active_monitors.json`; without a directory nothing is persisted."""

    def __init__(self, settings_dir: Path | None) -> None:
        self.path = settings_dir / STATE_FILE if settings_dir else None

    def load(self) -> list[tuple[MonitorSpec, float]]:
        """The saved monitors with their creation times; ValueError naming the file when it is unreadable."""
        if self.path is None or not self.path.exists():
            return []
        try:
            data = json.loads(self.path.read_text())
            if data.get("version") != FORMAT_VERSION:
                raise ValueError(f"unknown format version {data.get('version')!r}")
            return [(MonitorSpec(**m["spec"]), float(m["created"])) for m in data["monitors"]]
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(
                f"cannot read the active monitoring state {self.path}: {exc}; fix or remove the file"
            ) from None

    def save(self, monitors: list[tuple[MonitorSpec, float]]) -> None:
        """Write all monitors (temporary file + rename, so a crash never leaves half a file)."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        blob = {
            "version": FORMAT_VERSION,
            "monitors": [{"spec": spec.to_dict(), "created": created} for spec, created in monitors],
        }
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".active_monitors.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as out:
                json.dump(blob, out, indent=1)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
