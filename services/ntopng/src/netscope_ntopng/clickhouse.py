"""mcp-ntopng's ClickHouse settings (`NTOPNG_HOST` + `NTOPNG_DB*`) as netscope reads them.

mcp-ntopng talks to ClickHouse over its native TCP protocol (port 9000, 9440 with TLS); netscope speaks
ClickHouse's HTTP interface. A native port is mapped to the HTTP port of the same server (9000 -> 8123,
9440 -> 8443), and the service logs one line saying so; any other port is used as given.
"""

from __future__ import annotations

from urllib.parse import urlsplit

NATIVE_TO_HTTP = {9000: 8123, 9440: 8443}


def http_port(port: int | None, secure: bool) -> tuple[int, str]:
    """The ClickHouse HTTP port for a configured port, and a note ('' unless a native port was mapped)."""
    if port is None:
        return (8443 if secure else 8123), ""
    mapped = NATIVE_TO_HTTP.get(port)
    if mapped is None:
        return port, ""
    return mapped, (
        f"ClickHouse port {port} is the native protocol port (mcp-ntopng's NTOPNG_DBPORT); netscope speaks HTTP, "
        f"so it connects to port {mapped} of the same server (set the HTTP port to silence this)"
    )


def selects_server(fields_set: set[str], host: str, others: set[str]) -> bool:
    """Whether mcp-ntopng's configuration selects a ClickHouse server: the host and at least one of the database
    settings were given, and the service's own DSN was not (an explicit NETSCOPE_* DSN wins)."""
    return "dsn" not in fields_set and host in fields_set and bool(fields_set & others)


DSN_FORMS = "chdb:///DIR (embedded), chdb://memory, or http(s)://USER:PASSWORD@HOST:PORT/DATABASE"


def check_dsn(dsn: str) -> str:
    """`dsn` when it is a store address netscope can open (empty too); ValueError naming the accepted forms
    otherwise. The address is never echoed: it may carry a password."""
    if not dsn:
        return dsn
    try:
        parts = urlsplit(dsn)
        port = parts.port  # a port that is not a number raises here
    except ValueError as exc:
        raise ValueError(f"not a store address ({exc}); use {DSN_FORMS}") from None
    if parts.scheme == "chdb" and (parts.netloc or parts.path.strip("/")):
        return dsn
    if parts.scheme in ("http", "https") and parts.hostname and port != 0:
        return dsn
    raise ValueError(f"not a store address; use {DSN_FORMS}")
