"""Tool modules. Each has `register(mcp, backends, confirmations)`; DOMAIN_MODULES lists them in catalog order."""

from netscope_aggregator.tools import alerts, analysis, flows, history, live, policies, snmp

DOMAIN_MODULES = (flows, history, analysis, alerts, policies, live, snmp)
