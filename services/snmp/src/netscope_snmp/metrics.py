"""Prometheus metrics of the poller (served by the kit's metrics endpoint)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

POLLS = Counter("netscope_snmp_polls_total", "device polls by outcome", ["status"])
REQUESTS = Counter("netscope_snmp_requests_total", "SNMP requests sent by polls (probes and walk requests)")
WALK_LIMIT = Gauge("netscope_snmp_walk_limit", "current adaptive limit of device walks in flight")
LATE_ANSWERS = Counter(
    "netscope_snmp_late_answers_total", "v2c answers that arrived after their request gave up (overload sign)"
)
MALFORMED_ANSWERS = Counter("netscope_snmp_malformed_answers_total", "v2c datagrams that were not SNMP responses")
POLL_SECONDS = Histogram(
    "netscope_snmp_poll_seconds",
    "time one device poll takes (probe, walk and profile)",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
POLL_OVERRUNS = Counter(
    "netscope_snmp_poll_overruns_total", "device polls that took longer than the device's poll interval"
)
UNREACHABLE_DEVICES = Gauge("netscope_snmp_unreachable_devices", "devices whose last poll found them unreachable")
