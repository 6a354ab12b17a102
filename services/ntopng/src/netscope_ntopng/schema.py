"""ntopng's ClickHouse schema (flows, alert tables and their views), written for netscope.

Column names and types match what ntopng creates, so SQL written for a real ntopng database works on the
embedded store and vice versa. The DDL is ours (no ntopng file is copied).
"""

from __future__ import annotations

FLOW_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("FLOW_ID", "UInt64", "flow identifier"),
    ("IP_PROTOCOL_VERSION", "UInt8", "4 or 6"),
    ("FIRST_SEEN", "DateTime", "flow start (UTC)"),
    ("LAST_SEEN", "DateTime", "flow end (UTC)"),
    ("VLAN_ID", "UInt16", "VLAN tag"),
    ("PACKETS", "UInt32", "packets in both directions"),
    ("TOTAL_BYTES", "UInt64", "bytes in both directions"),
    ("SRC2DST_BYTES", "UInt64", "bytes client to server"),
    ("DST2SRC_BYTES", "UInt64", "bytes server to client"),
    ("SRC2DST_DSCP", "UInt8", "DSCP client to server"),
    ("DST2SRC_DSCP", "UInt8", "DSCP server to client"),
    ("PROTOCOL", "UInt8", "IP protocol number (6 TCP, 17 UDP, 1 ICMP)"),
    ("IPV4_SRC_ADDR", "UInt32", "client IPv4 as a number: IPv4NumToString(IPV4_SRC_ADDR)"),
    ("IPV6_SRC_ADDR", "IPv6", "client IPv6"),
    ("IP_SRC_PORT", "UInt16", "client port"),
    ("IPV4_DST_ADDR", "UInt32", "server IPv4 as a number: IPv4NumToString(IPV4_DST_ADDR)"),
    ("IPV6_DST_ADDR", "IPv6", "server IPv6"),
    ("IP_DST_PORT", "UInt16", "server port"),
    ("L7_PROTO", "UInt16", "nDPI application protocol id (names: tool list_protos, RPC ListProtocols)"),
    ("L7_PROTO_MASTER", "UInt16", "nDPI master protocol id"),
    ("L7_CATEGORY", "UInt16", "nDPI category id"),
    ("FLOW_RISK", "UInt64", "nDPI flow risk bitmap"),
    ("INFO", "String", "flow info: DNS query, TLS SNI, HTTP host"),
    ("PROFILE", "String", "traffic profile"),
    ("NTOPNG_INSTANCE_NAME", "String", "ntopng instance"),
    ("INTERFACE_ID", "UInt16", "ntopng interface id"),
    ("STATUS", "UInt8", "flow alert type id; 0 = no alert"),
    ("SRC_COUNTRY_CODE", "UInt16", "client country: two ASCII letters packed in 16 bits"),
    ("DST_COUNTRY_CODE", "UInt16", "server country: two ASCII letters packed in 16 bits"),
    ("SRC_LABEL", "String", "client host name"),
    ("DST_LABEL", "String", "server host name"),
    ("SRC_MAC", "UInt64", "client MAC as a number"),
    ("DST_MAC", "UInt64", "server MAC as a number"),
    ("COMMUNITY_ID", "String", "community id flow hash"),
    ("SRC_ASN", "UInt32", "client autonomous system"),
    ("DST_ASN", "UInt32", "server autonomous system"),
    ("PROBE_IP", "UInt32", "exporter (probe) IPv4 as a number"),
    ("OBSERVATION_POINT_ID", "UInt16", "observation point"),
    ("SRC2DST_TCP_FLAGS", "UInt8", "TCP flags client to server"),
    ("DST2SRC_TCP_FLAGS", "UInt8", "TCP flags server to client"),
    ("SCORE", "UInt16", "flow score"),
    ("CLIENT_NW_LATENCY_US", "UInt32", "client network latency (us)"),
    ("SERVER_NW_LATENCY_US", "UInt32", "server network latency (us)"),
    ("CLIENT_LOCATION", "UInt8", "client location: 1 local, 2 remote"),
    ("SERVER_LOCATION", "UInt8", "server location: 1 local, 2 remote"),
    ("SRC_NETWORK_ID", "UInt16", "client local network id"),
    ("DST_NETWORK_ID", "UInt16", "server local network id"),
    ("INPUT_SNMP", "UInt32", "exporter input ifIndex"),
    ("OUTPUT_SNMP", "UInt32", "exporter output ifIndex"),
    ("SRC_HOST_POOL_ID", "UInt16", "client host pool"),
    ("DST_HOST_POOL_ID", "UInt16", "server host pool"),
    ("SRC_PROC_NAME", "String", "client process"),
    ("DST_PROC_NAME", "String", "server process"),
    ("SRC_PROC_USER_NAME", "String", "client process user"),
    ("DST_PROC_USER_NAME", "String", "server process user"),
    ("ALERTS_MAP", "String", "bitmap of flow alerts"),
    ("SEVERITY", "UInt8", "alert severity id"),
    ("IS_CLI_ATTACKER", "UInt8", "client is attacker"),
    ("IS_CLI_VICTIM", "UInt8", "client is victim"),
    ("IS_CLI_BLACKLISTED", "UInt8", "client blacklisted"),
    ("IS_SRV_ATTACKER", "UInt8", "server is attacker"),
    ("IS_SRV_VICTIM", "UInt8", "server is victim"),
    ("IS_SRV_BLACKLISTED", "UInt8", "server blacklisted"),
    ("ALERT_STATUS", "UInt8", "alert status"),
    ("USER_LABEL", "String", "user label"),
    ("USER_LABEL_TSTAMP", "DateTime", "user label time"),
    ("ALERT_JSON", "String", "alert details (JSON)"),
    ("IS_ALERT_DELETED", "UInt8", "alert deleted"),
    ("SRC2DST_PACKETS", "UInt32", "packets client to server"),
    ("DST2SRC_PACKETS", "UInt32", "packets server to client"),
)

ALERT_COMMON_COLUMNS: tuple[tuple[str, str], ...] = (
    ("rowid", "UUID"),
    ("alert_id", "UInt32"),
    ("alert_status", "UInt8"),
    ("interface_id", "UInt16"),
    ("tstamp", "DateTime"),
    ("tstamp_end", "DateTime"),
    ("severity", "UInt8"),
    ("score", "UInt16"),
    ("counter", "UInt32"),
    ("description", "String"),
    ("json", "String"),
    ("user_label", "String"),
    ("user_label_tstamp", "DateTime"),
)

# Entity-specific columns per alert table, and ntopng's entity id for the all_alerts_view.
ALERT_TABLES: dict[str, tuple[int, tuple[tuple[str, str], ...]]] = {
    "interface_alerts": (
        0,
        (("ifid", "UInt16"), ("subtype", "String"), ("name", "String"), ("alias", "String")),
    ),
    "host_alerts": (
        1,
        (
            ("ip_version", "UInt8"),
            ("ip", "String"),
            ("vlan_id", "UInt16"),
            ("name", "String"),
            ("is_attacker", "UInt8"),
            ("is_victim", "UInt8"),
            ("is_client", "UInt8"),
            ("is_server", "UInt8"),
            ("host_pool_id", "UInt16"),
            ("network", "UInt16"),
            ("country", "String"),
        ),
    ),
    "network_alerts": (2, (("local_network_id", "UInt16"), ("name", "String"), ("alias", "String"))),
    "snmp_alerts": (3, (("ip", "String"), ("port", "UInt32"), ("name", "String"), ("port_name", "String"))),
    "mac_alerts": (
        5,
        (
            ("address", "String"),
            ("device_type", "UInt8"),
            ("name", "String"),
            ("is_attacker", "UInt8"),
            ("is_victim", "UInt8"),
        ),
    ),
    "user_alerts": (7, (("user", "String"),)),
    "active_monitoring_alerts": (
        8,
        (
            ("resolved_ip", "String"),
            ("resolved_name", "String"),
            ("measurement", "String"),
            ("measure_threshold", "UInt32"),
            ("measure_value", "Float32"),
        ),
    ),
    "system_alerts": (9, (("name", "String"),)),
}

FLOW_ENTITY_ID = 4
# ntopng's alert tables carry a granularity column, except active monitoring.
_GRANULARITY_EXEMPT = {"active_monitoring_alerts"}


def flows_ddl(table: str = "flows") -> str:
    """CREATE TABLE statement for ntopng's flows table."""
    cols = ",\n  ".join(f"`{n}` {t} COMMENT '{c}'" for n, t, c in FLOW_COLUMNS)
    return (
        f"CREATE TABLE IF NOT EXISTS {table} (\n  {cols}\n) ENGINE = MergeTree "
        "PARTITION BY toYYYYMMDD(FIRST_SEEN) ORDER BY (IPV4_SRC_ADDR, IPV4_DST_ADDR, FIRST_SEEN)"
    )


def alert_columns(table: str) -> list[tuple[str, str]]:
    """All columns of one alert table, in ntopng's order (common first, then entity-specific)."""
    _, specific = ALERT_TABLES[table]
    common = list(ALERT_COMMON_COLUMNS)
    if table not in _GRANULARITY_EXEMPT:
        common.insert(7, ("granularity", "UInt8"))
    return common + list(specific)


def alert_table_ddl(table: str) -> str:
    """CREATE TABLE statement for one of ntopng's alert tables."""
    cols = ",\n  ".join(f"`{n}` {t}" for n, t in alert_columns(table))
    return (
        f"CREATE TABLE IF NOT EXISTS {table} (\n  {cols}\n) ENGINE = MergeTree "
        "PARTITION BY toYYYYMMDD(tstamp) ORDER BY tstamp"
    )


FLOW_ALERTS_VIEW_DDL = """CREATE VIEW IF NOT EXISTS flow_alerts_view AS SELECT
  FLOW_ID AS rowid, STATUS AS alert_id, ALERT_STATUS AS alert_status, INTERFACE_ID AS interface_id,
  FIRST_SEEN AS tstamp, LAST_SEEN AS tstamp_end, SEVERITY AS severity, SCORE AS score,
  IPv4NumToString(IPV4_SRC_ADDR) AS cli_ip, IPv4NumToString(IPV4_DST_ADDR) AS srv_ip,
  IP_SRC_PORT AS cli_port, IP_DST_PORT AS srv_port, PROTOCOL AS proto, L7_PROTO AS l7_proto,
  SRC_LABEL AS cli_name, DST_LABEL AS srv_name, INFO AS info, ALERT_JSON AS json,
  USER_LABEL AS user_label, USER_LABEL_TSTAMP AS user_label_tstamp
FROM flows WHERE STATUS != 0 AND IS_ALERT_DELETED != 1"""
