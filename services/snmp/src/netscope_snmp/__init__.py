"""netscope snmp service: device polling with pysnmp."""
