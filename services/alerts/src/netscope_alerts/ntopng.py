"""Push alert exclusions to a real ntopng through the REST v2 client of netscope_ntopng."""

from __future__ import annotations

from typing import Any

from netscope_alerts import catalog
from netscope_alerts.exclusions import HOST_DOMAIN, Exclusion
from netscope_ntopng.rest import NtopngClient, NtopngError

APPLIED = "applied"


def exclusion_params(ex: Exclusion) -> dict[str, Any]:
    """ntopng's parameters for an exclusion (type, the value field, subdir and alert key)."""
    params: dict[str, Any] = {"type": ex.kind, "label": ex.comment}
    params[{"host": "alert_addr", "domain": "alert_domain", "certificate": "alert_certificate"}[ex.kind]] = ex.value
    family = catalog.parse_alert_type(ex.alert_type).family if ex.alert_type else "host"
    subdir = "flow" if family == "flow" else "host"
    key = str(catalog.parse_alert_type(ex.alert_type).key) if ex.alert_type else "-1"
    params["subdir"] = subdir
    params["host_alert_key"] = key if subdir == "host" else "-1"
    params["flow_alert_key"] = key if subdir == "flow" else "-1"
    return params


async def push_exclusion(client: NtopngClient, ex: Exclusion, *, remove: bool = False) -> str:
    """Add (or remove) ex in ntopng; 'applied', or 'failed: ' and what went wrong (the local store stays the truth)."""
    if ex.kind == HOST_DOMAIN:
        return "not applied in ntopng: its domain exclusions cover every host (netscope hides this pair's alerts)"
    params = exclusion_params(ex)
    try:
        if remove:
            await client.delete_alert_exclusion(params)
        else:
            await client.add_alert_exclusion(params)
    except NtopngError as exc:
        return f"failed: {exc.message}"
    return APPLIED
