"""Opaque keyset page tokens, bound to the query they came from."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from netscope_common.errors import InvalidArgument

_BAD = "page_token is not valid for this query; repeat the request without a page token to start again"


def fingerprint(*parts: Any) -> str:
    """A short hash of the query's filters and sort, so a token cannot be replayed on another query."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def encode(query_fingerprint: str, last_key: list[Any]) -> str:
    """A token that resumes after the row whose sort key is last_key."""
    raw = json.dumps({"f": query_fingerprint, "k": last_key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str, query_fingerprint: str) -> list[Any]:
    """The sort key a token resumes after; InvalidArgument when it is malformed or from another query."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        key = data["k"]
        ok = data["f"] == query_fingerprint and isinstance(key, list)
    except (ValueError, KeyError, TypeError):
        ok = False
    if not ok:
        raise InvalidArgument(_BAD, field="page.page_token")
    return list(key)
