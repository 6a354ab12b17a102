"""Errors of the ntopng client; each message says what went wrong and what to check."""

from __future__ import annotations


class NtopngError(Exception):
    """Any failure talking to ntopng."""

    def __init__(self, message: str, *, rc: int | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.rc = rc
        self.status = status


class NtopngAuthError(NtopngError):
    """The token was refused (401/403, NOT_GRANTED, or a redirect to the login page)."""


class NtopngNotFound(NtopngError):
    """ntopng answered NOT_FOUND (rc -1): the host, flow or endpoint does not exist."""


class NtopngInvalidInterface(NtopngError):
    """ntopng answered INVALID_INTERFACE (rc -2): no interface with that ifid."""


class NtopngRequestError(NtopngError):
    """ntopng rejected the request (invalid host / arguments / format / content, internal error)."""


class NtopngBadResponse(NtopngError):
    """The answer is not the JSON envelope ntopng's REST API v2 returns (HTML page, bad JSON, ...)."""


class NtopngUnavailable(NtopngError):
    """ntopng did not answer (connection refused, timeout) after the retries."""


class NtopngDeadline(NtopngUnavailable):
    """ntopng did not answer before the caller's deadline (the attempts were cut to fit it): not worth retrying."""


class NtopngStarting(NtopngUnavailable):
    """ntopng is starting or shutting down: it answers every request with its HTML "almost ready" page (HTTP 403)."""
