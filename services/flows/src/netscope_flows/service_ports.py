"""Names of server ports (seed 003's SERVICE_PORTS), used where a service is named and by the rare-port detector.

The defaults are seed 003's map plus a few ports its network uses that the map lacks (Kerberos, LDAP, IMAPS,
Zoom); `NETSCOPE_FLOWS_SERVICE_PORTS` (or `SERVICE_PORTS`), JSON `{"port": "name"}`, adds to them or renames.
"""

from __future__ import annotations

from collections.abc import Mapping

SEED_SERVICE_PORTS: dict[int, str] = {
    20: "FTP-Data", 21: "FTP", 22: "SSH", 23: "Telnet", 25: "SMTP", 53: "DNS", 67: "DHCP", 68: "DHCP",
    80: "HTTP", 110: "POP3", 123: "NTP", 143: "IMAP", 161: "SNMP", 162: "SNMP-Trap", 443: "HTTPS", 445: "SMB",
    514: "Syslog", 636: "LDAPS", 989: "FTPS", 990: "FTPS", 1433: "MSSQL", 1521: "Oracle", 2055: "NetFlow",
    3306: "MySQL", 3389: "RDP", 5432: "PostgreSQL", 5601: "Kibana", 5984: "CouchDB", 6379: "Redis",
    8080: "HTTP-Alt", 8443: "HTTPS-Alt", 9200: "Elasticsearch", 9300: "Elasticsearch", 27017: "MongoDB",
}  # fmt: skip
"""elastickent/netflow_mcp at 055fdc3, netflow_mcp_server.py (tests/compat/upstream/netflow_es.json)."""

EXTRA_SERVICE_PORTS: dict[int, str] = {88: "Kerberos", 389: "LDAP", 587: "SMTP-Submission", 993: "IMAPS",
                                       995: "POP3S", 8801: "Zoom"}  # fmt: skip


class ServicePorts:
    """Port -> service name: the defaults with the user's map over them."""

    def __init__(self, user: Mapping[int, str] | None = None) -> None:
        self.names: dict[int, str] = {**SEED_SERVICE_PORTS, **EXTRA_SERVICE_PORTS, **(user or {})}

    def name(self, port: int) -> str:
        """The service's name, or "Port-<n>" (as seed 003 names unmapped ports)."""
        return self.names.get(port, f"Port-{port}")

    def key_name(self, key: str) -> str:
        """The name of a ranking key that is a server port ("443/tcp" or "443"); "" for other keys."""
        head = key.split("/", 1)[0]
        return self.name(int(head)) if head.isdigit() else ""

    @property
    def known(self) -> list[int]:
        """The named ports, sorted."""
        return sorted(self.names)
