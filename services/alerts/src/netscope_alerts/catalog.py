"""Checks of alert type and severity names given by callers, against ntopng's vocabulary (netscope_ntopng)."""

from __future__ import annotations

import difflib

from netscope_common.errors import InvalidArgument
from netscope_ntopng.alert_types import ALERT_SEVERITIES, SEVERITY_IDS, AlertType, alert_types_by_name


def parse_alert_type(name: str, field: str = "alert_type") -> AlertType:
    """Look a type up by its ntopng name; a clear error (with close matches) otherwise."""
    clean = name.strip().lower()
    known = alert_types_by_name()
    found = known.get(clean)
    if found is None:
        close = difflib.get_close_matches(clean, list(known), n=3, cutoff=0.6)
        hint = f" Did you mean {', '.join(close)}?" if close else " ListAlertTypes returns every name."
        raise InvalidArgument(f"unknown alert type {name!r}.{hint}", field=field)
    return found


def parse_severity(name: str, field: str = "severity") -> int:
    """Severity id for a name such as 'warning'."""
    sid = SEVERITY_IDS.get(name.strip().lower())
    if sid is None:
        allowed = ", ".join(ALERT_SEVERITIES[i] for i in sorted(ALERT_SEVERITIES))
        raise InvalidArgument(f"unknown severity {name!r}; allowed: {allowed}", field=field)
    return sid
