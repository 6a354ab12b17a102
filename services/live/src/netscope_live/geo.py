"""Offline country lookup (geoip2fast ships its database), local-network classification, and a
per-block cache of both for the live table's new hosts."""

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

# Addresses are cached per IPv4 /24 and IPv6 /48 block (the prefix length, the packed bytes kept).
BLOCK_PREFIX = {socket.AF_INET: 24, socket.AF_INET6: 48}
BLOCK_BYTES = {socket.AF_INET: 3, socket.AF_INET6: 6}
MAX_CACHED_BLOCKS = 65_536


class GeoLocator:
    """Country (ISO 3166 alpha-2, '' when private or unknown) of an address, loaded on first use."""

    @cached_property
    def _db(self) -> GeoIP2Fast:
        return GeoIP2Fast()

    def lookup(self, ip: str) -> tuple[str, int | None]:
        """(country code or '', prefix length of the database range that answered, None when none did)."""
        try:
            result = self._db.lookup(ip)
        except Exception:  # geoip2fast raises on odd input; an unknown country is the answer
            return "", None
        code = getattr(result, "country_code", "") or ""
        cidr = str(getattr(result, "cidr", "") or "")
        _, slash, length = cidr.partition("/")
        prefix = int(length) if slash and length.isdigit() else None
        return (code if len(code) == 2 and code.isalpha() else ""), prefix

    def country(self, ip: str) -> str:
        """ISO country code of `ip`, or '' for private, reserved and unknown addresses."""
        return self.lookup(ip)[0]

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
        self._by_family: dict[int, tuple[tuple[int, int], ...]] = {
            family: tuple((net, mask) for f, net, mask in self._masks if f == family)
            for family in (socket.AF_INET, socket.AF_INET6)
        }
        # blocks (as BLOCK_PREFIX-bit ints) that hold a local network smaller than the block: mixed
        self._mixed_blocks = {
            (family, net >> (bits - BLOCK_PREFIX[family]))
            for family, bits in ((socket.AF_INET, 32), (socket.AF_INET6, 128))
            for f, net, mask in self._masks
            if f == family and mask.bit_count() > BLOCK_PREFIX[family]
        }

    def is_local(self, ip: str) -> bool:
        """True when `ip` falls in a local network (invalid text is not local)."""
        family = socket.AF_INET6 if ":" in ip else socket.AF_INET
        try:
            return self.is_local_packed(family, socket.inet_pton(family, ip))
        except OSError:
            return False

    def is_local_packed(self, family: int, packed: bytes) -> bool:
        """`is_local` of an address already packed by `socket.inet_pton(family, ...)`."""
        value = int.from_bytes(packed, "big")
        for net, mask in self._by_family[family]:  # noqa: SIM110 - no generator on the new-host path
            if value & mask == net:
                return True
        return False

    def block_is_uniform(self, family: int, block: bytes) -> bool:
        """True when every address of `block` (an IPv4 /24 or IPv6 /48, packed) is equally local or not."""
        return (family, int.from_bytes(block, "big")) not in self._mixed_blocks


class AddressClassifier:
    """(is local, country) of an address, cached per IPv4 /24 / IPv6 /48 when the whole block shares it.

    A block is cached only when no local network is smaller than it inside it and, for remote
    addresses, the geolocation range that answered covers it (so the cache never changes an answer).
    """

    def __init__(self, local: LocalNetworks, geo: GeoLocator, max_blocks: int = MAX_CACHED_BLOCKS) -> None:
        self.local = local
        self.geo = geo
        self.max_blocks = max_blocks
        self._blocks: dict[bytes, tuple[bool, str]] = {}
        self._answers: dict[tuple[bool, str], tuple[bool, str]] = {}  # one tuple per distinct answer
        self.lookups = 0  # uncached classifications (for benchmarks and tests)

    def classify(self, ip: str) -> tuple[bool, str]:
        """(True, '') for a local address, else (False, country code or '')."""
        family = socket.AF_INET6 if ":" in ip else socket.AF_INET
        try:
            packed = socket.inet_pton(family, ip)
        except OSError:
            return False, ""
        block = packed[: BLOCK_BYTES[family]]
        hit = self._blocks.get(block)
        if hit is not None:
            return hit
        self.lookups += 1
        is_local = self.local.is_local_packed(family, packed)
        country, prefix = ("", None) if is_local else self.geo.lookup(ip)
        answer = self._answers.setdefault((is_local, country), (is_local, country))
        if self.local.block_is_uniform(family, block) and (
            is_local or (prefix is not None and prefix <= BLOCK_PREFIX[family])
        ):
            if len(self._blocks) >= self.max_blocks:
                self._blocks.clear()
            self._blocks[block] = answer
        return answer
