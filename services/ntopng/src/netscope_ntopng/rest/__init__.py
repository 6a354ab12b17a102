"""ntopng's REST API v2: the one async client of netscope and its errors."""

from netscope_ntopng.rest.client import PRO_REST, REST, NtopngClient
from netscope_ntopng.rest.errors import (
    NtopngAuthError,
    NtopngBadResponse,
    NtopngDeadline,
    NtopngError,
    NtopngInvalidInterface,
    NtopngNotFound,
    NtopngRequestError,
    NtopngStarting,
    NtopngUnavailable,
)

__all__ = [
    "PRO_REST",
    "REST",
    "NtopngAuthError",
    "NtopngBadResponse",
    "NtopngClient",
    "NtopngDeadline",
    "NtopngError",
    "NtopngInvalidInterface",
    "NtopngNotFound",
    "NtopngRequestError",
    "NtopngStarting",
    "NtopngUnavailable",
]
