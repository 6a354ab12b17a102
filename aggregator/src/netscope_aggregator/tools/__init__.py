"""Tool modules. Each has `register(mcp, backends, confirmations)`; DOMAIN_MODULES lists them in catalog order."""

from netscope_aggregator.tools import (
    alerts,
    analysis,
    flows,
    history,
    live,
    ntopng_alerts,
    ntopng_flows,
    policies,
    preferences,
    snmp,
)

DOMAIN_MODULES = (flows, history, ntopng_flows, analysis, ntopng_alerts, alerts, policies, live, snmp, preferences)
