"""NetFlow v5 / v9 and IPFIX decoding (a `struct` fast path; the `netflow` package checks it in tests)."""

from netscope_live.netflow.decoder import NetflowDecoder
from netscope_live.netflow.records import ExporterStats, FlowRecord

__all__ = ["ExporterStats", "FlowRecord", "NetflowDecoder"]
