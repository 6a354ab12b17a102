"""ntopng alert types and severities as ntopng 6.3 stores them.

Values recorded from a real ntopng 6.3 (REST v2 `alert/type/consts`, `alert/severity/consts`). Flow alert types are
the flows table's STATUS values; host and other alert types are the alert tables' alert_id values (the id spaces of
flow and host alerts overlap): a type is known by its family, "host", "flow" or "other" (ids from 4096 on).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

# flow alert type id (flows.STATUS) -> name
FLOW_ALERT_TYPES: dict[int, str] = {
    1: "alert_flow_blacklisted",
    2: "alert_blacklisted_country",
    3: "alert_flow_blocked",
    4: "alert_data_exfiltration",
    5: "alert_device_protocol_not_allowed",
    6: "alert_dns_data_exfiltration",
    7: "alert_dns_invalid_query",
    8: "alert_elephant_flow",
    9: "alert_blacklisted_client_contact",
    10: "alert_external",
    11: "alert_longlived",
    12: "alert_flow_low_goodput",
    13: "alert_blacklisted_server_contact",
    14: "alert_internals",
    16: "alert_remote_to_remote",
    19: "alert_packets_issues",
    20: "alert_tcp_connection_refused",
    22: "alert_tls_certificate_expired",
    23: "alert_tls_certificate_mismatch",
    24: "alert_ndpi_tls_old_protocol_version",
    25: "alert_tls_unsafe_ciphers",
    26: "alert_ndpi_unidirectional_traffic",
    27: "alert_web_mining",
    28: "alert_tls_certificate_selfsigned",
    29: "alert_binary_application_transfer",
    30: "alert_known_proto_on_non_std_port",
    32: "alert_unexpected_dhcp_server",
    33: "alert_unexpected_dns_server",
    34: "alert_unexpected_smtp_server",
    35: "alert_unexpected_ntp_server",
    36: "alert_zero_tcp_window",
    37: "alert_iec_invalid_transition",
    38: "alert_remote_to_local_insecure_flow",
    39: "alert_ndpi_url_possible_xss",
    40: "alert_ndpi_url_possible_sql_injection",
    41: "alert_ndpi_url_possible_rce_injection",
    42: "alert_ndpi_http_suspicious_user_agent",
    43: "alert_ndpi_numeric_ip_host",
    44: "alert_ndpi_http_suspicious_url",
    45: "alert_ndpi_http_suspicious_header",
    46: "alert_ndpi_tls_not_carrying_https",
    47: "alert_ndpi_suspicious_dga_domain",
    48: "alert_ndpi_malformed_packet",
    49: "alert_ndpi_ssh_obsolete_server",
    50: "alert_ndpi_smb_insecure_version",
    51: "alert_ndpi_tls_suspicious_esni_usage",
    52: "alert_ndpi_unsafe_protocol",
    53: "alert_ndpi_dns_suspicious_traffic",
    54: "alert_ndpi_tls_missing_sni",
    55: "alert_iec_unexpected_type_id",
    56: "alert_flow_tcp_no_data_exchanged",
    57: "alert_remote_access",
    58: "alert_lateral_movement",
    59: "alert_periodicity_changed",
    60: "alert_ndpi_tls_cert_validity_too_long",
    61: "alert_ndpi_ssh_obsolete_client",
    62: "alert_ndpi_clear_text_credentials",
    63: "alert_ndpi_http_suspicious_content",
    64: "alert_ndpi_dns_large_packet",
    65: "alert_ndpi_dns_fragmented",
    66: "alert_ndpi_dns_invalid_characters",
    67: "alert_broadcast_non_udp_traffic",
    68: "alert_ndpi_possible_exploit",
    69: "alert_ndpi_tls_certificate_about_to_expire",
    70: "alert_ndpi_punicody_idn",
    71: "alert_ndpi_error_code",
    72: "alert_ndpi_http_crawler_bot",
    73: "alert_ndpi_suspicious_entropy",
    74: "alert_iec_invalid_command_transition",
    75: "alert_tcp_connection_no_answer",
    76: "alert_ndpi_anonymous_subscriber",
    78: "alert_ndpi_desktop_or_file_sharing_session",
    79: "alert_ndpi_malicious_fingerprint",
    80: "alert_ndpi_malicious_sha1_certificate",
    81: "alert_ndpi_tls_uncommon_alpn",
    82: "alert_ndpi_tls_suspicious_extension",
    83: "alert_ndpi_tls_fatal_alert",
    84: "alert_ndpi_http_obsolete_server",
    85: "alert_ndpi_risky_asn",
    86: "alert_ndpi_risky_domain",
    87: "alert_custom_lua_script",
    88: "alert_ndpi_periodic_flow",
    89: "ndpi_minor_issues",
    90: "ndpi_tcp_issues",
    91: "alert_vlan_bidirectional_traffic",
    92: "alert_rare_destination",
    93: "alert_modbus_unexpected_function_code",
    94: "alert_modbus_too_many_exceptions",
    95: "alert_modbus_invalid_transition",
    96: "ndpi_fully_encrypted",
    97: "ndpi_tls_alpn_sni_mismatch",
    98: "alert_ndpi_malware_host_contacted",
    99: "ndpi_binary_data_transfer",
    100: "alert_tcp_flow_reset",
    101: "ndpi_probing_attempt",
}

# host alert type id (host_alerts.alert_id) -> name
HOST_ALERT_TYPES: dict[int, str] = {
    1: "host_alert_smtp_server_contacts",
    2: "host_alert_dns_server_contacts",
    3: "host_alert_ntp_server_contacts",
    4: "host_alert_flow_flood",
    5: "host_alert_tcp_syn_scan",
    7: "host_alert_domain_names_contacts",
    8: "host_alert_unexpected_gateway",
    10: "host_alert_flow_anomaly",
    11: "host_alert_score_anomaly",
    12: "host_alert_remote_connection",
    13: "host_alert_host_log",
    14: "host_alert_dangerous_host",
    16: "host_alert_countries_contacts",
    17: "host_alert_score_threshold",
    18: "host_alert_icmp_flood",
    20: "host_alert_scan_detected",
    21: "host_alert_tcp_fin_scan",
    22: "host_alert_dns_flood",
    23: "host_alert_snmp_flood",
    24: "host_alert_custom_lua_script",
    25: "host_alert_tcp_rst_scan",
    26: "host_alert_traffic_volume",
    27: "host_alert_external_script",
    28: "host_alert_host_scanner",
    29: "host_alert_server_ports_contacts",
}

# alert type id of interface, network, SNMP, MAC, user, system and active-monitoring alerts -> name
OTHER_ALERT_TYPES: dict[int, str] = {
    4099: "alert_dropped_alerts",
    4100: "alert_gateway_unreachable",
    4102: "alert_ghost_network",
    4103: "alert_no_exporter_activity",
    4104: "alert_host_pool_disconnection",
    4106: "alert_influxdb_error",
    4107: "alert_influxdb_export_failure",
    4109: "alert_ip_outsite_dhcp_range",
    4110: "alert_list_download_failed",
    4111: "alert_login_failed",
    4112: "alert_mac_ip_association_change",
    4114: "alert_misconfigured_app",
    4115: "alert_cloud_disconnected",
    4116: "alert_nfq_flushed",
    4117: "alert_cloud_reconnected",
    4118: "alert_periodic_activity_not_executed",
    4119: "alert_am_threshold_cross",
    4120: "alert_port_duplexstatus_change",
    4121: "alert_port_errors",
    4122: "alert_no_probe_activity",
    4123: "alert_port_mac_changed",
    4124: "alert_port_status_change",
    4125: "alert_process_notification",
    4126: "alert_quota_exceeded",
    4128: "alert_slow_periodic_activity",
    4130: "alert_snmp_device_reset",
    4131: "alert_snmp_topology_changed",
    4132: "alert_snmp_trap",
    4136: "alert_threshold_cross",
    4137: "alert_too_many_drops",
    4139: "alert_user_activity",
    4142: "alert_attack_mitigation_via_snmp",
    4145: "alert_list_download_succeeded",
    4146: "alert_no_if_activity",
    4147: "alert_device_connection_disconnection",
    4148: "alert_shell_script_executed",
    4151: "alert_fail2ban_executed",
    4153: "alert_flow_flood_victim",
    4157: "alert_tcp_syn_scan_victim",
    4159: "alert_contacts_anomaly",
    4164: "alert_broadcast_domain_too_large",
    4165: "alert_ngi_trust_event",
    4168: "alert_ids_ips_jail_add",
    4169: "alert_ids_ips_jail_remove",
    4170: "alert_port_too_many_macs",
    4171: "alert_network_discovery_executed",
    4172: "alert_port_mac_appeared",
    4173: "alert_port_mac_disappeared",
    4174: "alert_network_score_per_host",
    4175: "alert_dhcp_storm",
    4176: "alert_snmp_interface_errors",
    4177: "alert_snmp_device_traffic_change",
    4178: "alert_local_host_blacklisted",
    4179: "alert_network_issues",
    4180: "alert_network_rule_threshold_cross",
    4181: "alert_snmp_interface_threshold_crossed",
    4182: "alert_score_behavior_anomaly",
    4183: "alert_traffic_behavior_anomaly",
    4184: "alert_vulnerability_scan",
    4185: "alert_host_pool_rule_threshold_crossed",
    4186: "alert_cidr_rule_threshold_crossed",
    4187: "alert_system_error",
    4189: "alert_vlan_rule_threshold_crossed",
    4190: "alert_profile_rule_threshold_crossed",
    4191: "alert_snmp_device_polling_error",
    4192: "alert_exporters_limit_exceeded",
}

# alert severity id -> name
ALERT_SEVERITIES: dict[int, str] = {
    0: "none",
    1: "debug",
    2: "info",
    3: "notice",
    4: "warning",
    5: "error",
    6: "critical",
    8: "emergency",
}


def _inverse(table: dict[int, str]) -> dict[str, int]:
    return {name: key for key, name in table.items()}


FLOW_ALERT_IDS: dict[str, int] = _inverse(FLOW_ALERT_TYPES)
HOST_ALERT_IDS: dict[str, int] = _inverse(HOST_ALERT_TYPES)
OTHER_ALERT_IDS: dict[str, int] = _inverse(OTHER_ALERT_TYPES)
SEVERITY_IDS: dict[str, int] = _inverse(ALERT_SEVERITIES)

# alert_status column values (alert_consts.alert_status).
STATUS_HISTORICAL = 0
STATUS_ACKNOWLEDGED = 1
STATUS_ENGAGED = 2
STATUS_NAMES = {
    STATUS_HISTORICAL: "historical",
    STATUS_ACKNOWLEDGED: "acknowledged",
    STATUS_ENGAGED: "engaged",
}

OTHER_KEY_BASE = 4096
"""Alert types of entities other than hosts and flows have ids from here on."""


@dataclass(frozen=True)
class AlertType:
    """One ntopng alert type."""

    name: str
    key: int
    family: str  # "host", "flow" or "other"


@cache
def alert_types() -> tuple[AlertType, ...]:
    """Every known alert type, by id then name."""
    families = (("flow", FLOW_ALERT_TYPES), ("host", HOST_ALERT_TYPES), ("other", OTHER_ALERT_TYPES))
    found = (AlertType(name=name, key=key, family=family) for family, table in families for key, name in table.items())
    return tuple(sorted(found, key=lambda t: (t.key, t.name)))


@cache
def alert_types_by_name() -> dict[str, AlertType]:
    """Every known alert type by its ntopng name."""
    return {t.name: t for t in alert_types()}


@cache
def _by_family_key() -> dict[tuple[str, int], str]:
    return {(t.family, t.key): t.name for t in alert_types()}


def family_for_entity(entity_id: int, key: int) -> str:
    """The key family an alert id belongs to, given the ntopng entity id of its table."""
    if key >= OTHER_KEY_BASE:
        return "other"
    return {1: "host", 4: "flow"}.get(entity_id, "other")


def type_name(entity_id: int, key: int) -> str:
    """Readable alert type name; unknown ids read `alert_<id>`."""
    return _by_family_key().get((family_for_entity(entity_id, key), key), f"alert_{key}")


def severity_name(sid: int) -> str:
    """Severity name for an id (unknown ids read `severity_<id>`)."""
    return ALERT_SEVERITIES.get(sid, f"severity_{sid}")
