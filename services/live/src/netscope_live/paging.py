"""Request validation shared by the live RPCs: page tokens, page sizes and limits."""

from __future__ import annotations

from netscope.common.v1 import common_pb2
from netscope_common.errors import InvalidArgument

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


def page_bounds(page: common_pb2.PageRequest) -> tuple[int, int]:
    """(offset, size) of a page; the token is the decimal offset handed out as next_page_token."""
    size = page.page_size or DEFAULT_PAGE_SIZE
    if size > MAX_PAGE_SIZE:
        raise InvalidArgument(f"page_size {size} is above the maximum of {MAX_PAGE_SIZE}", field="page.page_size")
    token = page.page_token
    if not token:
        return 0, size
    if not token.isdigit() or len(token) > 12:
        raise InvalidArgument(
            f"page_token {token[:40]!r} is not a token this service issued; pass next_page_token from the "
            "previous answer, or leave it empty for the first page",
            field="page.page_token",
        )
    return int(token), size


def next_token(offset: int, size: int, total: int) -> str:
    """The token of the page after [offset, offset + size), '' at the end."""
    return str(offset + size) if offset + size < total else ""


def bounded_limit(limit: int, default: int, maximum: int, field: str) -> int:
    """`limit` or its default; InvalidArgument above the maximum."""
    if limit > maximum:
        raise InvalidArgument(f"{field} {limit} is above the maximum of {maximum}", field=field)
    return limit or default
