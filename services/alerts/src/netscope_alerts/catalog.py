"""ntopng's alert vocabulary: severities, alert type names and entity kinds.

Type and severity names are ntopng's (netscope_common.ntopng.ndpi, shared with the scenario that writes the
alert tables). ntopng numbers alert types in three families: host alerts and flow alerts share the ids below
4096, every other entity uses ids from 4096 on.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache

from netscope_common.errors import InvalidArgument
from netscope_common.ntopng import ndpi

# ntopng severity ids (alert_consts.alert_severities).
SEVERITIES: dict[int, str] = ndpi.ALERT_SEVERITIES
SEVERITY_IDS: dict[str, int] = ndpi.SEVERITY_IDS

# ntopng alert_status column values.
STATUS_HISTORICAL = 0
STATUS_ACKNOWLEDGED = 1
STATUS_ENGAGED = 2
STATUS_NAMES = {
    STATUS_HISTORICAL: "historical",
    STATUS_ACKNOWLEDGED: "acknowledged",
    STATUS_ENGAGED: "engaged",
}

OTHER_KEY_BASE = 4096


@dataclass(frozen=True)
class AlertType:
    """One ntopng alert type."""

    name: str
    key: int
    family: str  # "host", "flow" or "other"


@cache
def alert_types() -> tuple[AlertType, ...]:
    """Every known alert type, by id then name."""
    families = (("flow", ndpi.FLOW_ALERT_TYPES), ("host", ndpi.HOST_ALERT_TYPES), ("other", ndpi.OTHER_ALERT_TYPES))
    found = (AlertType(name=name, key=key, family=family) for family, table in families for key, name in table.items())
    return tuple(sorted(found, key=lambda t: (t.key, t.name)))


@cache
def _by_name() -> dict[str, AlertType]:
    return {t.name: t for t in alert_types()}


@cache
def _by_family_key() -> dict[tuple[str, int], str]:
    return {(t.family, t.key): t.name for t in alert_types()}


def family_for_entity(entity_id: int, key: int) -> str:
    """The key family an alert id belongs to, given the ntopng entity id of its table."""
    if key >= OTHER_KEY_BASE:
        return "other"
    return {1: "host", 4: "flow"}.get(entity_id, "other")


def type_name(entity_id: int, key: int) -> str:
    """Readable alert type name; unknown ids read `alert_<id>`."""
    return _by_family_key().get((family_for_entity(entity_id, key), key), f"alert_{key}")


def parse_alert_type(name: str, field: str = "alert_type") -> AlertType:
    """Look a type up by its ntopng name; a clear error (with close matches) otherwise."""
    clean = name.strip().lower()
    found = _by_name().get(clean)
    if found is None:
        close = difflib.get_close_matches(clean, list(_by_name()), n=3, cutoff=0.6)
        hint = f" Did you mean {', '.join(close)}?" if close else " ListAlertTypes returns every name."
        raise InvalidArgument(f"unknown alert type {name!r}.{hint}", field=field)
    return found


def parse_severity(name: str, field: str = "severity") -> int:
    """Severity id for a name such as 'warning'."""
    sid = SEVERITY_IDS.get(name.strip().lower())
    if sid is None:
        allowed = ", ".join(SEVERITIES[i] for i in sorted(SEVERITIES))
        raise InvalidArgument(f"unknown severity {name!r}; allowed: {allowed}", field=field)
    return sid


def severity_name(sid: int) -> str:
    """Severity name for an id (unknown ids read `severity_<id>`)."""
    return SEVERITIES.get(sid, f"severity_{sid}")
