"""The live write tools: enable and disable active monitors, each confirmed before it is applied."""

from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from pydantic import Field

from netscope.live.v1 import live_pb2 as pb
from netscope_aggregator import contracts
from netscope_aggregator.backends import Backends
from netscope_aggregator.caller import caller_name
from netscope_aggregator.confirmations import Confirmations
from netscope_aggregator.tools.live.answers import MonitorWriteAnswer
from netscope_aggregator.tools.live.arguments import AddMonitorArgs, Measurement
from netscope_aggregator.tools.live.render import monitor_item, monitor_outcome
from netscope_aggregator.tools.shared.content import Content, content_arguments
from netscope_aggregator.writes import Write

ADD = "add_active_monitoring_script"
REMOVE = "remove_active_monitoring_script"


class MonitorWrites:
    """add/remove_active_monitoring_script."""

    def __init__(self, backends: Backends, confirmations: Confirmations) -> None:
        self.backends = backends
        self.confirmations = confirmations

    async def add_active_monitoring_script(
        self,
        ctx: Context,
        kind: Annotated[
            Literal["tcp_connect", "http", "https", "icmp", "cicmp", ""], Field(description="monitor kind")
        ] = "",
        host: Annotated[
            str, Field(max_length=2048, description="host to probe (tcp_connect, icmp, cicmp; or to build the URL)")
        ] = "",
        port: Annotated[int, Field(ge=0, le=65535, description="TCP port (required for tcp_connect)")] = 0,
        url: Annotated[str, Field(max_length=2048, description="URL to GET (http/https)")] = "",
        interval_seconds: Annotated[int, Field(ge=1, le=3600, description="seconds between measurements")] = 60,
        threshold_ms: Annotated[int, Field(ge=0, le=600_000, description="latency limit in ms (0 = none)")] = 0,
        confirm_id: Annotated[str, Field(max_length=64, description="id from the preview, to execute the write")] = "",
        measurement: Annotated[Measurement, Field(description="ntopng's name for kind (http takes a URL host)")] = "",
        threshold: Annotated[float, Field(ge=0, le=600_000, description="ntopng's name for threshold_ms")] = 0,
        granularity: Annotated[
            Literal["min", "5mins", "hour", ""], Field(description="ntopng's period: 60, 300 or 3600 s")
        ] = "",
        ifid: Annotated[int, Field(ge=0, le=65535, description="accepted; monitors are not per interface")] = 0,
        content: Content = "",
    ) -> MonitorWriteAnswer:
        ntopng = {"measurement": measurement, "threshold": threshold or None, "granularity": granularity or None}
        given = {k: v for k, v in ntopng.items() if v} | {
            "kind": kind,
            "host": host,
            "port": port,
            "url": url,
            "interval_seconds": interval_seconds,
            "threshold_ms": threshold_ms,
            "confirm_id": confirm_id,
        }
        args = content_arguments(ADD, content, AddMonitorArgs, given)
        assert isinstance(args, AddMonitorArgs)
        principal = caller_name()
        arguments = args.model_dump(exclude={"confirm_id"})
        check = None
        if not args.confirm_id:
            # The service validates and normalises the monitor without changing anything.
            check = await self.backends.call(
                contracts.live.AddMonitor, pb.AddMonitorRequest(**arguments, validate_only=True)
            )
        preview = f"{ADD} {arguments.get('host') or arguments.get('url')}"
        if check is not None:
            m = check.monitor
            effect = "create" if check.created else ("update" if check.updated else "keep (unchanged)")
            preview = f"{effect} monitor {m.id} ({m.kind} every {m.interval_seconds} s" + (
                f", threshold {m.threshold_ms} ms)" if m.threshold_ms else ")"
            )
        write = Write(ADD, principal, arguments, preview)
        as_checked = (
            {"monitor": monitor_item(check.monitor), "created": check.created, "updated": check.updated}
            if check
            else {}
        )
        waiting = await write.gate(
            self.confirmations, ctx, args.confirm_id, MonitorWriteAnswer, same_arguments=True, **as_checked
        )
        if waiting is not None:
            return waiting
        reply = await write.execute(
            self.backends.call(contracts.live.AddMonitor, pb.AddMonitorRequest(**arguments)),
            monitor_outcome,
        )
        outcome = monitor_outcome(reply)
        return MonitorWriteAnswer(
            status="done",
            preview=f"monitor {reply.monitor.id}: {outcome}",
            monitor=monitor_item(reply.monitor),
            created=reply.created,
            updated=reply.updated,
        )

    async def remove_active_monitoring_script(
        self,
        ctx: Context,
        monitor_id: Annotated[
            str, Field(min_length=1, max_length=2100, description="monitor id from the enabled list")
        ],
        confirm_id: Annotated[str, Field(max_length=64, description="id from the preview, to execute the write")] = "",
    ) -> MonitorWriteAnswer:
        arguments = {"monitor_id": monitor_id}
        write = Write(REMOVE, caller_name(), arguments, f"disable the active monitor {monitor_id}")
        waiting = await write.gate(self.confirmations, ctx, confirm_id, MonitorWriteAnswer)
        if waiting is not None:
            return waiting
        request = pb.RemoveMonitorRequest(id=monitor_id)
        reply = await write.execute(
            self.backends.call(contracts.live.RemoveMonitor, request),
            lambda _: "removed",
        )
        return MonitorWriteAnswer(
            status="done", preview=f"{write.preview}: removed", monitor=monitor_item(reply.monitor)
        )
