"""MAC address vendors from the OUI table bundled with `mac-vendor-lookup` (read offline).

The package's own lookup classes run an event loop of their own and download the IEEE list when
their file is missing; we only read the bundled file (`prefix:vendor` lines) and never download.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path

from mac_vendor_lookup import BaseMacLookup

_MAC = re.compile(r"^[0-9a-fA-F]{2}([:-]?[0-9a-fA-F]{2}){5}$")


def normalise_mac(mac: str) -> str:
    """'AA-BB-CC-DD-EE-FF' or 'aabbccddeeff' as 'aa:bb:cc:dd:ee:ff'; ValueError when it is not a MAC."""
    text = mac.strip()
    if not _MAC.match(text):
        raise ValueError(f"{mac!r} is not a MAC address: expected six hex octets like 00:1b:63:84:45:e6")
    digits = re.sub(r"[^0-9a-fA-F]", "", text).lower()
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def is_locally_administered(mac: str) -> bool:
    """True for randomised / locally administered addresses (bit 1 of the first octet)."""
    return bool(int(normalise_mac(mac)[:2], 16) & 0x02)


class VendorLookup:
    """Vendor names by OUI, loaded once from the bundled table."""

    @cached_property
    def _prefixes(self) -> dict[str, str]:
        location = BaseMacLookup().find_vendors_list()
        if not location:
            return {}
        table: dict[str, str] = {}
        for line in Path(location).read_bytes().splitlines():
            prefix, _, vendor = line.partition(b":")
            table[prefix.decode("ascii", "replace").upper()] = vendor.decode("utf-8", "replace").strip()
        return table

    @property
    def available(self) -> bool:
        """True when the bundled OUI table was found."""
        return bool(self._prefixes)

    def vendor(self, mac: str) -> str:
        """The registered vendor of `mac`; '' when unregistered, locally administered or not a MAC."""
        try:
            digits = normalise_mac(mac)
        except ValueError:
            return ""
        if is_locally_administered(digits):
            return ""
        return self._prefixes.get(digits.replace(":", "")[:6].upper(), "")
