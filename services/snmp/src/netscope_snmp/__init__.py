"""netscope SNMP service: inventory, asyncio poller (pysnmp 7), derived rates, events and the gRPC API."""
