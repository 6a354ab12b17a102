"""Vendor profiles: CPU and memory OIDs for agents without HOST-RESOURCES-MIB data.

A profile lists scalar OIDs to GET and a function turning their values into CPU and memory percent.
`register_profile` is the hook for more vendors; a device picks a profile by name (`profile:` in the
inventory) or by the longest matching sysObjectID prefix.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

Values = Mapping[str, int]


@dataclass(frozen=True)
class VendorProfile:
    """CPU/memory scalars of one vendor and how to compute percentages from them."""

    name: str
    sys_object_id_prefixes: tuple[str, ...]
    oids: Mapping[str, str]
    cpu: Callable[[Values], float | None]
    memory: Callable[[Values], float | None]


def _percent(used: int | None, total: int | None) -> float | None:
    if used is None or not total or total <= 0:
        return None
    return max(0.0, min(100.0, 100.0 * used / total))


def _net_snmp_cpu(v: Values) -> float | None:
    idle = v.get("ss_cpu_idle")
    return None if idle is None else max(0.0, min(100.0, 100.0 - idle))


def _net_snmp_memory(v: Values) -> float | None:
    total, avail = v.get("mem_total_real"), v.get("mem_avail_real")
    if total is None or avail is None:
        return None
    used = total - avail - v.get("mem_buffer", 0) - v.get("mem_cached", 0)
    return _percent(max(used, 0), total)


def _cisco_memory(v: Values) -> float | None:
    used, free = v.get("pool_used"), v.get("pool_free")
    return None if used is None or free is None else _percent(used, used + free)


NET_SNMP = VendorProfile(
    name="net-snmp",
    sys_object_id_prefixes=("1.3.6.1.4.1.8072.",),
    oids={
        "ss_cpu_idle": "1.3.6.1.4.1.2021.11.11.0",
        "mem_total_real": "1.3.6.1.4.1.2021.4.5.0",
        "mem_avail_real": "1.3.6.1.4.1.2021.4.6.0",
        "mem_buffer": "1.3.6.1.4.1.2021.4.14.0",
        "mem_cached": "1.3.6.1.4.1.2021.4.15.0",
    },
    cpu=_net_snmp_cpu,
    memory=_net_snmp_memory,
)

CISCO = VendorProfile(
    name="cisco",
    sys_object_id_prefixes=("1.3.6.1.4.1.9.",),
    oids={
        "cpu_5min": "1.3.6.1.4.1.9.9.109.1.1.1.1.8.1",
        "pool_used": "1.3.6.1.4.1.9.9.48.1.1.1.5.1",
        "pool_free": "1.3.6.1.4.1.9.9.48.1.1.1.6.1",
    },
    cpu=lambda v: None if v.get("cpu_5min") is None else float(min(100, max(0, v["cpu_5min"]))),
    memory=_cisco_memory,
)

_PROFILES: dict[str, VendorProfile] = {}


def register_profile(profile: VendorProfile) -> None:
    """Make a profile available by name and sysObjectID prefix (replaces one of the same name)."""
    _PROFILES[profile.name] = profile


def profile_names() -> list[str]:
    """Names of the registered profiles."""
    return sorted(_PROFILES)


def find_profile(name: str | None, sys_object_id: str | None) -> VendorProfile | None:
    """The named profile, else the one whose sysObjectID prefix matches best, else None."""
    if name:
        return _PROFILES.get(name)
    if not sys_object_id:
        return None
    best: tuple[int, VendorProfile] | None = None
    for profile in _PROFILES.values():
        for prefix in profile.sys_object_id_prefixes:
            if f"{sys_object_id}.".startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), profile)
    return best[1] if best else None


register_profile(NET_SNMP)
register_profile(CISCO)
