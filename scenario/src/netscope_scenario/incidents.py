"""The injected incidents: when they happen, who is involved, and the flows they add each minute."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from netscope_scenario.catalog import l7
from netscope_scenario.model import Flow, Host, Incident
from netscope_scenario.topology import (
    BEACON_HOST,
    DGA_HOST,
    EXFIL_HOST,
    FILE_SERVER,
    HOG_HOST,
    SCANNER_HOST,
    WEB_SERVER,
    Topology,
    ephemeral_server_host,
)
from netscope_scenario.traffic import TCP, UDP, packets_for

BRANCH_LINK_BPS = 50_000_000
SATURATION_TARGET = 0.96  # share of the branch uplink the backup fills
BEACON_PERIOD_S = 60
BEACON_JITTER_S = 3
OPEN_WEB_PORTS = (22, 80, 443)
RARE_PORT = 4444  # a TLS tunnel on a reverse shell's port: no service any host of the world offers
RARE_PORT_EVERY_MIN = 5


@dataclass
class Window:
    """A time span in minutes from the world's start (end exclusive)."""

    start: int
    end: int

    def __contains__(self, minute: int) -> bool:
        return self.start <= minute < self.end


@dataclass
class Schedule:
    """Where each incident sits in the world's time window."""

    minutes: int
    start_epoch: int
    windows: dict[str, Window] = field(default_factory=dict)
    exfil_off_hours: bool = True


def plan(minutes: int, start_epoch: int) -> Schedule:
    """Place every incident inside the window; the exfiltration at night (01:30 UTC, else the latest night slot)."""
    n = minutes
    sched = Schedule(minutes, start_epoch)

    def at(frac: float, length: int) -> Window:
        s = min(int(n * frac), max(0, n - length))
        return Window(s, min(n, s + max(1, length)))

    exfil_len = min(120, max(2, n // 10))
    night = _night_slot(start_epoch, n, exfil_len)
    if night is None:
        sched.exfil_off_hours = False
        sched.windows["exfiltration"] = at(0.35, exfil_len)
    else:
        sched.windows["exfiltration"] = Window(night, night + exfil_len)
    hog_len = min(150, max(5, n // 10))
    day = _latest_slot(start_epoch, n, 9, 0, hog_len)
    sched.windows["bandwidth_hog"] = at(0.6, hog_len) if day is None else Window(day, day + hog_len)
    sched.windows["beaconing"] = Window(int(n * 0.1), n)
    sched.windows["dns_c2"] = at(0.2, min(180, max(2, int(n * 0.15))))
    sched.windows["vertical_scan"] = at(0.45, min(5, max(1, n // 20)))
    sched.windows["horizontal_scan"] = at(0.55, min(8, max(1, n // 15)))
    sched.windows["rare_port"] = at(0.65, min(60, max(3, n // 12)))
    sched.windows["link_saturation"] = Window(n - min(90, max(3, n // 10)), n)
    sched.windows["interface_down"] = Window(int(n * 0.85), n)
    sched.windows["snmp_unresponsive"] = Window(n - min(30, max(2, n // 25)), n)
    return sched


def _night_slot(start_epoch: int, minutes: int, length: int) -> int | None:
    """Minute offset of the exfiltration: 01:30 UTC when it fits, else the latest fitting night start.

    Night starts run every half hour from NIGHT_FIRST_START to NIGHT_LAST_START, so a 2-hour upload ends by
    07:00 UTC, before any business day the services assume (flows: 07-19, policies: 08-18). Any window of a
    day or more holds one of them, whatever the hour it ends at.
    """
    preferred = _latest_slot(start_epoch, minutes, 1, 30, length)
    if preferred is not None:
        return preferred
    starts = [_latest_slot(start_epoch, minutes, *divmod(m, 60), length) for m in _NIGHT_START_MINUTES]
    fitting = [s for s in starts if s is not None]
    return max(fitting) if fitting else None


NIGHT_FIRST_START = (19, 0)
NIGHT_LAST_START = (5, 0)
_NIGHT_START_MINUTES = [
    m % 1440 for m in range(NIGHT_FIRST_START[0] * 60 + NIGHT_FIRST_START[1], 1440 + NIGHT_LAST_START[0] * 60 + 1, 30)
]


def _latest_slot(start_epoch: int, minutes: int, hour: int, minute: int, length: int) -> int | None:
    """Minute offset of the latest daily HH:MM (UTC) whose `length` minutes fit in the window (10 min spare)."""
    first = datetime.fromtimestamp(start_epoch, UTC).replace(hour=hour, minute=minute, second=0)
    best = None
    for d in range(minutes // 1440 + 2):
        cand = int(((first + timedelta(days=d)).timestamp() - start_epoch) // 60)
        if cand >= 0 and cand + length <= minutes - 10:
            best = cand
    return best


def dga_name(rng: random.Random) -> str:
    """A domain generated the way DGA malware does: random letters and digits under a cheap TLD."""
    label = "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(rng.randrange(12, 21)))
    return f"{label}.{rng.choice(('com', 'net', 'info', 'xyz', 'top'))}"


def _flow(client: Host, server: Host, first: int, last: int, proto: int, cport: int, sport: int,
          app: str, c2s: int, s2c: int, **extra: Any) -> Flow:  # fmt: skip
    master = extra.pop("master", "Unknown")
    return Flow(
        flow_id=0, first_seen=first, last_seen=last, protocol=proto, client=client, server=server,
        client_port=cport, server_port=sport, l7_proto=l7(app), l7_master=0 if master == "Unknown" else l7(str(master)),
        c2s_bytes=c2s, s2c_bytes=s2c,
        c2s_packets=int(extra.pop("c2s_packets", packets_for(c2s, proto))),
        s2c_packets=int(extra.pop("s2c_packets", packets_for(s2c, proto) if s2c else 0)),
        **extra,
    )  # fmt: skip


class IncidentTraffic:
    """Adds each incident's flows to the minute being generated and keeps its ground truth."""

    def __init__(self, topo: Topology, sched: Schedule, seed: int) -> None:
        self.topo = topo
        self.sched = sched
        self._rng = random.Random(f"{seed}/incidents")
        rng = self._rng
        h = topo.hosts
        self.exfil, self.dga, self.beacon = h[EXFIL_HOST], h[DGA_HOST], h[BEACON_HOST]
        self.scanner, self.hog, self.file_server, self.web = h[SCANNER_HOST], h[HOG_HOST], h[FILE_SERVER], h[WEB_SERVER]
        self.dns = topo.by_role("dns")[0]
        involved = {EXFIL_HOST, DGA_HOST, BEACON_HOST, SCANNER_HOST, HOG_HOST}
        self.rare_client = sorted(
            (x for x in topo.by_role("workstation") if x.site == "hq" and x.ip not in involved), key=lambda x: x.ip_int
        )[0]
        self._seed = seed
        self.backup_client = sorted(
            (x for x in topo.by_role("workstation") if x.site == "br1"), key=lambda x: x.ip_int
        )[0]
        w = sched.windows
        start = sched.start_epoch
        first_beacon = start + w["beaconing"].start * 60
        self.beacons = [
            first_beacon + k * BEACON_PERIOD_S + rng.randint(-BEACON_JITTER_S, BEACON_JITTER_S)
            for k in range(1, (w["beaconing"].end - w["beaconing"].start) * 60 // BEACON_PERIOD_S)
        ]
        self.beacon_by_minute: dict[int, list[tuple[int, int]]] = {}
        for k, t in enumerate(self.beacons):
            self.beacon_by_minute.setdefault((t - start) // 60, []).append((k, t))
        targets = [f"10.1.1.{i}" for i in range(1, 255)]
        rng.shuffle(targets)
        self.hscan = [(ip, port) for port in (445, 3389) for ip in targets]
        ports = list(range(1, 1025))
        rng.shuffle(ports)
        self.vscan = ports
        down_at = start + w["interface_down"].start * 60
        self.file_server.down_from = down_at
        self.down_at = down_at

    def minute(self, minute: int, rng: random.Random, branch_c2s_bytes: int) -> list[Flow]:
        """Incident flows starting in `minute`. `branch_c2s_bytes` is the normal upload on the branch link."""
        w = self.sched.windows
        base = self.sched.start_epoch + minute * 60
        out: list[Flow] = []
        if minute in w["exfiltration"] and (minute - w["exfiltration"].start) % 10 == 0:
            out.append(self._exfil(base, min(600, (w["exfiltration"].end - minute) * 60) - 1, rng))
        if minute in w["beaconing"]:
            out.extend(self._beacon(k, t, rng) for k, t in self.beacon_by_minute.get(minute, []))
        if minute in w["dns_c2"]:
            out.extend(self._dga(base + rng.randrange(60), rng) for _ in range(rng.randrange(1, 4)))
        if minute in w["horizontal_scan"]:
            out.extend(self._scan_slice(self.hscan, w["horizontal_scan"], minute, base, rng, self._hscan_flow))
        if minute in w["vertical_scan"]:
            out.extend(self._scan_slice(self.vscan, w["vertical_scan"], minute, base, rng, self._vscan_flow))
        if minute in w["bandwidth_hog"] and (minute - w["bandwidth_hog"].start) % 5 == 0:
            out.append(self._hog(base, min(300, (w["bandwidth_hog"].end - minute) * 60) - 1, rng))
        if minute in w["rare_port"] and (minute - w["rare_port"].start) % RARE_PORT_EVERY_MIN == 0:
            # its own stream per minute: replays repeat it, and the other incidents' draws stay put
            out.append(self._rare_port(base, random.Random(f"{self._seed}/rare_port/{minute}")))
        if minute in w["link_saturation"]:
            room = int(BRANCH_LINK_BPS / 8 * 60 * SATURATION_TARGET * rng.uniform(0.98, 1.0)) - branch_c2s_bytes
            if room > 0:
                s3 = self.topo.remote["s3"]
                out.append(_flow(self.backup_client, s3, base, base + 59, TCP, rng.randrange(32768, 61000), 443,
                                 "AmazonAWS", room, room // 60, master="TLS", c2s_flags=0x1B, s2c_flags=0x1B,
                                 info=s3.name, incident="link_saturation"))  # fmt: skip
        return out

    def _exfil(self, first: int, duration: int, rng: random.Random) -> Flow:
        peer = self.topo.remote["exfil"]
        c2s = int(rng.uniform(1.6e9, 2.4e9))
        return _flow(self.exfil, peer, first, first + duration, TCP, rng.randrange(32768, 61000), 443, "TLS",
                     c2s, int(rng.uniform(2e6, 5e6)), c2s_flags=0x1B, s2c_flags=0x1B, info=peer.name, status=4,
                     score=250, severity=5, incident="exfiltration")  # fmt: skip

    def _rare_port(self, base: int, rng: random.Random) -> Flow:
        peer = self.topo.remote["backdoor"]
        first = base + rng.randrange(30)
        return _flow(self.rare_client, peer, first, first + rng.randint(60, 240), TCP, rng.randrange(32768, 61000),
                     RARE_PORT, "TLS", rng.randint(40_000, 160_000), rng.randint(200_000, 900_000),
                     c2s_flags=0x1B, s2c_flags=0x1B, status=30, score=50, severity=3,
                     incident="rare_port")  # fmt: skip  # ntopng: alert_known_proto_on_non_std_port

    def _beacon(self, k: int, t: int, rng: random.Random) -> Flow:
        peer = self.topo.remote["c2"]
        periodic = k >= 10  # nDPI needs a few periods before it calls a flow periodic
        return _flow(self.beacon, peer, t, t + 1, TCP, rng.randrange(32768, 61000), 443, "TLS",
                     rng.randint(560, 640), rng.randint(1700, 1900), c2s_packets=6, s2c_packets=5, c2s_flags=0x1B,
                     s2c_flags=0x1B, info=peer.name, status=88 if periodic else 0, score=60 if periodic else 0,
                     severity=3 if periodic else 0, incident="beaconing")  # fmt: skip

    def _dga(self, t: int, rng: random.Random) -> Flow:
        return _flow(self.dga, self.dns, t, t, UDP, rng.randrange(32768, 61000), 53, "DNS", rng.randint(70, 90),
                     rng.randint(130, 170), info=dga_name(rng), status=47, score=100, severity=4,
                     incident="dns_c2")  # fmt: skip

    def _scan_slice(self, items: list, window, minute: int, base: int, rng: random.Random, make) -> list[Flow]:  # type: ignore[no-untyped-def]
        span = window.end - window.start
        i = minute - window.start
        lo, hi = len(items) * i // span, len(items) * (i + 1) // span
        return [make(item, base + (k - lo) * 60 // max(1, hi - lo), rng) for k, item in enumerate(items[lo:hi], lo)]

    def _hscan_flow(self, item: tuple[str, int], t: int, rng: random.Random) -> Flow:
        ip, port = item
        host = self.topo.hosts.get(ip)
        alive = host is not None and (host.down_from is None or t < host.down_from)
        target = host if alive and host is not None else ephemeral_server_host(ip)
        cport = rng.randrange(32768, 61000)
        app = "SMBv23" if port == 445 else "RDP"
        if alive and port == 445 and host is self.file_server:
            return _flow(self.scanner, target, t, t, TCP, cport, port, app, 180, 120, c2s_packets=3, s2c_packets=2,
                         c2s_flags=0x16, s2c_flags=0x12, incident="horizontal_scan")  # fmt: skip
        if alive:  # refused with a reset
            return _flow(self.scanner, target, t, t, TCP, cport, port, app, 60, 40, c2s_packets=1, s2c_packets=1,
                         c2s_flags=0x02, s2c_flags=0x14, status=20, score=30, severity=3,
                         incident="horizontal_scan")  # fmt: skip
        return _flow(self.scanner, target, t, t + 3, TCP, cport, port, app, 120, 0, c2s_packets=2, s2c_packets=0,
                     c2s_flags=0x02, status=75, score=30, severity=3, incident="horizontal_scan")  # fmt: skip

    def _vscan_flow(self, port: int, t: int, rng: random.Random) -> Flow:
        scanner = self.topo.remote["scanner"]
        cport = rng.randrange(32768, 61000)
        if port in OPEN_WEB_PORTS:
            return _flow(scanner, self.web, t, t, TCP, cport, port, "Unknown", 100, 60, c2s_packets=2, s2c_packets=1,
                         c2s_flags=0x06, s2c_flags=0x12, incident="vertical_scan")  # fmt: skip
        return _flow(scanner, self.web, t, t, TCP, cport, port, "Unknown", 60, 40, c2s_packets=1, s2c_packets=1,
                     c2s_flags=0x02, s2c_flags=0x14, status=20, score=50, severity=4,
                     incident="vertical_scan")  # fmt: skip

    def _hog(self, first: int, duration: int, rng: random.Random) -> Flow:
        peer = self.topo.remote[rng.choice(("netflix", "dropbox", "youtube"))]
        app = {"netflix": "NetFlix", "dropbox": "Dropbox", "youtube": "YouTube"}[
            next(k for k, v in self.topo.remote.items() if v is peer)
        ]
        s2c = int(rng.uniform(35e6, 45e6) * max(1, duration))  # ~300 Mbit/s while it lasts
        return _flow(self.hog, peer, first, first + duration, TCP, rng.randrange(32768, 61000), 443, app,
                     s2c // 80, s2c, master="TLS", c2s_flags=0x1B, s2c_flags=0x1B, info=peer.name, status=8,
                     score=80, severity=4, incident="bandwidth_hog")  # fmt: skip


def incidents_truth(traffic: IncidentTraffic) -> list[Incident]:
    """Ground truth records for every incident (evidence counts are filled in by the truth tally)."""
    sched, topo = traffic.sched, traffic.topo
    start = datetime.fromtimestamp(sched.start_epoch, UTC)

    def span(key: str) -> tuple[datetime, datetime]:
        w = sched.windows[key]
        return start + timedelta(minutes=w.start), start + timedelta(minutes=w.end)

    def inc(key: str, title: str, hosts: list[str], **kw: Any) -> Incident:
        s, e = span(key)
        return Incident(key, key, title, s, e, hosts, **kw)

    r = topo.remote
    return [
        inc("horizontal_scan", f"{SCANNER_HOST} sweeps 10.1.1.0/24 on TCP 445 and 3389", [SCANNER_HOST],
            peers=["10.1.1.0/24"], details={"ports": [445, 3389], "targets": 254}),
        inc("vertical_scan", f"{r['scanner'].ip} probes TCP ports 1-1024 of {WEB_SERVER}", [r["scanner"].ip],
            peers=[WEB_SERVER], details={"ports": "1-1024", "open_ports": list(OPEN_WEB_PORTS)}),
        inc("exfiltration", f"{EXFIL_HOST} uploads gigabytes to {r['exfil'].ip} ({r['exfil'].country}) off-hours",
            [EXFIL_HOST], peers=[r["exfil"].ip],
            details={"off_hours": sched.exfil_off_hours, "peer_country": r["exfil"].country,
                     "peer_asn": r["exfil"].asn, "port": 443}),
        inc("dns_c2", f"{DGA_HOST} resolves DGA-looking domains through {traffic.dns.ip}", [DGA_HOST],
            peers=[traffic.dns.ip], details={"pattern": "[a-z0-9]{12,20}\\.(com|net|info|xyz|top)"}),
        inc("beaconing", f"{BEACON_HOST} calls {r['c2'].ip}:443 every {BEACON_PERIOD_S} s", [BEACON_HOST],
            peers=[r["c2"].ip], details={"period_seconds": BEACON_PERIOD_S, "jitter_seconds": BEACON_JITTER_S,
                                         "beacons": len(traffic.beacons)}),
        inc("bandwidth_hog", f"{HOG_HOST} downloads at ~300 Mbit/s", [HOG_HOST],
            peers=[r["netflix"].ip, r["dropbox"].ip, r["youtube"].ip], details={"approx_mbps": 300}),
        inc("rare_port", f"{traffic.rare_client.ip} talks to {r['backdoor'].ip} on TCP {RARE_PORT}, a port no "
            "service uses", [traffic.rare_client.ip], peers=[r["backdoor"].ip],
            details={"port": RARE_PORT, "every_minutes": RARE_PORT_EVERY_MIN}),
        inc("link_saturation", "the branch uplink (50 Mbit/s) runs at ~96% outbound", [traffic.backup_client.ip],
            peers=[r["s3"].ip], devices=["br1-rtr-1", "hq-rtr-1"],
            interfaces=[{"device": "br1-rtr-1", "if_index": 1, "direction": "out"},
                        {"device": "hq-rtr-1", "if_index": 5, "direction": "in"}],
            details={"speed_bps": BRANCH_LINK_BPS, "target_utilisation": SATURATION_TARGET}),
        inc("interface_down", "hq-sw-2 Gi1/0/5 (nas1) goes down", [FILE_SERVER], devices=["hq-sw-2"],
            interfaces=[{"device": "hq-sw-2", "if_index": 5, "oper_status": "down"}]),
        inc("snmp_unresponsive", "br1-sw-1 stops answering SNMP", [], devices=["br1-sw-1"]),
    ]  # fmt: skip
