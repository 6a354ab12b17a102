"""ntopng's REST API v2 answer: the envelope `{rc, rc_str, rc_str_hr?, rsp}` turned into `rsp` or an NtopngError.

rc 0 is success. ntopng redirects to its HTML login page when the credentials are refused and to another page for
an unknown script, answers every request with an HTML "We're almost ready" page (HTTP 403) while it starts or
shuts down, and answers some errors with an HTML page: the status and content type are checked before the JSON
is parsed.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from netscope_ntopng.rest.errors import (
    NtopngAuthError,
    NtopngBadResponse,
    NtopngError,
    NtopngInvalidInterface,
    NtopngNotFound,
    NtopngRequestError,
    NtopngStarting,
)

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


STARTING_PAGE = b"almost ready"
"""What ntopng's start-up / shutdown page says (HTTPserver.cpp: "We're almost ready...", HTTP 403)."""
API_KEY_ADVICE = "set NTOPNG_API_KEY to a token of a user allowed to use the REST API"


def parse(path: str, response: httpx.Response, credentials: str = API_KEY_ADVICE) -> Any:
    """The `rsp` of a successful answer to `path`; an NtopngError subclass with an actionable message otherwise.

    `credentials` says how to fix refused credentials (which NTOPNG_* variables the client was given).
    """
    status = response.status_code
    if 300 <= status < 400:
        location = response.headers.get("location", "")
        if "login" in location:
            raise NtopngAuthError(
                f"ntopng redirected {path} to its login page: the credentials are missing or refused ({credentials})",
                status=status,
            )
        raise NtopngNotFound(
            f"ntopng has no REST endpoint {path} (it redirected to {location or 'another page'}); "
            "check the ntopng version supports REST API v2",
            status=status,
        )
    if status == 403 and STARTING_PAGE in response.content[:2048]:
        raise NtopngStarting(
            f"ntopng is starting (or shutting down): it answered {path} with its 'We're almost ready' page "
            "(HTTP 403); retry in a few seconds",
            status=status,
        )
    if status in (401, 403):
        raise NtopngAuthError(
            f"ntopng refused the credentials (HTTP {status}) for {path}: {credentials}", status=status
        )
    content_type = response.headers.get("content-type", "")
    if "json" not in content_type:
        raise NtopngBadResponse(
            f"ntopng answered {path} with HTTP {status} and {content_type or 'no content type'}, not JSON "
            "(an error page?); check the ntopng URL and its logs",
            status=status,
        )
    try:
        body = json.loads(response.content.decode("utf-8", "replace"))
    except ValueError as exc:
        raise NtopngBadResponse(f"ntopng answered {path} with malformed JSON: {exc}", status=status) from exc
    if not isinstance(body, dict) or "rc" not in body:
        raise NtopngBadResponse(
            f"ntopng answered {path} without the REST v2 envelope {{rc, rc_str, rsp}}", status=status
        )
    rc = body.get("rc")
    if rc == 0:
        return body.get("rsp")
    raise rc_error(path, rc, body, status)


def rc_error(path: str, rc: Any, body: dict[str, Any], status: int) -> NtopngError:
    """The error for a non-zero rc, with ntopng's own words (`rc_str_hr`) and what to do."""
    name = body.get("rc_str") or (RC_NAMES.get(rc, "UNKNOWN") if isinstance(rc, int) else "UNKNOWN")
    detail = body.get("rc_str_hr") or name
    text = f"ntopng answered {path} with rc={rc} {name} ({detail})"
    if rc == -1:
        return NtopngNotFound(text, rc=rc, status=status)
    if rc == -2:
        return NtopngInvalidInterface(text + ": list the interfaces for valid ifids", rc=rc, status=status)
    if rc == -3:
        return NtopngAuthError(text + ": the token's user may not do this", rc=rc, status=status)
    return NtopngRequestError(text, rc=rc, status=status)


def as_dict(rsp: Any, what: str) -> dict[str, Any]:
    """`rsp` when it is a JSON object."""
    if not isinstance(rsp, dict):
        raise NtopngBadResponse(f"ntopng {what}: expected a JSON object in rsp, got {type(rsp).__name__}")
    return rsp


def as_list(rsp: Any, what: str) -> list[dict[str, Any]]:
    """`rsp` when it is a JSON array of objects."""
    if not isinstance(rsp, list) or not all(isinstance(item, dict) for item in rsp):
        raise NtopngBadResponse(f"ntopng {what}: expected a JSON array of objects in rsp")
    return rsp
