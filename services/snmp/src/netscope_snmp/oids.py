"""Numeric OIDs the poller reads (no MIB resolution at run time)."""

from __future__ import annotations

from typing import Final

SYS_DESCR: Final = "1.3.6.1.2.1.1.1"
SYS_OBJECT_ID: Final = "1.3.6.1.2.1.1.2"
SYS_UPTIME: Final = "1.3.6.1.2.1.1.3"
SYS_CONTACT: Final = "1.3.6.1.2.1.1.4"
SYS_NAME: Final = "1.3.6.1.2.1.1.5"
SYS_LOCATION: Final = "1.3.6.1.2.1.1.6"

# Scalars read as GETBULK non-repeaters (GETNEXT of the object yields its ".0" instance).
SYSTEM_SCALARS: Final = {
    "sys_descr": SYS_DESCR,
    "sys_object_id": SYS_OBJECT_ID,
    "sys_uptime": SYS_UPTIME,
    "sys_contact": SYS_CONTACT,
    "sys_name": SYS_NAME,
    "sys_location": SYS_LOCATION,
}

_IF = "1.3.6.1.2.1.2.2.1."
_IFX = "1.3.6.1.2.1.31.1.1.1."
_HR_STORAGE = "1.3.6.1.2.1.25.2.3.1."

# Table columns walked with GETBULK, by the name the poller uses for them.
INTERFACE_COLUMNS: Final = {
    "descr": _IF + "2",
    "type": _IF + "3",
    "speed": _IF + "5",
    "admin_status": _IF + "7",
    "oper_status": _IF + "8",
    "in_octets": _IF + "10",
    "in_discards": _IF + "13",
    "in_errors": _IF + "14",
    "out_octets": _IF + "16",
    "out_discards": _IF + "19",
    "out_errors": _IF + "20",
    "name": _IFX + "1",
    "hc_in_octets": _IFX + "6",
    "hc_out_octets": _IFX + "10",
    "high_speed": _IFX + "15",
    "alias": _IFX + "18",
}

HR_PROCESSOR_LOAD: Final = "1.3.6.1.2.1.25.3.3.1.2"

STORAGE_COLUMNS: Final = {
    "type": _HR_STORAGE + "2",
    "descr": _HR_STORAGE + "3",
    "allocation_units": _HR_STORAGE + "4",
    "size": _HR_STORAGE + "5",
    "used": _HR_STORAGE + "6",
}

HR_STORAGE_RAM: Final = "1.3.6.1.2.1.25.2.1.2"
HR_STORAGE_FIXED_DISK: Final = "1.3.6.1.2.1.25.2.1.4"

IF_STATUS_NAMES: Final = {
    1: "up",
    2: "down",
    3: "testing",
    4: "unknown",
    5: "dormant",
    6: "notPresent",
    7: "lowerLayerDown",
}
