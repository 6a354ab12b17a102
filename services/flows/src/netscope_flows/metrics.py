"""Prometheus metrics of the flows service (served by the kit's metrics endpoint)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

INGESTED_FLOWS = Counter(
    "netscope_flows_ingest_flows_total", "flows offered to IngestFlows, by outcome (accepted, rejected)", ["outcome"]
)
SQL_REFUSALS = Counter("netscope_flows_sql_refusals_total", "assistant SQL statements the guard refused")
SQL_RUNNING = Gauge("netscope_flows_sql_running", "assistant SQL statements holding an engine slot now")
SQL_WAITING = Gauge("netscope_flows_sql_waiting", "assistant SQL statements waiting for an engine slot now")
SQL_OVERRUNNING = Gauge(
    "netscope_flows_sql_overrunning",
    "1 while the embedded engine still runs an assistant SQL statement whose caller was answered (past its limit)",
)
