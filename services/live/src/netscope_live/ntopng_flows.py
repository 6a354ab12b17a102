"""Active flows from ntopng's `flow/active.lua`: request filters in ntopng's terms, rows as LiveFlow, bounded scans.

ntopng filters (host, nDPI application, IP protocol, either port), sorts (bytes, throughput, last seen) and pages
flows itself and counts the matches exactly (`totalRows`), so ListFlows reads one page. Answers computed over every
flow (FlowsSummary, a host's peers and server ports) read ntopng's pages of 1000 rows in a stable order (by flow
key) up to a stated number of rows, and say how many rows they examined.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from netscope.live.v1 import live_pb2 as pb
from netscope_common.errors import InvalidArgument
from netscope_live.protoutil import timestamp
from netscope_ntopng.ndpi import L7_PROTOCOL_IDS

NTOPNG_PAGE = 1000
"""The largest page ntopng's REST API returns."""
FLOW_SORTS = {pb.FLOW_SORT_THROUGHPUT: "throughput", pb.FLOW_SORT_LAST_SEEN: "last_seen"}
L4_NUMBERS = {"ICMP": 1, "IGMP": 2, "TCP": 6, "UDP": 17, "GRE": 47, "ESP": 50, "ICMPV6": 58, "SCTP": 132}
_L7_BY_LOWER = {name.lower(): proto_id for name, proto_id in L7_PROTOCOL_IDS.items()}

FlowPage = Callable[[int, int], Awaitable[dict[str, Any]]]
"""(currentPage, perPage) -> one `flow/active.lua` answer."""


def as_int(value: Any) -> int:
    """An integer from ntopng's JSON (0 for missing or malformed values)."""
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def as_float(value: Any) -> float:
    """A float from ntopng's JSON (0.0 for missing or malformed values)."""
    try:
        return float(value or 0.0)
    except (TypeError, ValueError):
        return 0.0


def application_filter(name: str) -> str | None:
    """ntopng's `application` parameter for an nDPI name ('TLS' -> '91', 'TLS.Google' -> '91.126'); None for ''.

    ntopng matches a single id against a flow's master or application protocol, and `master.app` against both.
    """
    text = name.strip()
    if not text:
        return None
    ids = [_L7_BY_LOWER.get(part.lower()) for part in text.split(".", 1)]
    if any(i is None for i in ids):
        raise InvalidArgument(
            f"l7_proto {text[:60]!r} is not an nDPI application name; use a name such as TLS, DNS, HTTP or "
            "TLS.Google (the netscope://protocols resource lists them)",
            field="l7_proto",
        )
    return ".".join(str(i) for i in ids)


def l4_filter(name: str) -> int | None:
    """ntopng's `l4proto` parameter (an IP protocol number) for 'TCP', 'udp', '17', ...; None for ''."""
    text = name.strip().upper()
    if not text:
        return None
    if text.isdigit() and 0 < int(text) < 256:
        return int(text)
    if text not in L4_NUMBERS:
        raise InvalidArgument(
            f"l4_proto {name[:20]!r} is not a protocol ntopng filters on; use one of {', '.join(L4_NUMBERS)} "
            "or an IP protocol number (1-255)",
            field="l4_proto",
        )
    return L4_NUMBERS[text]


def live_flow(f: dict[str, Any]) -> pb.LiveFlow:
    """One `flow/active.lua` row; `packets` only when ntopng gives it (verbose rows)."""
    client, server = f.get("client") or {}, f.get("server") or {}
    proto, breakdown = f.get("protocol") or {}, f.get("breakdown") or {}
    nbytes = as_int(f.get("bytes"))
    c2s = round(nbytes * as_float(breakdown.get("cli2srv")) / 100)
    flow = pb.LiveFlow(
        client_ip=str(client.get("ip", "")),
        client_port=as_int(client.get("port")),
        server_ip=str(server.get("ip", "")),
        server_port=as_int(server.get("port")),
        l4_proto=str(proto.get("l4", "")),
        l7_proto=str(proto.get("l7", "")),
        bytes=nbytes,
        throughput_bps=as_float((f.get("thpt") or {}).get("bps")),
        first_seen=timestamp(as_float(f.get("first_seen"))),
        last_seen=timestamp(as_float(f.get("last_seen"))),
        bytes_client_to_server=c2s,
        bytes_server_to_client=nbytes - c2s,
        vlan=as_int(f.get("vlan")),
    )
    if isinstance(f.get("packets"), int | float):
        flow.packets = int(f["packets"])
    return flow


def rows_of(rsp: dict[str, Any]) -> list[dict[str, Any]]:
    """The row objects of a list answer."""
    rows = rsp.get("data")
    return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []


@dataclass
class Scan:
    """Flows read over ntopng's pages: the rows, ntopng's total and whether the row bound stopped the read."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0

    @property
    def truncated(self) -> bool:
        """True when ntopng has more matching flows than were read."""
        return self.total > len(self.rows)


async def scan(fetch: FlowPage, max_rows: int) -> Scan:
    """Read pages of NTOPNG_PAGE rows until ntopng's total or `max_rows` is reached.

    Flows come and go between two pages of a live ntopng; rows are taken once per flow key.
    """
    result, seen = Scan(), set()
    page = 1
    while len(result.rows) < max_rows:
        rsp = await fetch(page, NTOPNG_PAGE)
        result.total = as_int(rsp.get("totalRows"))
        rows = rows_of(rsp)
        for row in rows:
            key = (row.get("key"), row.get("hash_id"))
            if key not in seen and len(result.rows) < max_rows:
                seen.add(key)
                result.rows.append(row)
        if len(rows) < NTOPNG_PAGE or page * NTOPNG_PAGE >= result.total:
            break
        page += 1
    return result


async def window(fetch: FlowPage, offset: int, size: int) -> tuple[list[dict[str, Any]], int]:
    """Rows [offset, offset + size) of ntopng's list and its total: one ntopng page when `offset` is a multiple
    of `size` (every token this service hands out), otherwise the two pages around it."""
    first = offset // size + 1
    rsp = await fetch(first, size)
    rows, total = rows_of(rsp), as_int(rsp.get("totalRows"))
    skip = offset % size
    if skip:
        rows = rows[skip:] + rows_of(await fetch(first + 1, size))[:skip]
    return rows, total
