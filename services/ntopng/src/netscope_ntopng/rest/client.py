"""Async client for ntopng's REST API v2 (`/lua/rest/v2/...`, and `/lua/pro/rest/v2/...` for Pro endpoints).

The client authenticates with `Authorization: Token <token>` or, without a token, HTTP basic auth (ntopng accepts
both), never follows redirects (ntopng redirects to its HTML login page when the credentials are refused), reads
every answer through the envelope checks of `envelope.parse`, and retries idempotent GETs on connection errors,
timeouts, 502/503/504 and ntopng's start-up page; a POST (a change) is sent once. Given `time_left` (the seconds
left to the caller's deadline), every attempt and back-off fits inside it, so the error that names ntopng reaches
the caller before its deadline does: as NtopngDeadline when the deadline cut the attempts short (a caller
should not retry it), else as NtopngUnavailable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
from opentelemetry import trace

from netscope_ntopng.rest.envelope import API_KEY_ADVICE, as_dict, as_list, parse
from netscope_ntopng.rest.errors import NtopngDeadline, NtopngStarting, NtopngUnavailable

REST = "/lua/rest/v2"
PRO_REST = "/lua/pro/rest/v2"
RETRY_STATUS = {502, 503, 504}
_tracer = trace.get_tracer("netscope.ntopng")  # spans are recorded only when the process traces
HOST_SORT_COLUMNS = {"bytes": "traffic", "throughput": "thpt", "flows": "num_flows", "score": "score"}
FLOW_SORT_COLUMNS = {"bytes": "bytes", "throughput": "thpt", "last_seen": "last_seen", "key": "key"}
MIN_ATTEMPT_SECONDS = 0.05
RESERVE_FRACTION, RESERVE_MAX_SECONDS = 0.1, 1.0
"""Part of the caller's time kept for the error to travel back (10 %, at most 1 s)."""


class NtopngClient:
    """One ntopng instance: base URL like `http://127.0.0.1:3000`, an API token or a user and password."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        user: str = "",
        password: str = "",
        timeout: float = 10.0,
        retries: int = 2,
        backoff: float = 0.2,
        verify: bool = True,
        time_left: Callable[[], float | None] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"ntopng URL {base_url!r} must start with http:// or https:// (e.g. http://host:3000)")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.time_left = time_left
        headers = {"Accept": "application/json"}
        auth: httpx.BasicAuth | None = None
        if token:
            headers["Authorization"] = f"Token {token}"
            self.credentials = API_KEY_ADVICE
        elif user:
            auth = httpx.BasicAuth(user, password)
            self.credentials = f"check NTOPNG_USER ({user}) and NTOPNG_PASSWORD, or set NTOPNG_API_KEY to a token"
        else:
            self.credentials = API_KEY_ADVICE + ", or NTOPNG_USER and NTOPNG_PASSWORD"
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers=headers,
            auth=auth,
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            verify=verify,
            transport=transport,
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    def _budget(self) -> float | None:
        """Seconds this client may still spend (the caller's time left minus a reserve); None = unbounded."""
        left = self.time_left() if self.time_left else None
        if left is None:
            return None
        return left - min(RESERVE_MAX_SECONDS, RESERVE_FRACTION * left)

    # -- calls -----------------------------------------------------------------------------------
    async def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET `path` (e.g. `REST + '/get/ntopng/interfaces.lua'`) and return `rsp`, retrying what may be retried
        while the caller's deadline allows."""
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        last: NtopngUnavailable | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                pause = self.backoff * 2 ** (attempt - 1)
                budget = self._budget()
                if budget is not None and budget < pause + MIN_ATTEMPT_SECONDS:
                    raise self._out_of_time(path, last)
                await asyncio.sleep(pause)
            timeout = self._attempt_timeout(path, last)
            try:
                with _tracer.start_as_current_span("ntopng GET", attributes={"url.path": path, "attempt": attempt}):
                    response = await self._http.get(path, params=clean, timeout=timeout)
            except httpx.TransportError as exc:
                last = self._unreachable(path, exc)
                if self._cut_by_deadline(timeout, exc):
                    raise NtopngDeadline(last.message + ", within the time the caller's deadline left") from None
                continue
            if response.status_code in RETRY_STATUS:
                last = NtopngUnavailable(
                    f"ntopng at {self.base_url} answered HTTP {response.status_code} for {path}",
                    status=response.status_code,
                )
                continue
            try:
                return parse(path, response, self.credentials)
            except NtopngStarting as exc:
                last = exc
        assert last is not None
        raise last

    def _attempt_timeout(self, path: str, last: NtopngUnavailable | None) -> float:
        """The next attempt's timeout: the client's, cut to what the caller's deadline leaves (NtopngDeadline
        when that is too little for an attempt)."""
        budget = self._budget()
        if budget is not None and budget < MIN_ATTEMPT_SECONDS:
            raise self._out_of_time(path, last)
        return self.timeout if budget is None else min(self.timeout, budget)

    def _cut_by_deadline(self, timeout: float, exc: httpx.TransportError) -> bool:
        """Whether an attempt timed out because the caller's deadline had shortened its timeout."""
        return timeout < self.timeout and isinstance(exc, httpx.TimeoutException)

    def _out_of_time(self, path: str, last: NtopngUnavailable | None) -> NtopngDeadline:
        """The caller's deadline leaves no time for another attempt."""
        if last is None:
            return NtopngDeadline(
                f"ntopng at {self.base_url} did not answer {path} in time: the caller's deadline left no time "
                "for a request"
            )
        return NtopngDeadline(f"{last.message}; the caller's deadline leaves no time for another attempt")

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        """POST a JSON `body` to `path` once (ntopng reads it like query parameters), within the caller's deadline,
        and return `rsp`."""
        timeout = self._attempt_timeout(path, None)
        try:
            with _tracer.start_as_current_span("ntopng POST", attributes={"url.path": path}):
                response = await self._http.post(path, json=body, timeout=timeout)
        except httpx.TransportError as exc:
            unreachable = self._unreachable(path, exc, change=True)
            if self._cut_by_deadline(timeout, exc):
                raise NtopngDeadline(unreachable.message + ", within the time the caller's deadline left") from None
            raise unreachable from None
        return parse(path, response, self.credentials)

    def _unreachable(self, path: str, exc: httpx.TransportError, *, change: bool = False) -> NtopngUnavailable:
        if isinstance(exc, httpx.TimeoutException):
            text = f"ntopng at {self.base_url} did not answer {path} in time ({type(exc).__name__})"
            if change:
                text += "; the change may or may not have been applied"
            return NtopngUnavailable(text)
        text = f"cannot reach ntopng at {self.base_url}: {exc or type(exc).__name__}"
        if "CERTIFICATE_VERIFY_FAILED" in str(exc):
            text += " (a self-signed ntopng certificate: trust its CA, or set NTOPNG_VERIFY=false)"
        elif self.base_url.startswith("https://") and "SSL" in str(exc):
            text += (
                " (is it plain http? ntopng serves http on port 3000 by default: write NTOPNG_HOST=http://host:3000,"
                " or set NTOPNG_SECURE=false for a host without scheme)"
            )
        return NtopngUnavailable(text)

    # -- live data -------------------------------------------------------------------------------
    async def interfaces(self) -> list[dict[str, Any]]:
        """`[{ifid, ifname, name}]` of the monitored interfaces."""
        return as_list(await self.get(f"{REST}/get/ntopng/interfaces.lua"), "interfaces")

    async def interface_data(self, ifid: int) -> dict[str, Any]:
        """Counters and throughput of one interface."""
        return as_dict(await self.get(f"{REST}/get/interface/data.lua", {"ifid": ifid}), "interface data")

    async def active_hosts(
        self,
        ifid: int,
        *,
        mode: str = "all",
        sort: str | None = None,
        page: int = 1,
        per_page: int = 50,
        mac: str | None = None,
    ) -> dict[str, Any]:
        """One page of active hosts (`{currentPage, perPage, data}`), largest first by `sort` (bytes|throughput|
        flows|score); `mode` all|local|remote; `mac`: only the hosts behind this MAC."""
        params: dict[str, Any] = {"ifid": ifid, "mode": mode, "currentPage": page, "perPage": per_page, "mac": mac}
        if sort is not None:
            params["sortColumn"] = HOST_SORT_COLUMNS[sort]
            params["sortOrder"] = "desc"
        return as_dict(await self.get(f"{REST}/get/host/active.lua", params), "active hosts")

    async def host_data(self, ifid: int, host: str, vlan: int = 0) -> dict[str, Any]:
        """Everything ntopng knows about one host (flat keys like `bytes.sent`)."""
        params = {"ifid": ifid, "host": host, "vlan": vlan}
        return as_dict(await self.get(f"{REST}/get/host/data.lua", params), "host data")

    async def host_l7_stats(self, ifid: int, host: str, vlan: int = 0) -> list[dict[str, Any]]:
        """`[{label, value}]` bytes per application of one host."""
        rsp = await self.get(f"{REST}/get/host/l7/stats.lua", {"ifid": ifid, "host": host, "vlan": vlan})
        return as_list(rsp, "host l7 stats")

    async def active_flows(
        self,
        ifid: int,
        *,
        host: str | None = None,
        page: int = 1,
        per_page: int = 50,
        sort: str | None = None,
        ascending: bool = False,
        application: str | None = None,
        l4proto: int | None = None,
        port: int | None = None,
    ) -> dict[str, Any]:
        """One page of active flows (`{currentPage, perPage, totalRows, data}`) filtered, sorted and paged by ntopng.

        `host`: flows of this IP (404 NOT_FOUND when ntopng does not know it); `application`: an nDPI protocol
        name, matching a flow's master or application protocol; `l4proto`: an IP protocol number; `port`: either
        port. `sort` is bytes|throughput|last_seen|key, largest first unless `ascending`. Rows carry `packets`
        (ntopng's `verbose` rows).
        """
        params: dict[str, Any] = {
            "ifid": ifid,
            "host": host,
            "currentPage": page,
            "perPage": per_page,
            "application": application,
            "l4proto": l4proto,
            "port": port,
            "verbose": "true",
        }
        if sort is not None:
            params["sortColumn"] = FLOW_SORT_COLUMNS[sort]
            params["sortOrder"] = "asc" if ascending else "desc"
        return as_dict(await self.get(f"{REST}/get/flow/active.lua", params), "active flows")

    # -- alert exclusions (Pro) ------------------------------------------------------------------
    async def add_alert_exclusion(self, params: dict[str, Any]) -> None:
        """Exclude alerts (`type` host|domain|certificate, `alert_addr`/`alert_domain`/`alert_certificate`,
        `subdir`, `host_alert_key`, `flow_alert_key`, `label`)."""
        await self.post(f"{PRO_REST}/add/alert/exclusion.lua", params)

    async def delete_alert_exclusion(self, params: dict[str, Any]) -> None:
        """Remove an exclusion (the parameters it was added with)."""
        await self.post(f"{PRO_REST}/delete/alert/exclusion.lua", params)
