"""Normal traffic: a daily rhythm and a realistic application mix, generated one minute at a time."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime
from itertools import accumulate

from netscope_scenario.catalog import APP_PROFILES, COMMON_DOMAINS, PUBLIC_WEB_NAME, AppProfile, l7
from netscope_scenario.model import Flow, Host
from netscope_scenario.topology import Topology

TCP, UDP, ICMP = 6, 17, 1
# TCP flags seen over a whole normal connection: FIN SYN PSH ACK.
NORMAL_TCP_FLAGS = 0x1B


def diurnal_weight(epoch: int) -> float:
    """Relative traffic level at a moment: busy on weekday business hours (UTC), quiet at night."""
    t = datetime.fromtimestamp(epoch, UTC)
    hour = t.hour + t.minute / 60
    day = 0.05 + 0.95 * max(0.0, math.sin(math.pi * (hour - 7.0) / 12.0)) ** 1.5 if 7 <= hour <= 19 else 0.05
    return day * (0.3 if t.weekday() >= 5 else 1.0)


def packets_for(byte_count: int, protocol: int) -> int:
    """A plausible packet count for a byte count (larger transfers use full-size packets)."""
    mean = 1380 if byte_count > 20_000 else 420
    floor = 2 if protocol == TCP else 1
    return max(floor, byte_count // mean)


class NormalTraffic:
    """Draws the background flows of one minute."""

    def __init__(self, topo: Topology, start: int, minutes: int, flows_per_hour: int) -> None:
        self._topo = topo
        self._profiles = APP_PROFILES
        self._cum = list(accumulate(p.weight for p in APP_PROFILES))
        self._workstations = topo.by_role("workstation")
        weights = [diurnal_weight(start + m * 60 + 30) for m in range(minutes)]
        mean = sum(weights) / len(weights) if weights else 1.0
        self._expected = [flows_per_hour / 60 * w / mean for w in weights]
        self._carry = 0.0
        self._start = start
        self._l7 = {p.app: (l7(p.app), l7(p.master) if p.master != "Unknown" else 0) for p in APP_PROFILES}

    def count(self, minute: int) -> int:
        """Number of normal flows starting in `minute` (fractions carry over, so totals are exact)."""
        want = self._expected[minute] + self._carry
        n = int(want)
        self._carry = want - n
        return n

    def minute(self, minute: int, rng: random.Random) -> list[Flow]:
        """The normal flows that start in `minute` (flow ids are assigned later)."""
        base = self._start + minute * 60
        out: list[Flow] = []
        for _ in range(self.count(minute)):
            profile = rng.choices(self._profiles, cum_weights=self._cum)[0]
            first = base + rng.randrange(60)
            flow = self._flow(profile, first, rng)
            if flow is not None:
                out.append(flow)
        return out

    def _pick_client(self, profile: AppProfile, rng: random.Random) -> Host:
        if profile.clients == "workstations":
            return rng.choice(self._workstations)
        if profile.clients == "visitors":
            return rng.choice(self._topo.by_role("visitor"))
        return rng.choice(self._topo.by_role(profile.clients.removeprefix("local:")))

    def _pick_server(self, profile: AppProfile, rng: random.Random) -> Host:
        kind, key = rng.choice(profile.servers).split(":", 1)
        if kind == "remote":
            return self._topo.remote[key]
        return rng.choice(self._topo.by_role(key))

    def _flow(self, profile: AppProfile, first: int, rng: random.Random) -> Flow | None:
        client = self._pick_client(profile, rng)
        server = self._pick_server(profile, rng)
        for host in (client, server):
            if host.down_from is not None and first >= host.down_from:
                return None  # its switch port is down: no traffic
        c2s = max(40, int(profile.c2s_median * math.exp(profile.sigma * rng.gauss(0, 1))))
        s2c = max(40, int(profile.s2c_median * math.exp(profile.sigma * rng.gauss(0, 1))))
        duration = 0
        if profile.duration_median:
            duration = int(profile.duration_median * math.exp(rng.gauss(0, 1)))
        app, master = self._l7[profile.app]
        proto = profile.protocol
        tcp_flags = NORMAL_TCP_FLAGS if proto == TCP else 0
        info = ""
        if profile.info == "dns":
            info = rng.choice(COMMON_DOMAINS)
        elif profile.info == "sni":
            info = server.name
        elif profile.info == "web":
            info = PUBLIC_WEB_NAME
        status = score = severity = 0
        if master == l7("TLS") and rng.random() < 0.003:
            status, score, severity = 54, 10, 3  # alert_ndpi_tls_missing_sni: benign noise
            info = ""
        client_port = 68 if profile.app == "DHCP" else 0 if proto == ICMP else rng.randrange(32768, 61000)
        return Flow(
            flow_id=0,
            first_seen=first,
            last_seen=first + duration,
            protocol=proto,
            client=client,
            server=server,
            client_port=client_port,
            server_port=profile.port,
            l7_proto=app,
            l7_master=master,
            c2s_bytes=c2s,
            s2c_bytes=s2c,
            c2s_packets=packets_for(c2s, proto),
            s2c_packets=packets_for(s2c, proto),
            c2s_flags=tcp_flags,
            s2c_flags=tcp_flags,
            info=info,
            status=status,
            score=score,
            severity=severity,
        )
