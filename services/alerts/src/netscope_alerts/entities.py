"""Alert entity kinds and how each one's table reads as a uniform alert row.

Every alert table becomes one SELECT branch with the same columns (see BRANCH_COLUMNS); queries put the
branches of the requested kinds under one UNION ALL, so filters, exclusions and sorting are written once.
"""

from __future__ import annotations

from dataclasses import dataclass

from netscope.alerts.v1 import alerts_pb2 as pb
from netscope_alerts import catalog

BRANCH_COLUMNS = (
    "entity_id",
    "rowid",
    "alert_id",
    "alert_status",
    "tstamp",
    "tstamp_end",
    "severity",
    "score",
    "counter",
    "description",
    "json",
    "entity_value",
    "entity_name",
    "ips",
    "domain",
    "domain_text",
)


@dataclass(frozen=True)
class EntitySource:
    """One alert entity kind: its ntopng entity id, table and entity expressions."""

    kind: pb.EntityKind.ValueType
    name: str  # short name used in alert ids: host, flow, snmp, ...
    entity_id: int  # ntopng entity id (all_alerts_view)
    table: str
    value_sql: str  # the entity value (host IP, device IP, interface name, ...)
    name_sql: str  # a readable name when ntopng keeps one
    ips_sql: str  # Array(String) of the IPs the alert concerns (host exclusions, entity filter)
    value_column: str = ""  # the column RaiseAlert writes the entity value to
    domain_sql: str = "JSONExtractString(json, 'domain')"

    def branch(self, where: str = "") -> str:
        """SELECT producing BRANCH_COLUMNS from this kind's table (rows of the table matching `where`)."""
        if self.kind == pb.ENTITY_KIND_FLOW:
            return _FLOW_BRANCH + (f" AND {where}" if where else "")
        return (
            f"SELECT toUInt8({self.entity_id}) AS entity_id, toString(rowid) AS rowid,"
            " toUInt32(alert_id) AS alert_id,"
            " toUInt8(alert_status) AS alert_status, tstamp, tstamp_end, toUInt8(severity) AS severity,"
            " toUInt16(score) AS score, toUInt32(counter) AS counter, description, json,"
            f" toString({self.value_sql}) AS entity_value, toString({self.name_sql}) AS entity_name,"
            f" CAST({self.ips_sql} AS Array(String)) AS ips, toString({self.domain_sql}) AS domain,"
            " json AS domain_text"
            f" FROM {self.table}" + (f" WHERE {where}" if where else "")
        )


_FLOW_BRANCH = (
    "SELECT toUInt8(4) AS entity_id, toString(FLOW_ID) AS rowid, toUInt32(STATUS) AS alert_id,"
    " toUInt8(ALERT_STATUS) AS alert_status, FIRST_SEEN AS tstamp, LAST_SEEN AS tstamp_end,"
    " toUInt8(SEVERITY) AS severity, toUInt16(SCORE) AS score, toUInt32(1) AS counter, INFO AS description,"
    " ALERT_JSON AS json, IPv4NumToString(IPV4_SRC_ADDR) AS entity_value,"
    " concat(IPv4NumToString(IPV4_SRC_ADDR), ':', toString(IP_SRC_PORT), ' -> ',"
    " IPv4NumToString(IPV4_DST_ADDR), ':', toString(IP_DST_PORT)) AS entity_name,"
    " [IPv4NumToString(IPV4_SRC_ADDR), IPv4NumToString(IPV4_DST_ADDR)] AS ips, INFO AS domain,"
    " INFO AS domain_text"
    " FROM flows WHERE STATUS != 0 AND IS_ALERT_DELETED != 1"
)

SOURCES: tuple[EntitySource, ...] = (
    EntitySource(
        pb.ENTITY_KIND_INTERFACE,
        "interface",
        0,
        "interface_alerts",
        "if(name != '', name, toString(ifid))",
        "alias",
        "[]",
        "name",
    ),
    EntitySource(pb.ENTITY_KIND_HOST, "host", 1, "host_alerts", "ip", "name", "[ip]", "ip"),
    EntitySource(pb.ENTITY_KIND_NETWORK, "network", 2, "network_alerts", "name", "alias", "[]", "name"),
    EntitySource(
        pb.ENTITY_KIND_SNMP_DEVICE,
        "snmp",
        3,
        "snmp_alerts",
        "ip",
        "if(port != 0, concat(name, ' ifIndex ', toString(port),"
        " if(port_name != '', concat(' ', port_name), '')), name)",
        "[ip]",
        "ip",
    ),
    EntitySource(pb.ENTITY_KIND_FLOW, "flow", 4, "flows", "", "", ""),
    EntitySource(pb.ENTITY_KIND_MAC, "mac", 5, "mac_alerts", "address", "name", "[]", "address"),
    EntitySource(pb.ENTITY_KIND_USER, "user", 7, "user_alerts", "user", "user", "[]", "user"),
    EntitySource(
        pb.ENTITY_KIND_ACTIVE_MONITORING,
        "am",
        8,
        "active_monitoring_alerts",
        "resolved_name",
        "measurement",
        "if(resolved_ip != '', [resolved_ip], [])",
        "resolved_name",
    ),
    EntitySource(pb.ENTITY_KIND_SYSTEM, "system", 9, "system_alerts", "name", "name", "[]", "name"),
)

BY_KIND = {s.kind: s for s in SOURCES}
BY_ENTITY_ID = {s.entity_id: s for s in SOURCES}
BY_NAME = {s.name: s for s in SOURCES}


def type_condition(alert_type: str) -> str:
    """SQL restricting union rows to one alert type (ids repeat across the host and flow families)."""
    found = catalog.parse_alert_type(alert_type)
    if found.family == "other":
        return f"alert_id = {found.key}"
    return f"(entity_id = {1 if found.family == 'host' else 4} AND alert_id = {found.key})"
