"""What the flows service loads at start: matplotlib only on the first chart, the Elasticsearch client only
on that backend (both take a while to import, and the ClickHouse path needs neither)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROBE = """
import json, sys
from netscope_flows.main import build_spec
from netscope_flows.settings import FlowsSettings
build_spec(FlowsSettings(backend=sys.argv[1], dsn="chdb://" + sys.argv[2]))
print(json.dumps({name: name in sys.modules for name in ("matplotlib", "elasticsearch")}))
"""


def _loaded(backend: str, tmp: str) -> dict[str, bool]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, backend, tmp], capture_output=True, text=True, timeout=120, check=True
    )
    found: dict[str, bool] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def test_clickhouse_service_starts_without_matplotlib_or_elasticsearch(tmp_path: Path) -> None:
    assert _loaded("clickhouse", str(tmp_path)) == {"matplotlib": False, "elasticsearch": False}


def test_elasticsearch_service_starts_without_matplotlib(tmp_path: Path) -> None:
    assert _loaded("elasticsearch", str(tmp_path)) == {"matplotlib": False, "elasticsearch": True}
