"""Prometheus metrics of the flows service (served by the kit's metrics endpoint)."""

from __future__ import annotations

from prometheus_client import Counter

INGESTED_FLOWS = Counter(
    "netscope_flows_ingest_flows_total", "flows offered to IngestFlows, by outcome (accepted, rejected)", ["outcome"]
)
SQL_REFUSALS = Counter("netscope_flows_sql_refusals_total", "assistant SQL statements the guard refused")
