"""Fill a chdb directory with a small, known set of ntopng flow rows (run as a separate process).

Usage: python -m tests.support.seed_flows chdb:///DIR
"""

from __future__ import annotations

import ipaddress
import sys
from datetime import UTC, datetime, timedelta

import clickhouse_connect

from netscope_ntopng import schema

EXFIL_SRC, EXFIL_DST = "10.1.2.42", "203.0.113.50"
ROWS = 500


def _ip(text: str) -> int:
    return int(ipaddress.IPv4Address(text))


def rows(now: datetime) -> list[dict[str, object]]:
    """ROWS flows in the last hour: normal web traffic plus one large upload from EXFIL_SRC."""
    out: list[dict[str, object]] = []
    for i in range(ROWS):
        src = f"10.1.2.{10 + i % 20}"
        first = now - timedelta(seconds=30 + i * 5)
        big = i == 7
        out.append(
            {
                "FLOW_ID": i + 1,
                "IP_PROTOCOL_VERSION": 4,
                "FIRST_SEEN": first,
                "LAST_SEEN": first + timedelta(seconds=20),
                "PACKETS": 10 + i % 7,
                "TOTAL_BYTES": 500_000_000 if big else 1_000 + (i * 37) % 5_000,
                "SRC2DST_BYTES": 499_000_000 if big else 400,
                "DST2SRC_BYTES": 1_000_000 if big else 600,
                "PROTOCOL": 6,
                "IPV4_SRC_ADDR": _ip(EXFIL_SRC if big else src),
                "IP_SRC_PORT": 40_000 + i,
                "IPV4_DST_ADDR": _ip(EXFIL_DST if big else "93.184.216.34"),
                "IP_DST_PORT": 443,
                "L7_PROTO": 91,
                "INTERFACE_ID": 0,
                "CLIENT_LOCATION": 1,
                "SERVER_LOCATION": 2,
                "DST_COUNTRY_CODE": (ord("N") << 8) | ord("L"),
            }
        )
    return out


def main(dsn: str) -> None:
    """Create ntopng's flows table in `dsn` and insert the rows."""
    client = clickhouse_connect.get_client(dsn=dsn)
    client.command(schema.flows_ddl())
    data = rows(datetime.now(UTC).replace(microsecond=0))
    names = [name for name, _, _ in schema.FLOW_COLUMNS]
    defaults = {"String": "", "IPv6": "::", "DateTime": datetime(1970, 1, 1, tzinfo=UTC)}
    types = {name: kind for name, kind, _ in schema.FLOW_COLUMNS}
    matrix = [[row.get(n, defaults.get(types[n], 0)) for n in names] for row in data]
    client.insert("flows", matrix, column_names=names)
    client.close()


if __name__ == "__main__":
    main(sys.argv[1])
