"""Validation of the values users write: IP addresses/CIDRs, domains, certificate texts and names."""

from __future__ import annotations

import ipaddress
import re

from netscope_common.errors import InvalidArgument

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def parse_network(value: str, field: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """An IP address or CIDR; a CIDR with host bits set is refused with the network it probably meant."""
    text = value.strip()
    if not text:
        raise InvalidArgument("an IP address or CIDR is required (e.g. 192.168.1.10 or 10.0.0.0/8)", field=field)
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError:
        pass
    try:
        loose = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise InvalidArgument(
            f"{value!r} is not an IP address or CIDR (examples: 192.168.1.10, 10.0.0.0/8, 2001:db8::/32)",
            field=field,
        ) from None
    raise InvalidArgument(f"{value!r} has host bits set; did you mean {loose}?", field=field)


def network_text(net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> str:
    """A network as text: a plain address for a single host, CIDR otherwise."""
    return str(net.network_address) if net.prefixlen == net.max_prefixlen else str(net)


def parse_domain(value: str, field: str) -> str:
    """A DNS domain name, lower-case, without a trailing dot or a leading '*.'."""
    text = value.strip().lower().rstrip(".")
    text = text.removeprefix("*.")
    try:
        ipaddress.ip_address(text)
    except ValueError:
        pass
    else:
        raise InvalidArgument(f"{value!r} is an IP address, not a domain; use a host exclusion for it", field=field)
    try:
        ascii_name = text.encode("idna").decode("ascii") if text else ""
    except UnicodeError:
        ascii_name = ""
    labels = ascii_name.split(".")
    if not ascii_name or len(ascii_name) > 253 or len(labels) < 2 or not all(_LABEL.match(p) for p in labels):
        raise InvalidArgument(
            f"{value!r} is not a valid domain name: use labels of letters, digits and '-' separated by dots, "
            "at least two labels, at most 253 characters (e.g. example.com or *.example.com)",
            field=field,
        )
    return ascii_name


def parse_certificate(value: str, field: str) -> str:
    """A certificate issuer/subject text (1..512 printable characters)."""
    text = value.strip()
    if not text or len(text) > 512 or not text.isprintable():
        raise InvalidArgument(
            "a certificate exclusion needs the certificate's issuer or subject text "
            "(1..512 printable characters, e.g. 'CN=Example CA')",
            field=field,
        )
    return text


def parse_name(value: str, field: str) -> str:
    """A resource name: lower-case letters, digits, '-' and '_', 1..64 characters, starting alphanumeric."""
    text = value.strip()
    if not _NAME.match(text):
        raise InvalidArgument(
            f"invalid name {value!r}: use 1..64 lower-case letters, digits, '-' or '_', "
            "starting with a letter or digit",
            field=field,
        )
    return text


def parse_country(value: str, field: str) -> str:
    """An ISO 3166-1 alpha-2 country code, upper-case."""
    text = value.strip().upper()
    if not _COUNTRY.match(text):
        raise InvalidArgument(f"{value!r} is not a two-letter ISO country code (e.g. US, DE, RU)", field=field)
    return text
