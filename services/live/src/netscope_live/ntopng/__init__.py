"""ntopng REST API v2 client."""

from netscope_live.ntopng.client import NtopngClient
from netscope_live.ntopng.errors import (
    NtopngAuthError,
    NtopngBadResponse,
    NtopngError,
    NtopngInvalidInterface,
    NtopngNotFound,
    NtopngRequestError,
    NtopngUnavailable,
)

__all__ = [
    "NtopngAuthError",
    "NtopngBadResponse",
    "NtopngClient",
    "NtopngError",
    "NtopngInvalidInterface",
    "NtopngNotFound",
    "NtopngRequestError",
    "NtopngUnavailable",
]
