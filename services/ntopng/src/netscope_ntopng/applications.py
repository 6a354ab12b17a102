"""The nDPI application of a flow: exporter-provided id or name, else a well-known-port guess, and its category.

Flow records carry an nDPI id only when the exporter is nDPI-aware (nProbe's L7_PROTO); for the others the
application is guessed from the server port, like ntopng does for NetFlow input.
"""

from __future__ import annotations

from netscope_ntopng.ndpi import L7_CATEGORIES, L7_PROTOCOL_IDS, l7_category, l7_name

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


def category_name(app_name: str) -> str:
    """The nDPI category of an application name ('Unspecified' when unknown)."""
    return L7_CATEGORIES.get(l7_category(L7_PROTOCOL_IDS.get(app_name, 0)), "Unspecified")


def classify(l7_id: int, name: str, protocol: int, src_port: int, dst_port: int) -> str:
    """The application name of a flow: exporter name, exporter nDPI id, then a port guess."""
    if name:
        return name
    if l7_id > 0:
        return l7_name(l7_id)
    if protocol in _ICMP:
        return _ICMP[protocol]
    guess = _PORT_GUESS.get((protocol, dst_port)) or _PORT_GUESS.get((protocol, src_port))
    return guess or UNKNOWN
