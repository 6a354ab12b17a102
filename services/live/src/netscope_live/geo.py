"""Offline country lookup (geoip2fast ships its database) and local-network classification."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from functools import cached_property

from geoip2fast import GeoIP2Fast

DEFAULT_LOCAL_NETWORKS = (
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "fc00::/7",
    "fe80::/10",
    "::1/128",
)


class GeoLocator:
    """Country (ISO 3166 alpha-2, '' when private or unknown) of an address, loaded on first use."""

    @cached_property
    def _db(self) -> GeoIP2Fast:
        return GeoIP2Fast()

    def country(self, ip: str) -> str:
        """ISO country code of `ip`, or '' for private, reserved and unknown addresses."""
        try:
            result = self._db.lookup(ip)
        except Exception:  # geoip2fast raises on odd input; an unknown country is the answer
            return ""
        code = getattr(result, "country_code", "") or ""
        return code if len(code) == 2 and code.isalpha() else ""

    def country_name(self, ip: str) -> str:
        """English country name of `ip`, or ''."""
        if not self.country(ip):
            return ""
        return str(getattr(self._db.lookup(ip), "country_name", "") or "")


class LocalNetworks:
    """Decides whether an address is local (inside one of the configured networks)."""

    def __init__(self, networks: Iterable[str] = DEFAULT_LOCAL_NETWORKS) -> None:
        self.networks = tuple(ipaddress.ip_network(n, strict=False) for n in networks)
        # (family, network as int, netmask as int): matched with integer ops, no ipaddress objects per call
        self._masks = tuple(
            (socket.AF_INET if n.version == 4 else socket.AF_INET6, int(n.network_address), int(n.netmask))
            for n in self.networks
        )

    def is_local(self, ip: str) -> bool:
        """True when `ip` falls in a local network (invalid text is not local)."""
        family = socket.AF_INET6 if ":" in ip else socket.AF_INET
        try:
            value = int.from_bytes(socket.inet_pton(family, ip), "big")
        except OSError:
            return False
        return any(f == family and value & mask == net for f, net, mask in self._masks)
