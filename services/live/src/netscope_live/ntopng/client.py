"""Async client for ntopng's REST API v2 (`/lua/rest/v2/...`).

Every answer is the envelope `{rc, rc_str, rc_str_hr?, rsp}`; rc 0 is success. The client sends
`Authorization: Token <token>`, never follows redirects (ntopng redirects to its HTML login page
when the token is refused), checks the content type before parsing (some errors are HTML pages),
and retries idempotent GETs on connection errors, timeouts and 502/503/504.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from netscope_live.ntopng.errors import (
    NtopngAuthError,
    NtopngBadResponse,
    NtopngError,
    NtopngInvalidInterface,
    NtopngNotFound,
    NtopngRequestError,
    NtopngUnavailable,
)

REST = "/lua/rest/v2"
RC_NAMES = {
    -1: "NOT_FOUND",
    -2: "INVALID_INTERFACE",
    -3: "NOT_GRANTED",
    -4: "INVALID_HOST",
    -5: "INVALID_ARGUMENTS",
    -6: "INTERNAL_ERROR",
    -7: "BAD_FORMAT",
    -8: "BAD_CONTENT",
}
RETRY_STATUS = {502, 503, 504}
HOST_SORT_COLUMNS = {"bytes": "traffic", "throughput": "thpt", "flows": "num_flows"}


class NtopngClient:
    """One ntopng instance: base URL like `http://127.0.0.1:3000` and an API token."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 10.0,
        retries: int = 2,
        backoff: float = 0.2,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"ntopng URL {base_url!r} must start with http:// or https:// (e.g. http://host:3000)")
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self.backoff = backoff
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Token {token}"
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            transport=transport,
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    # -- envelope --------------------------------------------------------------------------------
    async def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET `REST + path` and return `rsp`; raises an NtopngError subclass with an actionable message."""
        url = f"{REST}{path}"
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                response = await self._http.get(url, params=clean)
            except httpx.TimeoutException as exc:
                last = NtopngUnavailable(
                    f"ntopng at {self.base_url} did not answer {url} in time ({type(exc).__name__})"
                )
                continue
            except httpx.TransportError as exc:
                last = NtopngUnavailable(f"cannot reach ntopng at {self.base_url}: {exc or type(exc).__name__}")
                continue
            if response.status_code in RETRY_STATUS:
                last = NtopngUnavailable(
                    f"ntopng at {self.base_url} answered HTTP {response.status_code} for {url}",
                    status=response.status_code,
                )
                continue
            return self._parse(url, response)
        assert last is not None
        raise last

    def _parse(self, url: str, response: httpx.Response) -> Any:
        status = response.status_code
        if 300 <= status < 400:
            location = response.headers.get("location", "")
            if "login" in location:
                raise NtopngAuthError(
                    f"ntopng redirected {url} to its login page: the API token is missing or refused "
                    "(set NTOPNG_API_KEY to a token of a user allowed to use the REST API)",
                    status=status,
                )
            raise NtopngNotFound(
                f"ntopng has no REST endpoint {url} (it redirected to {location or 'another page'}); "
                "check the ntopng version supports REST API v2",
                status=status,
            )
        if status in (401, 403):
            raise NtopngAuthError(
                f"ntopng refused the API token (HTTP {status}) for {url}: check NTOPNG_API_KEY", status=status
            )
        content_type = response.headers.get("content-type", "")
        if "json" not in content_type:
            raise NtopngBadResponse(
                f"ntopng answered {url} with HTTP {status} and {content_type or 'no content type'}, not JSON "
                "(an error page?); check the ntopng URL and its logs",
                status=status,
            )
        try:
            body = json.loads(response.content.decode("utf-8", "replace"))
        except ValueError as exc:
            raise NtopngBadResponse(f"ntopng answered {url} with malformed JSON: {exc}", status=status) from exc
        if not isinstance(body, dict) or "rc" not in body:
            raise NtopngBadResponse(
                f"ntopng answered {url} without the REST v2 envelope {{rc, rc_str, rsp}}", status=status
            )
        rc = body.get("rc")
        if rc == 0:
            return body.get("rsp")
        raise self._rc_error(url, rc, body, status)

    @staticmethod
    def _rc_error(url: str, rc: Any, body: dict[str, Any], status: int) -> NtopngError:
        name = body.get("rc_str") or (RC_NAMES.get(rc, "UNKNOWN") if isinstance(rc, int) else "UNKNOWN")
        detail = body.get("rc_str_hr") or name
        text = f"ntopng answered {url} with rc={rc} {name} ({detail})"
        if rc == -1:
            return NtopngNotFound(text, rc=rc, status=status)
        if rc == -2:
            return NtopngInvalidInterface(text + ": list the interfaces for valid ifids", rc=rc, status=status)
        if rc == -3:
            return NtopngAuthError(text + ": the token's user may not do this", rc=rc, status=status)
        return NtopngRequestError(text, rc=rc, status=status)

    # -- endpoints -------------------------------------------------------------------------------
    async def interfaces(self) -> list[dict[str, Any]]:
        """`[{ifid, ifname, name}]` of the monitored interfaces."""
        return _list(await self.get("/get/ntopng/interfaces.lua"), "interfaces")

    async def interface_data(self, ifid: int) -> dict[str, Any]:
        """Counters and throughput of one interface."""
        return _dict(await self.get("/get/interface/data.lua", {"ifid": ifid}), "interface data")

    async def active_hosts(
        self, ifid: int, *, mode: str = "all", sort: str | None = None, page: int = 1, per_page: int = 50
    ) -> dict[str, Any]:
        """One page of active hosts (`{currentPage, perPage, data}`); sort in bytes|throughput|flows."""
        params: dict[str, Any] = {"ifid": ifid, "mode": mode, "currentPage": page, "perPage": per_page}
        if sort is not None:
            params["sortColumn"] = HOST_SORT_COLUMNS[sort]
            params["sortOrder"] = "desc"
        return _dict(await self.get("/get/host/active.lua", params), "active hosts")

    async def host_data(self, ifid: int, host: str, vlan: int = 0) -> dict[str, Any]:
        """Everything ntopng knows about one host (flat keys like `bytes.sent`)."""
        return _dict(await self.get("/get/host/data.lua", {"ifid": ifid, "host": host, "vlan": vlan}), "host data")

    async def host_l7_stats(self, ifid: int, host: str, vlan: int = 0) -> list[dict[str, Any]]:
        """`[{label, value}]` bytes per application of one host."""
        rsp = await self.get("/get/host/l7/stats.lua", {"ifid": ifid, "host": host, "vlan": vlan})
        return _list(rsp, "host l7 stats")

    async def active_flows(
        self, ifid: int, *, host: str | None = None, page: int = 1, per_page: int = 50
    ) -> dict[str, Any]:
        """One page of active flows (`{currentPage, perPage, totalRows, data}`), optionally of one host."""
        params = {"ifid": ifid, "host": host, "currentPage": page, "perPage": per_page}
        return _dict(await self.get("/get/flow/active.lua", params), "active flows")


def _dict(rsp: Any, what: str) -> dict[str, Any]:
    if not isinstance(rsp, dict):
        raise NtopngBadResponse(f"ntopng {what}: expected a JSON object in rsp, got {type(rsp).__name__}")
    return rsp


def _list(rsp: Any, what: str) -> list[dict[str, Any]]:
    if not isinstance(rsp, list) or not all(isinstance(item, dict) for item in rsp):
        raise NtopngBadResponse(f"ntopng {what}: expected a JSON array of objects in rsp")
    return rsp
