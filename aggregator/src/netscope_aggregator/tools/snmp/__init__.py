"""SNMP tools: device inventory and health, interfaces, history, poll now, and confirmed add/remove (admin).

`list_snmp_devices` and `get_snmp_device_info` also accept ntopng embedded-MCP style `content`: a JSON object
string whose keys fill the other arguments. Device credentials (community, v3 keys) given to `add_snmp_device`
never appear in previews, answers or audit lines.
"""

from netscope_aggregator.tools.snmp.declarations import register

__all__ = ["register"]
