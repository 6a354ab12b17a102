"""Arguments of the SNMP tools: shared annotated types and the models `content` is validated against."""

from typing import Annotated, Literal

from pydantic import BaseModel, Field

DeviceKey = Annotated[str, Field(min_length=1, max_length=255, description="device id or address (IP)")]
LabelFilter = Annotated[
    str, Field(max_length=512, description="label filters, comma-separated key=value (e.g. 'site=hq,role=router')")
]
StatusName = Literal["", "up", "unreachable", "auth_failure", "not_polled", "error"]
OperStatus = Literal["", "up", "down", "testing", "unknown", "dormant", "notPresent", "lowerLayerDown"]
NotSeen = Annotated[
    int, Field(ge=0, le=31 * 86400, description="only devices without a successful poll for this many seconds")
]
DeviceLimit = Annotated[int, Field(ge=1, le=500, description="devices per answer")]
MaxInterfaces = Annotated[int, Field(ge=1, le=500, description="interfaces listed, in ifIndex order")]
Secret = Annotated[str, Field(max_length=256, description="secret; never echoed back")]
ConfirmId = Annotated[str | None, Field(max_length=64, description="id from the preview, to execute the write")]


class ListDevicesArgs(BaseModel):
    """Arguments of list_snmp_devices."""

    label: LabelFilter = ""
    status: StatusName = ""
    not_seen_for_seconds: NotSeen = 0
    limit: DeviceLimit = 50


class DeviceInfoArgs(BaseModel):
    """Arguments of get_snmp_device_info."""

    device: Annotated[str | None, Field(max_length=255)] = None
    max_interfaces: MaxInterfaces = 50
