"""Tool modules. Each has `register(mcp, backends, confirmations)`; DOMAIN_MODULES lists them in catalog order."""

from netscope_aggregator.tools import alerts, flows

DOMAIN_MODULES = (flows, alerts)
