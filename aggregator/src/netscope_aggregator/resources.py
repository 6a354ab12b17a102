"""MCP resources: flow/alert schemas, the nDPI protocol list, the device inventory, exclusions and policies."""

import json
from typing import Any

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError

from netscope.alerts.v1 import alerts_pb2
from netscope.flows.v1 import flows_pb2
from netscope.snmp.v1 import snmp_pb2
from netscope_aggregator import contracts
from netscope_aggregator.backends import Backends, ServiceCallError
from netscope_aggregator.contracts import Rpc


def register(mcp: MCPServer[Any], backends: Backends) -> None:
    """Add the resources; each reads its service at request time."""

    async def read(rpc: Rpc[Any, Any], request: Message) -> str:
        try:
            reply = await backends.call(rpc, request)
        except ServiceCallError as error:
            raise ResourceError(str(error)) from None
        return json.dumps(MessageToDict(reply), indent=1)

    @mcp.resource(
        "netscope://schema/{table}",
        name="table_schema",
        mime_type="application/json",
        description="Columns, types and meanings of one flow-database table (flows, flow_alerts_view, ...).",
    )
    async def table_schema(table: str) -> str:
        return await read(contracts.flows.DescribeTable, flows_pb2.DescribeTableRequest(table=table))

    @mcp.resource(
        "netscope://schema",
        name="tables",
        mime_type="application/json",
        description="The tables of the flow database with row counts.",
    )
    async def tables() -> str:
        return await read(contracts.flows.ListTables, flows_pb2.ListTablesRequest())

    @mcp.resource(
        "netscope://protocols",
        name="l7_protocols",
        mime_type="application/json",
        description="nDPI application protocol ids and names as ntopng stores them (flows.L7_PROTO).",
    )
    async def protocols() -> str:
        try:
            reply = await backends.call(contracts.flows.ListProtocols, flows_pb2.ListProtocolsRequest())
        except ServiceCallError as error:
            raise ResourceError(str(error)) from None
        return json.dumps({str(p.id): p.name for p in reply.protocols})

    @mcp.resource(
        "netscope://devices",
        name="device_inventory",
        mime_type="application/json",
        description="SNMP devices under polling, with status and labels.",
    )
    async def devices() -> str:
        return await read(contracts.snmp.ListDevices, snmp_pb2.ListDevicesRequest())

    @mcp.resource(
        "netscope://alerts/exclusions",
        name="alert_exclusions",
        mime_type="application/json",
        description="Host, domain and certificate alert exclusions in force.",
    )
    async def exclusions() -> str:
        return await read(contracts.alerts.ListExclusions, alerts_pb2.ListExclusionsRequest())

    @mcp.resource(
        "netscope://alerts/policies",
        name="alert_policies",
        mime_type="application/json",
        description="Alert policies (rules over flows and alerts) and whether they are enabled.",
    )
    async def policies() -> str:
        return await read(contracts.alerts.ListPolicies, alerts_pb2.ListPoliciesRequest())
