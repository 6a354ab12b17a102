"""Live tools: interfaces, hosts, flows, countries and MACs right now (mcp-ntopng and ntopng MCP names).

The ntopng embedded-MCP tools take one string argument `content` holding a JSON object; the seed-001 tools
here accept it too, its keys filling the named arguments.
"""

from netscope_aggregator.tools.live.declarations import register

__all__ = ["register"]
