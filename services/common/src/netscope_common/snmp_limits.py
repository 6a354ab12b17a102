"""Row limits of the SNMP service's list RPCs, shared by its replicas and the aggregator that merges them."""

from __future__ import annotations

LIST_LIMIT_DEFAULT = 100
"""Rows a list RPC (ListDevices, ListInterfaces, DeviceAlerts) returns when the request's limit is 0."""

LIST_LIMIT_MAX = 1000
"""The largest limit a list RPC accepts; above it the call is INVALID_ARGUMENT."""
