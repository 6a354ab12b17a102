"""netscope aggregator: the MCP server that fans tool calls out to the services."""
