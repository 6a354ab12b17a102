"""WalkPlan: full walks now and then, light walks filled with kept static columns, fallbacks."""

from __future__ import annotations

from collections.abc import Mapping

from netscope_snmp.poller import _WALK_COLUMNS
from netscope_snmp.transport import WalkResult
from netscope_snmp.walkplan import OCTETS_32, STATIC_COLUMNS, WalkPlan


def walk(
    uptime: int, interfaces: tuple[int, ...] = (1, 2), hc: bool = True, columns: Mapping[str, str] | None = None
) -> WalkResult:
    """A walk answer of `interfaces` rows (names eth<i>, numbers i*100) and one storage row."""
    names = _WALK_COLUMNS if columns is None else columns
    result = WalkResult(scalars={"sys_uptime": uptime}, columns={name: {} for name in names})
    for i in interfaces:
        for name in result.columns:
            if name.startswith("if.") and (hc or not name.startswith("if.hc_")):
                result.columns[name][(i,)] = f"eth{i}".encode() if name in ("if.name", "if.descr") else i * 100
    result.columns["st.used"] = {(1,): 5}
    return result


def test_light_walks_between_full_walks_reuse_static_columns() -> None:
    plan = WalkPlan(_WALK_COLUMNS, refresh_every=3)
    columns, full = plan.columns_for("d")
    assert full and columns == _WALK_COLUMNS
    plan.after_full("d", walk(100))
    columns, full = plan.columns_for("d")
    assert not full and not set(columns) & (STATIC_COLUMNS | OCTETS_32)
    light = walk(200, columns=columns)
    assert plan.complete_light("d", light)
    assert light.columns["if.name"] == {(1,): b"eth1", (2,): b"eth2"}
    assert plan.columns_for("d")[1] is False
    assert plan.complete_light("d", walk(300, columns=plan.columns_for("d")[0]))
    assert plan.columns_for("d")[1] is True  # every third walk is full


def test_changed_rows_reboot_or_missing_hc_force_a_full_walk() -> None:
    plan = WalkPlan(_WALK_COLUMNS, refresh_every=10)
    for changed in (walk(200, interfaces=(1, 2, 3)), walk(50), walk(200, hc=False)):
        plan.after_full("d", walk(100))
        columns = plan.columns_for("d")[0]
        changed.columns = {k: v for k, v in changed.columns.items() if k in columns or k == "st.used"}
        assert not plan.complete_light("d", changed)
        assert plan.columns_for("d")[1] is True


def test_32bit_octets_kept_when_an_interface_lacks_hc() -> None:
    plan = WalkPlan(_WALK_COLUMNS)
    plan.after_full("d", walk(100, hc=False))
    columns, full = plan.columns_for("d")
    assert not full and set(columns) >= OCTETS_32
