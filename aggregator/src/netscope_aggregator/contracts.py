"""Typed references to the services' RPCs, built from the generated protobuf service descriptors.

`contracts.flows.Query` is an `Rpc`: its service, method path, request and response classes and whether it only
reads (the proto declares `option idempotency_level`). Tools name RPCs through these references, never by a method
name in a string; `Backends.call(rpc, request)` makes the call, and retries only the RPCs that declare themselves
free of side effects (or idempotent).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Generic, TypeVar

from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.descriptor_pb2 import MethodOptions
from google.protobuf.message import Message

from netscope.alerts.v1 import alerts_pb2
from netscope.flows.v1 import flows_pb2
from netscope.live.v1 import live_pb2
from netscope.snmp.v1 import snmp_pb2

RequestT = TypeVar("RequestT", bound=Message)
ResponseT = TypeVar("ResponseT", bound=Message)
ContractT = TypeVar("ContractT")

_RETRYABLE = (MethodOptions.NO_SIDE_EFFECTS, MethodOptions.IDEMPOTENT)


@dataclass(frozen=True)
class Rpc(Generic[RequestT, ResponseT]):
    """One unary RPC of a service."""

    service: str  # the short service name: flows, alerts, snmp, live
    full_service: str  # e.g. netscope.flows.v1.FlowsService
    name: str
    request_type: type[RequestT]
    response_type: type[ResponseT]
    retryable: bool  # declared NO_SIDE_EFFECTS or IDEMPOTENT: safe to retry after UNAVAILABLE

    @property
    def path(self) -> str:
        """The gRPC method path, /package.Service/Method."""
        return f"/{self.full_service}/{self.name}"

    @classmethod
    def of(cls, method: MethodDescriptor) -> Rpc[Message, Message]:
        """The reference of one method of a generated service descriptor."""
        full_service = method.containing_service.full_name
        return Rpc(
            service=full_service.split(".")[1],
            full_service=full_service,
            name=method.name,
            request_type=message_factory.GetMessageClass(method.input_type),
            response_type=message_factory.GetMessageClass(method.output_type),
            retryable=method.GetOptions().idempotency_level in _RETRYABLE,
        )


def _bind(contract: type[ContractT], service: ServiceDescriptor) -> ContractT:
    """Fill every declared field of `contract` from the service's method of the same name."""
    declared = {field.name for field in fields(contract)}  # type: ignore[arg-type]
    unknown = declared - set(service.methods_by_name)
    if unknown:
        raise TypeError(f"{contract.__name__} declares RPCs {sorted(unknown)} that {service.full_name} lacks")
    return contract(**{name: Rpc.of(service.methods_by_name[name]) for name in declared})


def retryable_methods(service: ServiceDescriptor) -> list[tuple[str, str]]:
    """(full service name, method) of every RPC the service declares free of side effects or idempotent."""
    return [(service.full_name, m.name) for m in service.methods if Rpc.of(m).retryable]


@dataclass(frozen=True)
class Flows:
    """netscope.flows.v1.FlowsService."""

    Query: Rpc[flows_pb2.QueryRequest, flows_pb2.QueryResponse]
    ListTables: Rpc[flows_pb2.ListTablesRequest, flows_pb2.ListTablesResponse]
    DescribeTable: Rpc[flows_pb2.DescribeTableRequest, flows_pb2.DescribeTableResponse]
    TopK: Rpc[flows_pb2.TopKRequest, flows_pb2.TopKResponse]
    SearchFlows: Rpc[flows_pb2.SearchFlowsRequest, flows_pb2.SearchFlowsResponse]
    TimeSeries: Rpc[flows_pb2.TimeSeriesRequest, flows_pb2.TimeSeriesResponse]
    CountryStats: Rpc[flows_pb2.CountryStatsRequest, flows_pb2.CountryStatsResponse]
    ListProtocols: Rpc[flows_pb2.ListProtocolsRequest, flows_pb2.ListProtocolsResponse]
    FlowDeviceStats: Rpc[flows_pb2.DeviceStatsRequest, flows_pb2.DeviceStatsResponse]
    SflowDeviceStats: Rpc[flows_pb2.DeviceStatsRequest, flows_pb2.DeviceStatsResponse]
    FindAnomalies: Rpc[flows_pb2.FindAnomaliesRequest, flows_pb2.FindAnomaliesResponse]
    DetectBottlenecks: Rpc[flows_pb2.DetectBottlenecksRequest, flows_pb2.DetectBottlenecksResponse]
    AnalyzeTraffic: Rpc[flows_pb2.AnalyzeTrafficRequest, flows_pb2.AnalyzeTrafficResponse]
    InvestigateHost: Rpc[flows_pb2.InvestigateHostRequest, flows_pb2.InvestigateHostResponse]
    Recommendations: Rpc[flows_pb2.RecommendationsRequest, flows_pb2.RecommendationsResponse]
    Chart: Rpc[flows_pb2.ChartRequest, flows_pb2.ChartResponse]


@dataclass(frozen=True)
class Alerts:
    """netscope.alerts.v1.AlertsService."""

    AlertStats: Rpc[alerts_pb2.AlertStatsRequest, alerts_pb2.AlertStatsResponse]
    ListAlerts: Rpc[alerts_pb2.ListAlertsRequest, alerts_pb2.ListAlertsResponse]
    ListAlertTypes: Rpc[alerts_pb2.ListAlertTypesRequest, alerts_pb2.ListAlertTypesResponse]
    RaiseAlert: Rpc[alerts_pb2.RaiseAlertRequest, alerts_pb2.RaiseAlertResponse]
    AcknowledgeAlert: Rpc[alerts_pb2.AcknowledgeAlertRequest, alerts_pb2.AcknowledgeAlertResponse]
    AddExclusion: Rpc[alerts_pb2.AddExclusionRequest, alerts_pb2.AddExclusionResponse]
    RemoveExclusion: Rpc[alerts_pb2.RemoveExclusionRequest, alerts_pb2.RemoveExclusionResponse]
    ListExclusions: Rpc[alerts_pb2.ListExclusionsRequest, alerts_pb2.ListExclusionsResponse]
    CreatePolicy: Rpc[alerts_pb2.CreatePolicyRequest, alerts_pb2.CreatePolicyResponse]
    SetPolicyEnabled: Rpc[alerts_pb2.SetPolicyEnabledRequest, alerts_pb2.SetPolicyEnabledResponse]
    DeletePolicy: Rpc[alerts_pb2.DeletePolicyRequest, alerts_pb2.DeletePolicyResponse]
    ListPolicies: Rpc[alerts_pb2.ListPoliciesRequest, alerts_pb2.ListPoliciesResponse]
    DryRunPolicy: Rpc[alerts_pb2.DryRunPolicyRequest, alerts_pb2.DryRunPolicyResponse]
    AddExpectedServer: Rpc[alerts_pb2.AddExpectedServerRequest, alerts_pb2.AddExpectedServerResponse]
    RemoveExpectedServer: Rpc[alerts_pb2.RemoveExpectedServerRequest, alerts_pb2.RemoveExpectedServerResponse]
    ListExpectedServers: Rpc[alerts_pb2.ListExpectedServersRequest, alerts_pb2.ListExpectedServersResponse]
    CheckUnexpectedServers: Rpc[alerts_pb2.CheckUnexpectedServersRequest, alerts_pb2.CheckUnexpectedServersResponse]
    ListAuditEntries: Rpc[alerts_pb2.ListAuditEntriesRequest, alerts_pb2.ListAuditEntriesResponse]


@dataclass(frozen=True)
class Snmp:
    """netscope.snmp.v1.SnmpService."""

    ListDevices: Rpc[snmp_pb2.ListDevicesRequest, snmp_pb2.ListDevicesResponse]
    GetDevice: Rpc[snmp_pb2.GetDeviceRequest, snmp_pb2.Device]
    ListInterfaces: Rpc[snmp_pb2.ListInterfacesRequest, snmp_pb2.ListInterfacesResponse]
    InterfaceHistory: Rpc[snmp_pb2.InterfaceHistoryRequest, snmp_pb2.InterfaceHistoryResponse]
    PollNow: Rpc[snmp_pb2.PollNowRequest, snmp_pb2.PollNowResponse]
    AddDevice: Rpc[snmp_pb2.AddDeviceRequest, snmp_pb2.AddDeviceResponse]
    RemoveDevice: Rpc[snmp_pb2.RemoveDeviceRequest, snmp_pb2.RemoveDeviceResponse]
    DeviceAlerts: Rpc[snmp_pb2.DeviceAlertsRequest, snmp_pb2.DeviceAlertsResponse]


@dataclass(frozen=True)
class Live:
    """netscope.live.v1.LiveService."""

    ListInterfaces: Rpc[live_pb2.ListInterfacesRequest, live_pb2.ListInterfacesResponse]
    InterfaceStats: Rpc[live_pb2.InterfaceStatsRequest, live_pb2.InterfaceStatsResponse]
    ListHosts: Rpc[live_pb2.ListHostsRequest, live_pb2.ListHostsResponse]
    GetHost: Rpc[live_pb2.GetHostRequest, live_pb2.Host]
    ListFlows: Rpc[live_pb2.ListFlowsRequest, live_pb2.ListFlowsResponse]
    FlowsSummary: Rpc[live_pb2.FlowsSummaryRequest, live_pb2.FlowsSummaryResponse]
    CountryStats: Rpc[live_pb2.CountryStatsRequest, live_pb2.CountryStatsResponse]
    HostsLocation: Rpc[live_pb2.HostsLocationRequest, live_pb2.HostsLocationResponse]
    MacInfo: Rpc[live_pb2.MacInfoRequest, live_pb2.MacInfoResponse]
    CollectorStats: Rpc[live_pb2.CollectorStatsRequest, live_pb2.CollectorStatsResponse]
    ListAvailableMonitors: Rpc[live_pb2.ListAvailableMonitorsRequest, live_pb2.ListAvailableMonitorsResponse]
    ListEnabledMonitors: Rpc[live_pb2.ListEnabledMonitorsRequest, live_pb2.ListEnabledMonitorsResponse]
    AddMonitor: Rpc[live_pb2.AddMonitorRequest, live_pb2.AddMonitorResponse]
    RemoveMonitor: Rpc[live_pb2.RemoveMonitorRequest, live_pb2.RemoveMonitorResponse]


SERVICES: dict[str, ServiceDescriptor] = {
    "flows": flows_pb2.DESCRIPTOR.services_by_name["FlowsService"],
    "alerts": alerts_pb2.DESCRIPTOR.services_by_name["AlertsService"],
    "snmp": snmp_pb2.DESCRIPTOR.services_by_name["SnmpService"],
    "live": live_pb2.DESCRIPTOR.services_by_name["LiveService"],
}
flows = _bind(Flows, SERVICES["flows"])
alerts = _bind(Alerts, SERVICES["alerts"])
snmp = _bind(Snmp, SERVICES["snmp"])
live = _bind(Live, SERVICES["live"])
