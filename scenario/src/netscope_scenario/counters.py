"""Interface octet/packet counters driven by the flows that cross each interface.

A flow's bytes are spread evenly over the minutes it lasts, and counted on every interface of its path:
from the client's switch port up to the core router and down to the server's port. Counters carry IP
bytes only (no Ethernet framing), so they match flow byte sums exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

from netscope_scenario.model import Flow, Hop

PortKey = tuple[str, int]  # (device id, ifIndex)


def flow_path(client_chain: tuple[Hop, ...], server_chain: tuple[Hop, ...]) -> tuple[list[PortKey], list[PortKey]]:
    """Interfaces where client-to-server bytes enter and where they leave (the reverse holds for replies)."""
    enters: list[PortKey] = []
    leaves: list[PortKey] = []
    for hop in client_chain:
        if hop.host_side:
            enters.append((hop.device_id, hop.host_side))
        if hop.core_side:
            leaves.append((hop.device_id, hop.core_side))
    for hop in server_chain:
        if hop.core_side:
            enters.append((hop.device_id, hop.core_side))
        if hop.host_side:
            leaves.append((hop.device_id, hop.host_side))
    return enters, leaves


@dataclass
class PortSeries:
    """Per-minute in/out octets and packets of one interface."""

    in_octets: list[int]
    out_octets: list[int]
    in_packets: list[int]
    out_packets: list[int]


class Counters:
    """Accumulates per-minute traffic for every interface the flows cross."""

    def __init__(self, start: int, minutes: int) -> None:
        self.start = start
        self.minutes = minutes
        self.ports: dict[PortKey, PortSeries] = {}
        self._paths: dict[tuple[tuple[Hop, ...], tuple[Hop, ...]], tuple[list[PortSeries], list[PortSeries]]] = {}

    def series(self, key: PortKey) -> PortSeries:
        """The series of one interface (created empty on first use)."""
        s = self.ports.get(key)
        if s is None:
            n = self.minutes
            s = self.ports[key] = PortSeries([0] * n, [0] * n, [0] * n, [0] * n)
        return s

    def _path(self, flow: Flow) -> tuple[list[PortSeries], list[PortSeries]]:
        key = (flow.client.chain, flow.server.chain)
        cached = self._paths.get(key)
        if cached is None:
            enters, leaves = flow_path(*key)
            cached = self._paths[key] = ([self.series(k) for k in enters], [self.series(k) for k in leaves])
        return cached

    def add(self, flow: Flow) -> None:
        """Count one flow on every interface of its path."""
        enters, leaves = self._path(flow)
        first_m = (flow.first_seen - self.start) // 60
        last_m = min(self.minutes - 1, (flow.last_seen - self.start) // 60)
        if last_m <= first_m:
            parts = [(first_m, 1.0)]
        else:
            total = flow.last_seen - flow.first_seen + 1
            parts = []
            for m in range(first_m, last_m + 1):
                lo = max(flow.first_seen, self.start + m * 60)
                hi = min(flow.last_seen + 1, self.start + (m + 1) * 60)
                parts.append((m, (hi - lo) / total))
        c2s, s2c, c2s_p, s2c_p = flow.c2s_bytes, flow.s2c_bytes, flow.c2s_packets, flow.s2c_packets
        done = [0, 0, 0, 0]
        for i, (m, share) in enumerate(parts):
            if i == len(parts) - 1:  # the last slice takes the rounding remainder: totals stay exact
                a, b, pa, pb = c2s - done[0], s2c - done[1], c2s_p - done[2], s2c_p - done[3]
            else:
                a, b, pa, pb = int(c2s * share), int(s2c * share), int(c2s_p * share), int(s2c_p * share)
                done[0] += a
                done[1] += b
                done[2] += pa
                done[3] += pb
            for s in enters:
                s.in_octets[m] += a
                s.out_octets[m] += b
                s.in_packets[m] += pa
                s.out_packets[m] += pb
            for s in leaves:
                s.out_octets[m] += a
                s.in_octets[m] += b
                s.out_packets[m] += pa
                s.in_packets[m] += pb

    def total(self, key: PortKey, upto_minute: int | None = None) -> tuple[int, int, int, int]:
        """Cumulative (in octets, out octets, in packets, out packets) before `upto_minute` (default: all)."""
        s = self.ports.get(key)
        if s is None:
            return (0, 0, 0, 0)
        end = self.minutes if upto_minute is None else upto_minute
        return (sum(s.in_octets[:end]), sum(s.out_octets[:end]), sum(s.in_packets[:end]), sum(s.out_packets[:end]))
