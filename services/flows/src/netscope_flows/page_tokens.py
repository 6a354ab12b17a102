"""Opaque page tokens bound to one exact search (filter + sort), shared by every flows backend."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from netscope.flows.v1 import flows_pb2
from netscope_common.errors import InvalidArgument

T = TypeVar("T")


def _fingerprint(request: flows_pb2.SearchFlowsRequest) -> str:
    return hashlib.sha256(request.filter.SerializeToString(deterministic=True) + bytes([request.sort])).hexdigest()[:16]


def seal(request: flows_pb2.SearchFlowsRequest, payload: dict[str, Any]) -> str:
    """A token carrying `payload` that only this search accepts back."""
    raw = json.dumps({**payload, "f": _fingerprint(request)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def open_token(request: flows_pb2.SearchFlowsRequest, read: Callable[[dict[str, Any]], T]) -> T:
    """The payload of the request's token as `read` extracts it (ValueError/KeyError/TypeError = not ours);
    refuses tokens of another search."""
    try:
        padded = request.page_token + "=" * (-len(request.page_token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        value, fingerprint = read(data), str(data["f"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise InvalidArgument(
            "page_token is not a token this service issued; pass next_page_token unchanged", field="page_token"
        ) from None
    if fingerprint != _fingerprint(request):
        raise InvalidArgument(
            "page_token belongs to a search with another filter or sort; repeat the same filter and sort",
            field="page_token",
        )
    return value
