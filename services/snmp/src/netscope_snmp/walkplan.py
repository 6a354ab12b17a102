"""Which columns a device walk asks for: everything now and then, only the changing columns in between.

Interface names, types, speeds and aliases and hrStorage types, descriptions and units rarely change;
walking them on every poll doubles the requests per device. After a full walk the poller keeps them and,
for the next `refresh_every - 1` polls, walks only the counters and status columns (and skips the 32-bit
octet counters when every interface has 64-bit ones), then fills the kept values in. A light walk whose
rows no longer match (an interface or storage entry appeared or went away, 64-bit counters missing) or
whose sysUpTime went back (reboot) is not used: a full walk follows at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from netscope_snmp.ber import Oid, Value
from netscope_snmp.transport import WalkResult

STATIC_COLUMNS = frozenset(
    {"if.descr", "if.type", "if.speed", "if.name", "if.high_speed", "if.alias", "st.type", "st.descr"}
    | {"st.allocation_units"}
)
OCTETS_32 = frozenset({"if.in_octets", "if.out_octets"})
_ROW_KEYS = ("if.oper_status", "st.used")  # columns whose row sets must match the full walk's


@dataclass
class _Kept:
    static: dict[str, dict[Oid, Value]]
    rows: dict[str, frozenset[Oid]]
    skip: frozenset[str]
    uptime: int | None
    light_walks: int = 0


@dataclass
class WalkPlan:
    """Per-device memory of static columns; `refresh_every` = 1 walks everything every time."""

    columns: Mapping[str, str]
    refresh_every: int = 10
    _kept: dict[str, _Kept] = field(default_factory=dict)

    def columns_for(self, device_id: str) -> tuple[Mapping[str, str], bool]:
        """(columns to walk, whether that is a full walk)."""
        kept = self._kept.get(device_id)
        if kept is None or kept.light_walks >= self.refresh_every - 1:
            return self.columns, True
        return {k: v for k, v in self.columns.items() if k not in kept.skip}, False

    def after_full(self, device_id: str, walk: WalkResult) -> None:
        """Keep the static columns of a full walk."""
        rows = {name: frozenset(walk.columns.get(name, {})) for name in _ROW_KEYS}
        interfaces = rows["if.oper_status"]
        has_hc = bool(interfaces) and _has_hc(walk, interfaces)
        self._kept[device_id] = _Kept(
            static={name: dict(walk.columns.get(name, {})) for name in STATIC_COLUMNS},
            rows=rows,
            skip=STATIC_COLUMNS | (OCTETS_32 if has_hc else frozenset()),
            uptime=_uptime(walk),
        )

    def complete_light(self, device_id: str, walk: WalkResult) -> bool:
        """Fill a light walk with the kept columns; False when it does not fit (walk fully instead)."""
        kept = self._kept[device_id]
        uptime = _uptime(walk)
        rows = {name: frozenset(walk.columns.get(name, {})) for name in _ROW_KEYS}
        hc_ok = not OCTETS_32.issubset(kept.skip) or _has_hc(walk, rows["if.oper_status"])
        rebooted = uptime is None or kept.uptime is None or uptime < kept.uptime
        if rows != kept.rows or rebooted or not hc_ok:
            del self._kept[device_id]
            return False
        for name, values in kept.static.items():
            walk.columns[name] = dict(values)
        kept.uptime = uptime
        kept.light_walks += 1
        return True

    def forget(self, device_id: str) -> None:
        """Drop what is kept for a device (removed from the inventory or the shard)."""
        self._kept.pop(device_id, None)


def _uptime(walk: WalkResult) -> int | None:
    value = walk.scalars.get("sys_uptime")
    return value if isinstance(value, int) else None


def _has_hc(walk: WalkResult, interfaces: frozenset[Oid]) -> bool:
    """True when every interface row has both 64-bit octet counters."""
    return all(
        isinstance(walk.columns.get(hc, {}).get(row), int)
        for row in interfaces
        for hc in ("if.hc_in_octets", "if.hc_out_octets")
    )
