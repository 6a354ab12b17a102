"""ntopng alert-table rows (host, interface, network, snmp, system, mac, user, active monitoring).

Flow alerts are not here: they are flows with STATUS != 0 (see ntopng_flows and flow_alerts_view).
Rows are dicts keyed by the table's columns (netscope_ntopng.schema.alert_columns), DateTime values as
epoch seconds.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import datetime

from netscope_ntopng.alert_types import HOST_ALERT_IDS, OTHER_ALERT_IDS, SEVERITY_IDS
from netscope_ntopng.schema import ALERT_TABLES, alert_columns
from netscope_scenario.world import World

ENGAGED, RELEASED = 1, 2  # ntopng alert_status values used here
MINUTE_GRANULARITY = 60


def _ts(dt: datetime) -> int:
    return int(dt.timestamp())


class _Rows:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(f"{seed}/alerts")
        self.tables: dict[str, list[dict[str, object]]] = {t: [] for t in ALERT_TABLES}

    def add(self, table: str, type_id: int, severity: str, start: int, end: int, description: str,
            details: dict[str, object], **entity: object) -> None:  # fmt: skip
        row: dict[str, object] = {name: _zero(ctype) for name, ctype in alert_columns(table)}
        sev = SEVERITY_IDS[severity]
        row.update(
            rowid=str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            alert_id=type_id,
            alert_status=RELEASED,
            interface_id=0,
            tstamp=start,
            tstamp_end=end,
            severity=sev,
            score={3: 10, 4: 50, 5: 100, 6: 200}.get(sev, 5),
            counter=1,
            description=description,
            json=json.dumps(details, sort_keys=True),
        )
        if "granularity" in row:
            row["granularity"] = MINUTE_GRANULARITY
        row.update(entity)
        self.tables[table].append(row)


def _zero(ctype: str) -> object:
    return "" if ctype in ("String", "UUID") else 0


def alert_rows(world: World) -> dict[str, list[dict[str, object]]]:
    """Every alert the world raises, per table, ordered by time."""
    r = _Rows(world.seed)
    h = HOST_ALERT_IDS
    o = OTHER_ALERT_IDS
    hosts = world.hosts

    def host(ip: str, type_name: str, severity: str, s: int, e: int, desc: str, details: dict[str, object],
             attacker: int = 0, victim: int = 0, client: int = 1, server: int = 0) -> None:  # fmt: skip
        x = hosts[ip]
        r.add("host_alerts", h[type_name], severity, s, e, desc, details, ip_version=4, ip=ip, vlan_id=x.vlan_id,
              name=x.name, is_attacker=attacker, is_victim=victim, is_client=client, is_server=server,
              network=x.network_id, country=x.country)  # fmt: skip

    def snmp(device: str, if_index: int, type_name: str, severity: str, s: int, e: int, desc: str,
             details: dict[str, object]) -> None:  # fmt: skip
        dev = world.devices[device]
        port_name = dev.interface(if_index).name if if_index else ""
        r.add("snmp_alerts", o[type_name], severity, s, e, desc, details, ip=dev.address, port=if_index,
              name=device, port_name=port_name)  # fmt: skip

    span = {i.kind: (_ts(i.start), _ts(i.end)) for i in world.incidents}
    inc = {i.kind: i for i in world.incidents}

    s, e = span["horizontal_scan"]
    ip = inc["horizontal_scan"].hosts[0]
    host(ip, "host_alert_scan_detected", "error", s + 60, e, f"{ip} scanned 254 hosts on TCP 445/3389",
         {"ports": [445, 3389], "contacted_hosts": 254}, attacker=1)  # fmt: skip
    net = next(n for n in world.subnets if n.network_id == hosts[ip].network_id)
    r.add("network_alerts", o["alert_network_score_per_host"], "warning", s + 120, e,
          f"score per host of {net.cidr} above threshold", {"network": net.cidr}, local_network_id=net.network_id,
          name=net.cidr, alias=net.name)  # fmt: skip
    for k in range(3):
        r.add("user_alerts", o["alert_login_failed"], "warning", s + 30 + 20 * k, s + 30 + 20 * k,
              f"failed login of 'admin' from {ip}", {"user": "admin", "remote_addr": ip}, user="admin")  # fmt: skip

    s, e = span["vertical_scan"]
    attacker, victim = inc["vertical_scan"].hosts[0], inc["vertical_scan"].peers[0]
    host(attacker, "host_alert_tcp_syn_scan", "error", s + 30, e, f"{attacker} SYN-scans {victim}",
         {"victim": victim, "ports": 1024}, attacker=1)  # fmt: skip
    host(victim, "host_alert_tcp_syn_scan", "warning", s + 30, e, f"{victim} is SYN-scanned by {attacker}",
         {"attacker": attacker}, victim=1, client=0, server=1)  # fmt: skip

    s, e = span["exfiltration"]
    ip = inc["exfiltration"].hosts[0]
    host(ip, "host_alert_traffic_volume", "error", s + 600, e, f"{ip} sent far more than usual",
         {"direction": "sent", "peer": inc["exfiltration"].peers[0]})  # fmt: skip
    r.add("network_alerts", o["alert_threshold_cross"], "warning", s + 900, e, "10.1.2.0/24 egress above threshold",
          {"metric": "egress_bytes"}, local_network_id=1, name="10.1.2.0/24", alias="hq-clients")  # fmt: skip
    snmp("hq-rtr-1", 1, "alert_snmp_device_traffic_change", "notice", s + 600, e,
         "hq-rtr-1 ge-0/0/0 outbound traffic changed sharply", {"direction": "out"})  # fmt: skip

    s, e = span["dns_c2"]
    ip = inc["dns_c2"].hosts[0]
    host(ip, "host_alert_domain_names_contacts", "warning", s + 300, e, f"{ip} contacted many new domain names",
         {"threshold": 100})  # fmt: skip

    s, e = span["beaconing"]
    ip = inc["beaconing"].hosts[0]
    host(ip, "host_alert_score_anomaly", "warning", s + 900, s + 900, f"{ip} score anomaly (periodic contacts)",
         {"peer": inc["beaconing"].peers[0]})  # fmt: skip

    s, e = span["bandwidth_hog"]
    ip = inc["bandwidth_hog"].hosts[0]
    host(ip, "host_alert_traffic_volume", "warning", s + 300, e, f"{ip} received far more than usual",
         {"direction": "received"})  # fmt: skip

    s, e = span["rare_port"]
    ip, peer = inc["rare_port"].hosts[0], inc["rare_port"].peers[0]
    host(ip, "host_alert_remote_connection", "warning", s + 60, e, f"{ip} holds connections to {peer} on TCP 4444",
         {"peer": peer, "port": 4444})  # fmt: skip

    s, e = span["link_saturation"]
    for dev, idx in (("br1-rtr-1", 1), ("hq-rtr-1", 5)):
        snmp(dev, idx, "alert_snmp_interface_threshold_crossed", "error", s + 300, e,
             f"{dev} ifIndex {idx} utilisation above 90%", {"threshold_pct": 90})  # fmt: skip
    r.add("interface_alerts", o["alert_threshold_cross"], "warning", s + 300, e,
          "collector throughput above threshold", {"metric": "throughput"}, ifid=0, subtype="throughput",
          name="netflow:collector", alias="NetFlow")  # fmt: skip
    br = world.devices["br1-rtr-1"]
    r.add("active_monitoring_alerts", o["alert_am_threshold_cross"], "error", s + 240, e,
          f"RTT to {br.address} above 100 ms", {"host": br.address}, resolved_ip=br.address,
          resolved_name=br.id, measurement="icmp", measure_threshold=100, measure_value=480.0)  # fmt: skip

    s, e = span["interface_down"]
    snmp("hq-sw-2", 5, "alert_port_status_change", "error", s, e, "hq-sw-2 Gi1/0/5 went down",
         {"old_oper_status": "up", "new_oper_status": "down"})  # fmt: skip
    nas = hosts[inc["interface_down"].hosts[0]]
    r.add("mac_alerts", o["alert_device_connection_disconnection"], "notice", s, s,
          f"{nas.mac} ({nas.name}) disconnected", {"event": "disconnected"}, address=nas.mac, device_type=0,
          name=nas.name)  # fmt: skip

    s, e = span["snmp_unresponsive"]
    snmp("br1-sw-1", 0, "alert_snmp_device_polling_error", "error", s + 60, e, "br1-sw-1 does not answer SNMP",
         {"error": "timeout"})  # fmt: skip

    _background(r, world)
    for rows in r.tables.values():
        rows.sort(key=lambda row: (row["tstamp"], row["rowid"]))
    return r.tables


def _background(r: _Rows, world: World) -> None:
    """Benign everyday alerts, so incidents are not the only rows."""
    start, end = world.start_epoch, world.end_epoch
    o = OTHER_ALERT_IDS
    for t in range(start + 1800, end, 6 * 3600):
        r.add("system_alerts", o["alert_slow_periodic_activity"], "notice", t, t,
              "periodic script 5min.lua took longer than expected", {"script": "5min.lua"}, name="ntopng")  # fmt: skip
        r.add("user_alerts", o["alert_user_activity"], "info", t + 60, t + 60, "admin opened the dashboard",
              {"user": "admin"}, user="admin")  # fmt: skip
    guest = "3c:d9:2b:" + ":".join(f"{r.rng.randrange(256):02x}" for _ in range(3))
    t = start + (end - start) // 3
    r.add("mac_alerts", o["alert_device_connection_disconnection"], "notice", t, t, f"{guest} connected",
          {"event": "connected"}, address=guest, device_type=0, name="")  # fmt: skip
    ws = sorted((x for x in world.hosts.values() if x.role == "workstation"), key=lambda x: x.ip_int)
    pick = ws[r.rng.randrange(len(ws))]
    t = start + (end - start) // 4
    r.add("host_alerts", HOST_ALERT_IDS["host_alert_dns_server_contacts"], "notice", t, t + 300,
          f"{pick.ip} contacted an unusual number of DNS servers", {}, ip_version=4, ip=pick.ip, vlan_id=pick.vlan_id,
          name=pick.name, is_attacker=0, is_victim=0, is_client=1, is_server=0, network=pick.network_id,
          country="")  # fmt: skip
