"""nDPI application ids and names (the table ntopng serves), plus a well-known-port fallback.

Collector records carry an nDPI id only when the exporter is nDPI-aware (nProbe's L7_PROTO); for
the others the application is guessed from the server port, like ntopng does for NetFlow input.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

UNKNOWN = "Unknown"

# (IP protocol, server port) -> nDPI application name
_PORT_GUESS: dict[tuple[int, int], str] = {
    (6, 20): "FTP_DATA",
    (6, 21): "FTP_CONTROL",
    (6, 22): "SSH",
    (6, 23): "Telnet",
    (6, 25): "SMTP",
    (17, 53): "DNS",
    (6, 53): "DNS",
    (17, 67): "DHCP",
    (17, 68): "DHCP",
    (6, 80): "HTTP",
    (6, 8080): "HTTP",
    (6, 88): "Kerberos",
    (17, 88): "Kerberos",
    (6, 110): "POP3",
    (17, 123): "NTP",
    (6, 143): "IMAP",
    (17, 161): "SNMP",
    (17, 162): "SNMP",
    (6, 179): "BGP",
    (6, 389): "LDAP",
    (6, 443): "TLS",
    (17, 443): "QUIC",
    (6, 445): "SMBv23",
    (17, 514): "Syslog",
    (6, 587): "SMTP",
    (6, 993): "IMAPS",
    (6, 1883): "MQTT",
    (17, 2055): "NetFlow",
    (6, 3306): "MySQL",
    (6, 3389): "RDP",
    (17, 4739): "IPFIX",
    (6, 5432): "PostgreSQL",
    (17, 5060): "SIP",
    (6, 6379): "Redis",
    (17, 5353): "MDNS",
}
_ICMP = {1: "ICMP", 58: "ICMPV6"}


@cache
def _table() -> tuple[dict[int, tuple[str, int]], dict[int, str]]:
    raw = json.loads(resources.files("netscope_live").joinpath("data/ndpi.json").read_text())
    apps = {int(k): (v[0], int(v[1])) for k, v in raw["applications"].items()}
    categories = {int(k): v for k, v in raw["categories"].items()}
    return apps, categories


def application_name(app_id: int) -> str:
    """The nDPI name of an application id ('Unknown' when the id is not in the table)."""
    entry = _table()[0].get(app_id)
    return entry[0] if entry else UNKNOWN


def category_name(app_name: str) -> str:
    """The nDPI category of an application name ('Unspecified' when unknown)."""
    categories = _table()[1]
    cat = _by_name().get(app_name, (0, 0))[1]
    return categories.get(cat, "Unspecified")


def application_id(app_name: str) -> int:
    """The nDPI id of an application name (0, Unknown, when it is not in the table)."""
    return _by_name().get(app_name, (0, 0))[0]


@cache
def _by_name() -> dict[str, tuple[int, int]]:
    return {name: (app_id, cat) for app_id, (name, cat) in _table()[0].items()}


def classify(l7_id: int, l7_name: str, protocol: int, src_port: int, dst_port: int) -> str:
    """The application name of a flow: exporter name, exporter nDPI id, then a port guess."""
    if l7_name:
        return l7_name
    if l7_id > 0:
        return application_name(l7_id)
    if protocol in _ICMP:
        return _ICMP[protocol]
    guess = _PORT_GUESS.get((protocol, dst_port)) or _PORT_GUESS.get((protocol, src_port))
    return guess or UNKNOWN
