"""Arguments of the live tools: shared annotated types and the models `content` is validated against."""

from typing import Annotated, Literal

from pydantic import AliasChoices, BaseModel, Field

Ifid = Annotated[int, Field(ge=0, le=65535, description="interface id (fetch_ntopng_all_ifids lists them)")]
FlowLimit = Annotated[int, Field(ge=1, le=200, description="flows to return, largest first")]
TopN = Annotated[int, Field(ge=1, le=100, description="entries to return, largest first")]


class HostArgs(BaseModel):
    """Arguments of get_host_info (`host` is accepted for `ip`, as ntopng names it)."""

    ip: Annotated[str, Field(min_length=1, max_length=64, validation_alias=AliasChoices("ip", "host"))]
    ifid: Ifid = 0


class HostFlowsArgs(BaseModel):
    """Arguments of get_live_flows_for_host (`host` is accepted for `ip`)."""

    ip: Annotated[str, Field(min_length=1, max_length=64, validation_alias=AliasChoices("ip", "host"))]
    limit: FlowLimit = 20
    ifid: Ifid = 0


class SummaryArgs(BaseModel):
    """Arguments of get_live_flows_summary."""

    host: Annotated[str, Field(max_length=64, description="only flows of this IP (empty = all)")] = ""
    limit: TopN = 10
    ifid: Ifid = 0


class CountryArgs(BaseModel):
    """Arguments of get_country_stats."""

    limit: TopN = 10
    ifid: Ifid = 0


class MacArgs(BaseModel):
    """Arguments of get_mac_info."""

    mac: Annotated[str, Field(min_length=1, max_length=64, description="MAC address, e.g. 00:1b:63:84:45:e6")]
    ifid: Ifid = 0


class AddMonitorArgs(BaseModel):
    """Arguments of add_active_monitoring_script."""

    kind: Literal["tcp_connect", "http", "https"]
    host: Annotated[str, Field(max_length=253)] = ""
    port: Annotated[int, Field(ge=0, le=65535)] = 0
    url: Annotated[str, Field(max_length=2048)] = ""
    interval_seconds: Annotated[int, Field(ge=1, le=3600)] = 60
    threshold_ms: Annotated[int, Field(ge=0, le=600_000)] = 0
    confirm_id: Annotated[str, Field(max_length=64)] = ""
