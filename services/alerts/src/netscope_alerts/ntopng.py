"""Push alert exclusions to a real ntopng through its REST API v2 (`/lua/pro/rest/v2/{add,delete}/...`)."""

from __future__ import annotations

from typing import Any

import httpx

from netscope_alerts import catalog
from netscope_alerts.exclusions import Exclusion

ADD_PATH = "/lua/pro/rest/v2/add/alert/exclusion.lua"
DELETE_PATH = "/lua/pro/rest/v2/delete/alert/exclusion.lua"


def base_url(url: str) -> str:
    """ntopng's base URL; a bare host[:port] (as in NTOPNG_HOST) means https."""
    url = url.strip().rstrip("/")
    return url if "://" in url else f"https://{url}"


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


class NtopngClient:
    """A small async client for ntopng's exclusion endpoints."""

    def __init__(self, url: str, api_key: str, *, timeout: float = 10.0, verify: bool = True) -> None:
        headers = {"Authorization": f"Token {api_key}"} if api_key else {}
        self._http = httpx.AsyncClient(base_url=base_url(url), headers=headers, timeout=timeout, verify=verify)

    async def close(self) -> None:
        await self._http.aclose()

    async def add_exclusion(self, ex: Exclusion) -> str:
        """Apply ex in ntopng; returns 'applied' or what went wrong."""
        return await self._post(ADD_PATH, exclusion_params(ex))

    async def delete_exclusion(self, ex: Exclusion) -> str:
        """Remove ex from ntopng; returns 'applied' or what went wrong."""
        return await self._post(DELETE_PATH, exclusion_params(ex))

    async def _post(self, path: str, params: dict[str, Any]) -> str:
        try:
            resp = await self._http.post(path, json=params)
        except httpx.HTTPError as exc:
            return f"failed: ntopng did not answer ({type(exc).__name__}: {exc})"
        if "json" not in resp.headers.get("content-type", ""):
            kind = resp.headers.get("content-type", "no")
            return f"failed: ntopng answered HTTP {resp.status_code} with {kind} content, not JSON"
        try:
            body = resp.json()
        except ValueError:
            return f"failed: ntopng answered HTTP {resp.status_code} with malformed JSON"
        rc = body.get("rc") if isinstance(body, dict) else None
        if rc == 0:
            return "applied"
        reason = body.get("rc_str_hr") or body.get("rc_str") if isinstance(body, dict) else None
        return f"failed: ntopng answered HTTP {resp.status_code}, rc {rc} ({reason or 'no reason given'})"
