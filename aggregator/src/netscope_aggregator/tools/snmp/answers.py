"""What the SNMP tools answer."""

from pydantic import BaseModel, Field

_WITHOUT_RATES_DOC = "interfaces with no rate yet (rates need two polls)"


class InterfaceItem(BaseModel):
    """One interface with its rates (rates are unset until two polls exist)."""

    device_id: str = ""
    if_index: int
    name: str
    alias: str = ""
    oper_status: str
    admin_status: str
    speed: str
    in_rate: str = ""
    out_rate: str = ""
    in_bps: float | None = None
    out_bps: float | None = None
    utilization_percent: float | None = None
    in_utilization_percent: float | None = None
    out_utilization_percent: float | None = None
    errors_per_second: float | None = None
    discards_per_second: float | None = None


class DeviceSummary(BaseModel):
    """One device of the inventory, without its interfaces."""

    id: str
    address: str
    port: int
    status: str
    status_detail: str = ""
    sys_name: str = ""
    labels: dict[str, str] = Field(default_factory=dict)
    cpu_percent: float | None = None
    memory_percent: float | None = None
    uptime: str = ""
    last_seen: str = ""
    interface_count: int = 0


class DevicesAnswer(BaseModel):
    """Devices matching the filters, with counts per status."""

    summary: str
    devices: list[DeviceSummary]
    total: int
    truncated: bool
    by_status: dict[str, int]


class DeviceInfo(BaseModel):
    """One device: system info, uptime, CPU, memory, interfaces with rates, status."""

    summary: str
    id: str
    address: str
    port: int
    version: str
    status: str
    status_detail: str = ""
    labels: dict[str, str] = Field(default_factory=dict)
    sys_name: str = ""
    sys_descr: str = ""
    sys_location: str = ""
    sys_contact: str = ""
    sys_object_id: str = ""
    profile: str = ""
    uptime: str = ""
    uptime_seconds: int = 0
    cpu_percent: float | None = None
    memory_percent: float | None = None
    last_seen: str = ""
    last_polled: str = ""
    partial: bool = False
    notes: list[str] = Field(default_factory=list)
    interface_count: int = 0
    interfaces_up: int = 0
    interfaces_without_rates: int = Field(0, description=_WITHOUT_RATES_DOC)
    interfaces: list[InterfaceItem] = Field(default_factory=list)
    interfaces_truncated: bool = False


class InterfacesAnswer(BaseModel):
    """Interfaces matching the filters, busiest first."""

    summary: str
    interfaces: list[InterfaceItem]
    total: int
    truncated: bool
    without_rates: int = Field(0, description=_WITHOUT_RATES_DOC + "; a utilisation or errors filter skips them")


class HistoryPointItem(BaseModel):
    """One polled point of an interface."""

    time: str
    in_bps: float | None = None
    out_bps: float | None = None
    utilization_percent: float | None = None
    in_utilization_percent: float | None = None
    out_utilization_percent: float | None = None
    errors_per_second: float | None = None
    oper_status: str = ""


class HistoryAnswer(BaseModel):
    """Rates of one interface over a window, oldest first."""

    summary: str
    device_id: str
    if_index: int
    name: str
    points: list[HistoryPointItem]
    truncated: bool
    retention_seconds: float


class PollOutcomeItem(BaseModel):
    """What one poll found."""

    device_id: str
    status: str
    status_detail: str = ""
    duration_seconds: float
    partial: bool = False
    notes: list[str] = Field(default_factory=list)
    interface_count: int = 0


class PollAnswer(BaseModel):
    """Results of polling devices now."""

    summary: str
    outcomes: list[PollOutcomeItem]
    not_in_shard: list[str] = Field(default_factory=list)
    elapsed_seconds: float
