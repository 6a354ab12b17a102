"""Tool modules. Each has `register(mcp, backends, confirmations)`; DOMAIN_MODULES lists them in catalog order."""

from netscope_aggregator.tools import alerts, analysis, flows, history, live, ntopng_alerts, policies, snmp

DOMAIN_MODULES = (flows, history, analysis, ntopng_alerts, alerts, policies, live, snmp)
