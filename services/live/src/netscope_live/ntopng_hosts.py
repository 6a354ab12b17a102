"""Hosts from ntopng's `host/active.lua`: the sorts and localities in ntopng's terms and rows as Host."""

from __future__ import annotations

from typing import Any

from netscope.live.v1 import live_pb2 as pb
from netscope_live.geo import GeoLocator
from netscope_live.ntopng_flows import as_float, as_int
from netscope_live.protoutil import timestamp

SORTS = {
    pb.HOST_SORT_BYTES: "bytes",
    pb.HOST_SORT_THROUGHPUT: "throughput",
    pb.HOST_SORT_FLOWS: "flows",
    pb.HOST_SORT_SCORE: "score",
}
MODES = {pb.HOST_LOCALITY_LOCAL: "local", pb.HOST_LOCALITY_REMOTE: "remote"}
# ntopng's device types (ntop_typedefs.h DeviceType), as host/data.lua's `devtype` gives them
DEVICE_TYPES = {
    0: "unknown",
    1: "printer",
    2: "video",
    3: "workstation",
    4: "laptop",
    5: "tablet",
    6: "phone",
    7: "tv",
    8: "networking",
    9: "wifi",
    10: "nas",
    11: "multimedia",
    12: "iot",
}


def host_sort_value(h: pb.Host, sort: str) -> float:
    """The value a host list is sorted by (largest first)."""
    return {
        "bytes": h.bytes_sent + h.bytes_received,
        "throughput": h.throughput_bps,
        "flows": h.active_flows,
        "score": h.score,
    }[sort]


def list_host(r: dict[str, Any], geo: GeoLocator) -> pb.Host:
    """One host/active.lua row (a country from ntopng, else the offline lookup for a remote host)."""
    nbytes, flows, score = r.get("bytes") or {}, r.get("num_flows") or {}, r.get("score") or {}
    ip = str(r.get("ip", ""))
    return pb.Host(
        ip=ip,
        name=str(r.get("name", "")),
        country=str(r.get("country") or "") or (geo.country(ip) if not r.get("is_localhost") else ""),
        is_local=bool(r.get("is_localhost")),
        bytes_sent=as_int(nbytes.get("sent")),
        bytes_received=as_int(nbytes.get("recvd", nbytes.get("rcvd"))),
        throughput_bps=as_float((r.get("thpt") or {}).get("bps")),
        active_flows=as_int(flows.get("total")),
        active_flows_as_client=as_int(flows.get("as_client")),
        active_flows_as_server=as_int(flows.get("as_server")),
        score=as_int(score.get("total") if isinstance(score, dict) else score),
        first_seen=timestamp(as_float(r.get("first_seen"))),
        last_seen=timestamp(as_float(r.get("last_seen"))),
        vlan=as_int(r.get("vlan")),
    )
