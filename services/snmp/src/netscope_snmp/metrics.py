"""Prometheus metrics of the poller (served by the kit's metrics endpoint)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

POLLS = Counter("netscope_snmp_polls_total", "device polls by outcome", ["status"])
REQUESTS = Counter("netscope_snmp_requests_total", "SNMP requests sent by polls (probes and walk requests)")
WALK_LIMIT = Gauge("netscope_snmp_walk_limit", "current adaptive limit of device walks in flight")
LATE_ANSWERS = Counter(
    "netscope_snmp_late_answers_total", "v2c answers that arrived after their request gave up (overload sign)"
)
MALFORMED_ANSWERS = Counter("netscope_snmp_malformed_answers_total", "v2c datagrams that were not SNMP responses")
