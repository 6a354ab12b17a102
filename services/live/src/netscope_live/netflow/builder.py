"""Per-template record builders: generated functions that turn an unpacked tuple into a FlowRecord.

Generating one small function per template (as `collections.namedtuple` does) removes the
per-record dict and lookups of a generic converter; it is the decoder's hot path. The source of a
builder depends only on the template's field list, never on packet data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from netscope_live.netflow.convert import CONVERTERS, PacketContext
from netscope_live.netflow.fields import Kind, Template
from netscope_live.netflow.records import FlowRecord

Builder = Callable[[tuple[Any, ...], PacketContext], FlowRecord | None]

_DIRECT = (
    "src_port",
    "dst_port",
    "protocol",
    "tcp_flags",
    "tos",
    "input_if",
    "output_if",
    "vlan",
    "src_as",
    "dst_as",
    "l7_proto",
    "l7_name",
)
_SCALED = (("bytes", "bytes_total"), ("packets", "packets_total"), ("rev_bytes",), ("rev_packets",))


def _times(index: dict[str, str], version: int) -> tuple[str, str]:
    for start, end, scale in (("start_ms", "end_ms", " / 1000.0"), ("start_s", "end_s", " * 1.0")):
        if start in index or end in index:
            first = index.get(start, index.get(end))
            last = index.get(end, first)
            return f"{first}{scale}", f"{last}{scale}"
    if "first_switched" in index or "last_switched" in index:
        first = index.get("first_switched", index.get("last_switched"))
        last = index.get("last_switched", first)
        if version == 9:
            base = "(ctx.export_time - ctx.sys_uptime_ms / 1000.0)"
            return f"{base} + {first} / 1000.0", f"{base} + {last} / 1000.0"
        if "system_init_ms" in index:
            init = index["system_init_ms"]
            return f"({init} + {first}) / 1000.0", f"({init} + {last}) / 1000.0"
    return "ctx.export_time", "ctx.export_time"


def make_builder(template: Template, version: int) -> Builder:
    """Compile the builder of a (non-options) template for NetFlow `version` 9 or 10."""
    env: dict[str, Any] = {"FlowRecord": FlowRecord}
    index: dict[str, str] = {}
    for i, (name, kind, raw) in enumerate(template.kept):
        if name in index:
            continue
        if raw or kind is not Kind.UINT:
            env[f"c{i}"] = CONVERTERS[kind]
            index[name] = f"c{i}(v[{i}])"
        else:
            index[name] = f"v[{i}]"
    if "src_ip" not in index or "dst_ip" not in index:
        return lambda values, ctx: None
    lines = ["def build(v, ctx):"]
    if "sampling_interval" in index:
        lines.append(f"    rate = {index['sampling_interval']} or ctx.sampling_rate")
    elif "sampling_packet_interval" in index:
        space = index.get("sampling_packet_space", "0")
        pkt = index["sampling_packet_interval"]
        lines.append(f"    rate = max(1, round(({pkt} + {space}) / {pkt})) if {pkt} else ctx.sampling_rate")
    else:
        lines.append("    rate = ctx.sampling_rate")
    first, last = _times(index, version)
    args = [
        f"src_ip={index['src_ip']}",
        f"dst_ip={index['dst_ip']}",
        f"first_seen={first}",
        f"last_seen={last}",
    ]
    args += [f"{name}={index[name]}" for name in _DIRECT if name in index]
    for options in _SCALED:
        found = next((index[o] for o in options if o in index), None)
        if found is not None:
            args.append(f"{options[0]}={found} * rate")
    for attr, options in (("src_mac", ("src_mac", "src_mac_post")), ("dst_mac", ("dst_mac", "dst_mac_post"))):
        found_macs = [index[o] for o in options if o in index]
        if found_macs:
            args.append(f"{attr}={' or '.join(found_macs)}")
    args.append("sampling_rate=rate")
    lines.append(
        "    return FlowRecord(exporter=ctx.exporter, domain=ctx.domain, version=ctx.version, " + ", ".join(args) + ")"
    )
    exec("\n".join(lines), env)  # noqa: S102 - source built from the fixed names above, not from packet data
    builder: Builder = env["build"]
    return builder
