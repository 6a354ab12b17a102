"""Arguments of the live tools: shared annotated types and the models `content` is validated against."""

from typing import Annotated, Any, ClassVar, Literal

from pydantic import AliasChoices, BaseModel, BeforeValidator, Field, model_validator


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def as_int(value: Any) -> Any:
    """ntopng sends numbers as strings too ("vlan": "0")."""
    return int(value) if isinstance(value, str) and value.strip().isdigit() else value


Ifid = Annotated[int, Field(ge=0, le=65535, description="interface id (fetch_ntopng_all_ifids lists them)")]
FlowLimit = Annotated[int, Field(ge=1, le=200, description="flows to return, largest first")]
TopN = Annotated[int, Field(ge=1, le=100, description="entries to return, largest first")]


Vlan = Annotated[
    int, BeforeValidator(as_int), Field(ge=0, le=4095, description="VLAN id (0 = any); ntopng's 'ip@vlan' works too")
]
Role = Annotated[
    Literal["any", "client", "server"], BeforeValidator(_lower), Field(description="the host's role in the flow")
]
AlertedOnly = Annotated[bool, Field(description="only flows with a flow alert (see the tool description)")]
GroupBy = Annotated[
    Literal["", "country", "destination", "application", "protocol", "source"],
    BeforeValidator(_lower),
    Field(
        description="group the flows by server country, server IP, nDPI application, L4 protocol or client country "
        "('' = no groups; the breakdowns by application, protocol and port are always there)"
    ),
]
MaxFlows = Annotated[int, Field(ge=1, le=1000, description="active flows read (largest first) before grouping")]


class HostArgs(BaseModel):
    """Arguments of get_host_info (`host` is accepted for `ip`, as ntopng names it)."""

    ip: Annotated[str, Field(min_length=1, max_length=64, validation_alias=AliasChoices("ip", "host"))]
    vlan: Vlan = 0
    ifid: Ifid = 0


class HostFlowsArgs(BaseModel):
    """Arguments of get_live_flows_for_host (`host` is accepted for `ip`, `max_flows` for `limit`)."""

    ip: Annotated[str, Field(min_length=1, max_length=64, validation_alias=AliasChoices("ip", "host"))]
    limit: Annotated[int, Field(ge=1, le=1000, validation_alias=AliasChoices("limit", "max_flows"))] = 20
    vlan: Vlan = 0
    role: Role = "any"
    alerted_only: AlertedOnly = False
    ifid: Ifid = 0


class SummaryArgs(BaseModel):
    """Arguments of get_live_flows_summary (`ip` is accepted for `host`, as ntopng names it)."""

    host: Annotated[str, Field(max_length=64, validation_alias=AliasChoices("host", "ip"))] = ""
    limit: TopN = 10
    vlan: Vlan = 0
    role: Role = "any"
    group_by: GroupBy = ""
    alerted_only: AlertedOnly = False
    max_flows: MaxFlows = 500
    ifid: Ifid = 0


class CountryArgs(BaseModel):
    """Arguments of get_country_stats."""

    limit: TopN = 10
    sort_by: Annotated[Literal["bytes", "hosts", "score"], BeforeValidator(_lower)] = "bytes"
    ifid: Ifid = 0


class MacArgs(BaseModel):
    """Arguments of get_mac_info."""

    mac: Annotated[str, Field(min_length=1, max_length=64, description="MAC address, e.g. 00:1b:63:84:45:e6")]
    ifid: Ifid = 0


GRANULARITY_SECONDS = {"min": 60, "5mins": 300, "hour": 3600}
Measurement = Literal["icmp", "cicmp", "http", "https", "tcp_connect", "throughput", "speedtest", ""]
MONITOR_KINDS = ("tcp_connect", "http", "https", "icmp", "cicmp")


class AddMonitorArgs(BaseModel):
    """Arguments of add_active_monitoring_script, in netscope's form (kind, host, port, url, interval_seconds,
    threshold_ms) or ntopng's (measurement, host — a URL for http —, threshold, granularity, ifid)."""

    content_keys: ClassVar[tuple[str, ...]] = ("measurement", "threshold", "granularity", "ifid")  # ntopng's

    kind: Literal["tcp_connect", "http", "https", "icmp", "cicmp"]
    host: Annotated[str, Field(max_length=253)] = ""
    port: Annotated[int, Field(ge=0, le=65535)] = 0
    url: Annotated[str, Field(max_length=2048)] = ""
    interval_seconds: Annotated[int, Field(ge=1, le=3600)] = 60
    threshold_ms: Annotated[int, Field(ge=0, le=600_000)] = 0
    confirm_id: Annotated[str, Field(max_length=64)] = ""

    @model_validator(mode="before")
    @classmethod
    def _ntopng_keys(cls, data: Any) -> Any:
        """ntopng's keys as netscope's: measurement -> kind, a URL host -> url, threshold -> threshold_ms,
        granularity -> interval_seconds; ifid is accepted (monitors are not per interface)."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        data.pop("ifid", None)
        measurement = str(data.pop("measurement", "") or "").lower()
        if measurement in ("throughput", "speedtest"):
            raise ValueError(f"measurement {measurement!r} is not offered here; available: {', '.join(MONITOR_KINDS)}")
        host = str(data.get("host", ""))
        if "://" in host and measurement in ("http", "https", ""):  # ntopng's http measurement takes a URL host
            data["url"], data["host"] = host, ""
            measurement = host.split("://", 1)[0].lower()
        if measurement:
            data["kind"] = measurement
        threshold = data.pop("threshold", None)
        if threshold is not None and measurement != "cicmp":  # cicmp's threshold is an availability %: any loss fails
            data["threshold_ms"] = round(float(threshold))
        granularity = data.pop("granularity", None)
        if granularity is not None:
            if granularity not in GRANULARITY_SECONDS:
                raise ValueError(f"granularity {granularity!r}: allowed {', '.join(GRANULARITY_SECONDS)}")
            data["interval_seconds"] = GRANULARITY_SECONDS[granularity]
        return data
