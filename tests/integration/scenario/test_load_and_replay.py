"""Loading into chdb through the real CLI, and replaying NetFlow to a UDP collector on loopback."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from netflow.ipfix import IPFIXExportPacket
from netflow.v9 import V9ExportPacket

from netscope_scenario.exporter import replay
from netscope_scenario.world import World

pytestmark = pytest.mark.integration

# chdb allows one data path per process: load and query in a child process, as `netscope scenario load` would.
_QUERY = """
import json, sys, clickhouse_connect
c = clickhouse_connect.get_client(dsn=sys.argv[1])
q = lambda sql: c.query(sql).result_rows
print(json.dumps({
  "flows": q("SELECT count(), sum(TOTAL_BYTES) FROM flows")[0],
  "exfil": q("SELECT count(), any(char(bitShiftRight(DST_COUNTRY_CODE, 8), bitAnd(DST_COUNTRY_CODE, 255))) "
             "FROM flows WHERE IPv4NumToString(IPV4_SRC_ADDR) = '10.1.2.42' AND STATUS = 4")[0],
  "flow_alerts": q("SELECT count() FROM flow_alerts_view")[0][0],
  "host_alerts": q("SELECT groupArray(ip) FROM host_alerts")[0][0],
}))
"""


def test_cli_load_into_chdb_then_query(tmp_path: Path, scenario_dir: Path) -> None:
    dsn = f"chdb://{tmp_path / 'db'}"
    load = subprocess.run(
        [sys.executable, "-c", "from netscope_scenario.cli import app; app()", "load", "--dsn", dsn,
         "--from", str(scenario_dir)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert load.returncode == 0, load.stderr[-2000:]
    counts = json.loads(load.stdout.strip().splitlines()[-1])
    flows = pq.read_table(scenario_dir / "ntopng" / "flows.parquet")
    assert counts["flows"] == flows.num_rows and counts["host_alerts"] > 0
    out = subprocess.run([sys.executable, "-c", _QUERY, dsn], capture_output=True, text=True, timeout=120, check=True)
    got = json.loads(out.stdout)
    assert got["flows"] == [flows.num_rows, sum(flows["TOTAL_BYTES"].to_pylist())]
    assert got["exfil"][0] > 0 and got["exfil"][1] == "RU"
    assert got["flow_alerts"] == sum(1 for s in flows["STATUS"].to_pylist() if s)
    assert "10.1.2.42" in got["host_alerts"]


@pytest.mark.parametrize("version", [9, 10])
def test_replay_sends_decodable_udp_to_a_loopback_collector(scenario_world: World, version: int) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(1)  # the collector stops 1 s after the last packet
    port = sock.getsockname()[1]
    received: list[bytes] = []

    def collect() -> None:
        try:
            while True:
                received.append(sock.recv(65535))
        except TimeoutError:
            return

    thread = threading.Thread(target=collect)
    thread.start()
    stats = replay(scenario_world, "127.0.0.1", port, version, rate=5000, limit=1000)
    thread.join(timeout=30)
    sock.close()
    assert stats["flows"] == 1000 and stats["packets"] == len(received)
    assert 0.1 <= stats["seconds"] <= 10  # paced at ~5000 flows/s
    templates: dict = {}
    records = 0
    for pkt in received:
        parsed = V9ExportPacket(pkt, templates) if version == 9 else IPFIXExportPacket(pkt, templates)
        records += sum(1 for f in parsed.flows if "samplingInterval" not in f.data)
    expected = sum(1 + (f.s2c_packets > 0) for _, f in zip(range(1000), scenario_world.flows(), strict=False))
    assert records == expected
