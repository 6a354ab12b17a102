"""A small deterministic alert (and flow) data set with its ground truth, for the alerts tests."""

from __future__ import annotations

import ipaddress
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from netscope_ntopng.schema import alert_columns, flows_ddl

BASE = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
WINDOW = (BASE - timedelta(hours=1), BASE)
HOSTS = ("10.0.0.1", "10.0.0.2", "10.0.0.3")
SNMP_DEVICE = "192.168.1.1"
EXFIL_HOST = "10.0.0.9"


def host_alerts() -> list[dict[str, Any]]:
    """30 alerts in the window (10 per host, two types, warning/error/critical) + 2 older ones."""
    rows = []
    for i in range(32):
        inside = i < 30
        rows.append(
            {
                "rowid": uuid.UUID(int=i + 1),
                "alert_id": 5 if i % 2 == 0 else 22,  # host_alert_tcp_syn_scan / host_alert_dns_flood
                "alert_status": 1 if i % 10 == 0 else 0,
                "tstamp": BASE - timedelta(minutes=i + 1) if inside else BASE - timedelta(hours=2, minutes=i),
                "severity": (4, 5, 6)[i % 3],
                "score": 10 * (i % 7),
                "counter": 1,
                "description": f"host alert {i}",
                "json": json.dumps({"domain": "cdn.example.com", "n": i} if i % 5 == 0 else {"n": i}),
                "ip": HOSTS[i % 3],
                "ip_version": 4,
                "name": f"host{i % 3 + 1}",
            }
        )
    return rows


def snmp_alerts() -> list[dict[str, Any]]:
    """5 critical polling errors of one device, in the window."""
    return [
        {
            "rowid": uuid.UUID(int=1000 + i),
            "alert_id": 4191,  # alert_snmp_device_polling_error
            "alert_status": 0,
            "tstamp": BASE - timedelta(minutes=5 * i + 2, seconds=30),
            "severity": 6,
            "score": 100,
            "counter": 1,
            "description": "device unreachable",
            "json": "{}",
            "ip": SNMP_DEVICE,
            "port": 0,
            "name": "core-sw",
        }
        for i in range(5)
    ]


def _ip(text: str) -> int:
    return int(ipaddress.IPv4Address(text))


def _cc(code: str) -> int:
    return (ord(code[0]) << 8) | ord(code[1])


def flows() -> list[dict[str, Any]]:
    """Flows: 4 flow alerts (TLS to bad.example.org), 3 flows to RU, a night upload, DNS to 8.8.8.8."""
    out = []

    def flow(i: int, src: str, dst: str, port: int, **extra: Any) -> None:
        first = extra.pop("first", BASE - timedelta(minutes=10 + i))
        row = {
            "FLOW_ID": i,
            "IP_PROTOCOL_VERSION": 4,
            "FIRST_SEEN": first,
            "LAST_SEEN": first + timedelta(seconds=30),
            "IPV4_SRC_ADDR": _ip(src),
            "IPV4_DST_ADDR": _ip(dst),
            "IP_SRC_PORT": 40000 + i,
            "IP_DST_PORT": port,
            "PROTOCOL": 17 if port in (53, 123) else 6,
            "TOTAL_BYTES": 1000,
            "SRC2DST_BYTES": 400,
            "DST2SRC_BYTES": 600,
        }
        row.update(extra)
        out.append(row)

    for i in range(4):
        flow(1 + i, HOSTS[0], "198.51.100.7", 443, STATUS=28, SEVERITY=5, SCORE=50, INFO="bad.example.org",
             ALERT_JSON='{"tls": {"issuerDN": "CN=Evil Self Signed"}}')  # fmt: skip
    for i in range(3):
        flow(10 + i, HOSTS[1], "203.0.113.9", 443, DST_COUNTRY_CODE=_cc("RU"))
    # 3 GB uploaded at 02:00 UTC (off-hours) and 1 GB at 10:00 (business hours).
    flow(20, EXFIL_HOST, "203.0.113.50", 443, first=BASE.replace(hour=2), SRC2DST_BYTES=3_000_000_000)
    flow(21, EXFIL_HOST, "203.0.113.50", 443, first=BASE.replace(hour=10), SRC2DST_BYTES=1_000_000_000)
    for i in range(3):
        flow(30 + i, HOSTS[2], "8.8.8.8", 53, L7_PROTO=5)
    flow(40, HOSTS[2], "10.0.0.53", 53, L7_PROTO=5)
    return out


def insert(client: Any, table: str, rows: list[dict[str, Any]]) -> None:
    """Insert dict rows with clickhouse-connect (missing columns take defaults)."""
    columns = sorted({c for r in rows for c in r})
    defaults = {c: 0 for c in columns} | {"INFO": "", "ALERT_JSON": ""}
    client.insert(table, [[r.get(c, defaults[c]) for c in columns] for r in rows], column_names=columns)


def seed(client: Any) -> None:
    """Create the flows table and load every seeded row (alert tables must exist)."""
    client.command(flows_ddl())
    insert(client, "host_alerts", host_alerts())
    insert(client, "snmp_alerts", snmp_alerts())
    insert(client, "flows", flows())
    assert {c for c, _ in alert_columns("host_alerts")} >= set(host_alerts()[0])
