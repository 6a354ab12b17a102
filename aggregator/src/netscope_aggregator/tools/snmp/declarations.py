"""The SNMP tools as assistants see them: name, description, toolsets, role and write flag of each."""

from netscope_aggregator import contracts
from netscope_aggregator.auth import Role
from netscope_aggregator.backends import Backends
from netscope_aggregator.catalog import Catalog
from netscope_aggregator.confirmations import Confirmations
from netscope_aggregator.declare import composite
from netscope_aggregator.tools.snmp.devices import DeviceWrites
from netscope_aggregator.tools.snmp.handlers import SnmpReads


def register(catalog: Catalog, backends: Backends, confirmations: Confirmations) -> None:
    """Declare the SNMP tools."""
    reads = SnmpReads(backends)
    writes = DeviceWrites(reads, confirmations)
    content_note = " Also accepts ntopng MCP style `content`: a JSON object string with the same keys."
    catalog.declare(
        composite(
            reads.list_snmp_devices,
            name="list_snmp_devices",
            description="List monitored SNMP devices with status (up, unreachable, auth_failure, ...), CPU, memory and "
            "last seen; filter by labels (site=hq), status, or not seen for N seconds." + content_note,
            toolsets=("snmp",),
            rpcs=(contracts.snmp.ListDevices,),
        )
    )
    catalog.declare(
        composite(
            reads.get_snmp_device_info,
            name="get_snmp_device_info",
            description="One SNMP device by id or IP: system info, uptime, CPU, memory, interfaces with in/out rates "
            "and utilisation, status with detail, and a one-line summary." + content_note,
            toolsets=("snmp",),
            rpcs=(contracts.snmp.GetDevice, contracts.snmp.ListDevices),
        )
    )
    catalog.declare(
        composite(
            reads.list_snmp_interfaces,
            name="list_snmp_interfaces",
            description="SNMP interfaces across devices, busiest first; filter by utilisation above X %, oper status, "
            "errors per second, name, device or labels.",
            toolsets=("snmp",),
            rpcs=(contracts.snmp.ListInterfaces, contracts.snmp.ListDevices),
        )
    )
    catalog.declare(
        composite(
            reads.get_snmp_interface_history,
            name="get_snmp_interface_history",
            description="Rates, utilisation and errors of one interface over the last N minutes (in-memory history).",
            toolsets=("snmp",),
            rpcs=(contracts.snmp.InterfaceHistory, contracts.snmp.ListDevices),
        )
    )
    catalog.declare(
        composite(
            reads.poll_snmp_device_now,
            name="poll_snmp_device_now",
            description="Poll SNMP devices right now (refresh only, no configuration change) and report each outcome.",
            toolsets=("snmp",),
            rpcs=(contracts.snmp.PollNow, contracts.snmp.ListDevices),
        )
    )
    catalog.declare(
        composite(
            writes.add_snmp_device,
            name="add_snmp_device",
            description="Add an SNMP device to the inventory (admin). The first call returns a preview and a "
            "confirm_id; call again with the same arguments and confirm_id to apply it. Credentials are never echoed.",
            toolsets=("snmp", "admin"),
            role=Role.ADMIN,
            writes=True,
            rpcs=(contracts.snmp.AddDevice, contracts.snmp.ListDevices),
        )
    )
    catalog.declare(
        composite(
            writes.remove_snmp_device,
            name="remove_snmp_device",
            description="Remove an SNMP device from the inventory (admin). The first call returns a preview and a "
            "confirm_id; call again with confirm_id to apply it.",
            toolsets=("snmp", "admin"),
            role=Role.ADMIN,
            writes=True,
            destructive=True,
            rpcs=(contracts.snmp.GetDevice, contracts.snmp.RemoveDevice, contracts.snmp.ListDevices),
        )
    )
