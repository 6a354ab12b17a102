"""The SNMP write tools: add and remove a device (admin), confirmed first; credentials never echoed."""

import hashlib
import json
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from netscope.snmp.v1 import snmp_pb2 as pb
from netscope_aggregator import contracts
from netscope_aggregator.caller import caller_name
from netscope_aggregator.confirmations import Confirmations
from netscope_aggregator.tools.snmp.arguments import ConfirmId, DeviceKey, Secret
from netscope_aggregator.tools.snmp.handlers import SnmpReads
from netscope_aggregator.tools.snmp.render import device_info, parse_labels, status_name
from netscope_aggregator.writes import Write, WriteAnswer

_REDACTED = "***"
_SECRET_FIELDS = ("community", "auth_key", "priv_key")


def redacted(arguments: dict[str, Any]) -> dict[str, Any]:
    """The arguments with every secret replaced (for previews, answers and audit lines)."""
    return {k: (_REDACTED if k in _SECRET_FIELDS and v else v) for k, v in arguments.items()}


def binding(arguments: dict[str, Any]) -> dict[str, Any]:
    """What a confirmation id is bound to: public arguments plus a digest of the secrets (never the secrets)."""
    secret_blob = json.dumps([arguments.get(k, "") for k in _SECRET_FIELDS])
    return {**redacted(arguments), "secrets_sha256": hashlib.sha256(secret_blob.encode()).hexdigest()}


class DeviceWrites:
    """add_snmp_device and remove_snmp_device."""

    def __init__(self, reads: SnmpReads, confirmations: Confirmations) -> None:
        self.reads = reads
        self.confirmations = confirmations

    async def add_snmp_device(
        self,
        ctx: Context,
        device_id: Annotated[str, Field(min_length=1, max_length=64, description="unique id, e.g. vpn-gw-2")],
        address: Annotated[str, Field(min_length=1, max_length=255, description="IP address or host name")],
        port: Annotated[int, Field(ge=1, le=65535)] = 161,
        version: Literal["v2c", "v3"] = "v2c",
        community: Secret = "",
        user: Annotated[str, Field(max_length=64, description="SNMPv3 user")] = "",
        auth_protocol: Literal["", "MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512"] = "",
        auth_key: Secret = "",
        priv_protocol: Literal["", "DES", "3DES", "AES", "AES128", "AES192", "AES256"] = "",
        priv_key: Secret = "",
        context: Annotated[str, Field(max_length=128, description="SNMPv3 context")] = "",
        labels: Annotated[str, Field(max_length=512, description="key=value pairs, e.g. 'site=hq,role=vpn'")] = "",
        poll_interval_seconds: Annotated[float, Field(ge=1, le=86400)] = 60.0,
        management_ip: Annotated[
            str, Field(max_length=64, description="the device's own IP when polled through another address")
        ] = "",
        confirm_id: ConfirmId = None,
    ) -> WriteAnswer:
        tool_name = "add_snmp_device"
        principal = caller_name()
        arguments: dict[str, Any] = {
            "device_id": device_id,
            "address": address,
            "port": port,
            "version": version,
            "community": community,
            "user": user,
            "auth_protocol": auth_protocol,
            "auth_key": auth_key,
            "priv_protocol": priv_protocol,
            "priv_key": priv_key,
            "context": context,
            "labels": labels,
            "poll_interval_seconds": poll_interval_seconds,
            "management_ip": management_ip,
        }
        parsed_labels = parse_labels(labels)
        if version == "v2c" and not community:
            raise ToolError("add_snmp_device: version v2c needs a community")
        if version == "v3" and not user:
            raise ToolError("add_snmp_device: version v3 needs a user (and auth_key/priv_key for authNoPriv/authPriv)")
        credentials = f"community {_REDACTED}" if version == "v2c" else f"v3 user {user!r}"
        preview = (
            f"add SNMP device {device_id!r} at {address}:{port} ({version}, {credentials}), labels {parsed_labels}, "
            f"polled every {poll_interval_seconds:g} s"
        )
        if management_ip:
            preview += f", alerts keyed by {management_ip}"
        write = Write(tool_name, principal, binding(arguments), preview, audited=redacted(arguments))
        waiting = await write.gate(self.confirmations, ctx, confirm_id, WriteAnswer, same_arguments=True)
        if waiting is not None:
            return waiting
        spec = pb.DeviceSpec(
            id=device_id,
            address=address,
            port=port,
            version=version,
            community=community,
            user=user,
            auth_protocol=auth_protocol,
            auth_key=auth_key,
            priv_protocol=priv_protocol,
            priv_key=priv_key,
            context=context,
            labels=parsed_labels,
            poll_interval_seconds=poll_interval_seconds,
            management_ip=management_ip,
        )
        reply = await write.execute(
            self.reads.call(contracts.snmp.AddDevice, pb.AddDeviceRequest(device=spec, poll_now=True)),
            lambda _: "added",
        )
        info = device_info(reply.device)
        return WriteAnswer(
            status="done",
            preview=preview,
            result={"in_shard": reply.in_shard, "summary": info.summary, "status": info.status},
        )

    async def remove_snmp_device(self, ctx: Context, device: DeviceKey, confirm_id: ConfirmId = None) -> WriteAnswer:
        tool_name = "remove_snmp_device"
        principal = caller_name()
        key = device.strip()
        arguments = {"device": key}
        preview = f"remove SNMP device {key!r}"
        if not confirm_id:
            current = await self.reads.call(
                contracts.snmp.GetDevice, pb.GetDeviceRequest(device=key, max_interfaces=1), key
            )
            labels = ", ".join(f"{k}={v}" for k, v in sorted(current.labels.items()))
            preview = (
                f"remove SNMP device {current.id!r} ({current.address}:{current.port}"
                + (f", {labels}" if labels else "")
                + f", now {status_name(current.status)}) from the inventory; polling stops"
            )
        write = Write(tool_name, principal, arguments, preview)
        waiting = await write.gate(self.confirmations, ctx, confirm_id, WriteAnswer)
        if waiting is not None:
            return waiting
        reply = await write.execute(
            self.reads.call(contracts.snmp.RemoveDevice, pb.RemoveDeviceRequest(device=key), key), lambda _: "removed"
        )
        return WriteAnswer(
            status="done", preview=f"removed SNMP device {reply.device_id!r}", result={"device_id": reply.device_id}
        )
