"""Create the alert tables, ntopng's all_alerts_view and netscope's own configuration tables if missing."""

from __future__ import annotations

from netscope_alerts.store import Store
from netscope_ntopng.schema import ALERT_TABLES, alert_table_ddl

# Configuration tables: ReplacingMergeTree(version, deleted) keeps the latest version of each key; reads use
# FINAL and skip deleted rows, so a write is one INSERT and survives restarts.
CONFIG_DDL = (
    """CREATE TABLE IF NOT EXISTS netscope_alert_exclusions (
  kind LowCardinality(String), value String, alert_type String, comment String,
  created_at DateTime64(3, 'UTC'), created_by String, version UInt64, deleted UInt8
) ENGINE = ReplacingMergeTree(version, deleted) ORDER BY (kind, value, alert_type)""",
    """CREATE TABLE IF NOT EXISTS netscope_alert_policies (
  name String, spec_json String, enabled UInt8, created_at DateTime64(3, 'UTC'), created_by String,
  last_run DateTime64(3, 'UTC'), last_result String, version UInt64, deleted UInt8
) ENGINE = ReplacingMergeTree(version, deleted) ORDER BY name""",
    """CREATE TABLE IF NOT EXISTS netscope_expected_servers (
  role LowCardinality(String), address String, comment String, created_at DateTime64(3, 'UTC'),
  created_by String, version UInt64, deleted UInt8
) ENGINE = ReplacingMergeTree(version, deleted) ORDER BY (role, address)""",
    """CREATE TABLE IF NOT EXISTS netscope_audit (
  time DateTime64(3, 'UTC'), principal String, action LowCardinality(String), target_json String,
  result String
) ENGINE = MergeTree ORDER BY time""",
)

_VIEW_COLUMNS = "interface_id, alert_id, alert_status, tstamp, tstamp_end, severity, score"


def all_alerts_view_ddl(with_flows: bool) -> str:
    """ntopng's all_alerts_view: UNION ALL of the alert tables with entity_id (flows only when present)."""
    branches = [f"SELECT {eid} entity_id, {_VIEW_COLUMNS} FROM `{table}`" for table, (eid, _) in ALERT_TABLES.items()]
    if with_flows:
        branches.append(
            "SELECT 4 entity_id, INTERFACE_ID AS interface_id, STATUS AS alert_id, 0 AS alert_status,"
            " FIRST_SEEN AS tstamp, LAST_SEEN AS tstamp_end, SEVERITY AS severity, SCORE AS score"
            " FROM `flows` WHERE STATUS != 0"
        )
    return "CREATE VIEW IF NOT EXISTS all_alerts_view AS\n" + "\nUNION ALL\n".join(branches)


async def ensure_schema(store: Store) -> None:
    """Create every table and view the service needs (existing ones are left as they are)."""
    for table in ALERT_TABLES:
        await store.command(alert_table_ddl(table))
    await store.command(all_alerts_view_ddl(await store.has_table("flows")))
    for ddl in CONFIG_DDL:
        await store.command(ddl)
