"""Decode NetFlow v5, v9 and IPFIX export packets into FlowRecords without ever raising.

Templates live per (exporter, observation domain / source id, template id) and are replaced when an
exporter refreshes them. Options data records set the sampling rate of their (exporter, domain);
a rate in a data record itself wins. Sequence numbers are tracked per (exporter, version, domain):
a forward gap counts as loss (records for v5 and IPFIX, packets for v9, as the RFCs define the
counters), a backward jump as a sequence reset. Malformed, truncated and template-less input is
counted in the exporter's ExporterStats and skipped.
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Callable
from typing import Any

from netscope_live.netflow.builder import make_builder
from netscope_live.netflow.convert import CONVERTERS, PacketContext, sampling_from, to_record
from netscope_live.netflow.fields import (
    VARIABLE_LENGTH,
    FieldSpec,
    Kind,
    Template,
    compile_template,
    kept_spec,
    variable_kept,
)
from netscope_live.netflow.records import ExporterStats, FlowRecord

V5_HEADER = struct.Struct("!HHIIIIBBH")
V5_RECORD = struct.Struct("!4s4s4xHHIIIIHHxBBBHHBB2x")
V9_HEADER = struct.Struct("!HHIIII")
IPFIX_HEADER = struct.Struct("!HHIII")
SET_HEADER = struct.Struct("!HH")
U16 = struct.Struct("!H")
U32 = struct.Struct("!I")

MAX_SEQUENCE_GAP = 1_000_000  # a larger forward jump is an exporter restart, not loss
MAX_EXPORTERS = 4096  # beyond this, unknown senders share one "other" stats bucket
OTHER_EXPORTER = "other"

TemplateKey = tuple[str, int, int]


class Malformed(Exception):
    """The packet violates the format (bad lengths, ids or counts)."""


class Truncated(Exception):
    """The packet ends before a length it announced."""


class _Plan:
    """Per-template plan: the generated record builder, or value names and converters (options and
    variable-length templates, decoded through a dict)."""

    __slots__ = ("build", "convert", "names", "template")

    def __init__(self, template: Template, version: int) -> None:
        self.template = template
        self.build = None if template.is_options or template.variable else make_builder(template, version)
        self.names = tuple(name for name, _, _ in template.kept)
        self.convert: tuple[tuple[int, Callable[[Any], Any]], ...] = tuple(
            (i, CONVERTERS[kind]) for i, (_, kind, raw) in enumerate(template.kept) if raw or kind is not Kind.UINT
        )


class NetflowDecoder:
    """Stateful decoder for many exporters; `decode` never raises."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._plans: dict[TemplateKey, _Plan] = {}
        self._expected: dict[tuple[str, int, int], int] = {}
        self._sampling: dict[tuple[str, int], int] = {}
        self.stats: dict[str, ExporterStats] = {}

    # -- public -------------------------------------------------------------------------------------
    def decode(self, data: bytes, exporter: str) -> list[FlowRecord]:
        """Decode one UDP payload from `exporter` (its IP). Bad input is counted, never raised."""
        stats = self._stats_for(exporter)
        stats.packets += 1
        stats.bytes += len(data)
        stats.last_seen = self._clock()
        out: list[FlowRecord] = []
        try:
            if len(data) < 2:
                raise Truncated
            version = U16.unpack_from(data)[0]
            if version == 5:
                self._decode_v5(data, exporter, stats, out)
            elif version == 9:
                self._decode_v9(data, exporter, stats, out)
            elif version == 10:
                self._decode_ipfix(data, exporter, stats, out)
            else:
                raise Malformed
            stats.versions.add(version)
        except Truncated:
            stats.truncated_packets += 1
        except (Malformed, struct.error, ValueError, OSError):
            stats.malformed_packets += 1
        stats.records += len(out)
        return out

    def template_count(self, exporter: str | None = None) -> int:
        """Templates currently known (for one exporter, or all)."""
        if exporter is None:
            return len(self._plans)
        return sum(1 for key in self._plans if key[0] == exporter)

    # -- helpers ------------------------------------------------------------------------------------
    def _stats_for(self, exporter: str) -> ExporterStats:
        stats = self.stats.get(exporter)
        if stats is None:
            if len(self.stats) >= MAX_EXPORTERS:
                exporter = OTHER_EXPORTER
                stats = self.stats.get(exporter)
            if stats is None:
                stats = self.stats[exporter] = ExporterStats(exporter)
        return stats

    def _sequence(self, stats: ExporterStats, key: tuple[str, int, int], seq: int, advance: int | None) -> None:
        expected = self._expected.get(key)
        if expected is not None:
            gap = (seq - expected) & 0xFFFFFFFF
            if 0 < gap <= MAX_SEQUENCE_GAP:
                if key[1] == 9:
                    stats.lost_packets += gap
                else:
                    stats.lost_records += gap
            elif gap:
                stats.sequence_resets += 1
        if advance is None:
            self._expected.pop(key, None)
        else:
            self._expected[key] = (seq + advance) & 0xFFFFFFFF

    # -- NetFlow v5 ---------------------------------------------------------------------------------
    def _decode_v5(self, data: bytes, exporter: str, stats: ExporterStats, out: list[FlowRecord]) -> None:
        if len(data) < V5_HEADER.size:
            raise Truncated
        _, count, uptime, secs, nsecs, seq, engine_type, engine_id, sampling = V5_HEADER.unpack_from(data)
        if not 1 <= count <= 30:
            raise Malformed
        if len(data) < V5_HEADER.size + count * V5_RECORD.size:
            raise Truncated
        interval = sampling & 0x3FFF
        rate = interval if interval > 1 else 1
        stats.sampling_rate = rate
        domain = engine_type << 8 | engine_id
        self._sequence(stats, (exporter, 5, domain), seq, count)
        now = secs + nsecs / 1e9
        base = now - uptime / 1000.0
        ntoa = socket.inet_ntoa
        for i in range(count):
            (
                src,
                dst,
                in_if,
                out_if,
                pkts,
                octets,
                first,
                last,
                sport,
                dport,
                flags,
                proto,
                tos,
                src_as,
                dst_as,
                _,
                _,
            ) = V5_RECORD.unpack_from(data, V5_HEADER.size + i * V5_RECORD.size)
            out.append(
                FlowRecord(
                    exporter=exporter,
                    domain=domain,
                    version=5,
                    src_ip=ntoa(src),
                    dst_ip=ntoa(dst),
                    src_port=sport,
                    dst_port=dport,
                    protocol=proto,
                    bytes=octets * rate,
                    packets=pkts * rate,
                    first_seen=base + first / 1000.0,
                    last_seen=base + last / 1000.0,
                    tcp_flags=flags,
                    tos=tos,
                    input_if=in_if,
                    output_if=out_if,
                    src_as=src_as,
                    dst_as=dst_as,
                    sampling_rate=rate,
                )
            )

    # -- NetFlow v9 ---------------------------------------------------------------------------------
    def _decode_v9(self, data: bytes, exporter: str, stats: ExporterStats, out: list[FlowRecord]) -> None:
        if len(data) < V9_HEADER.size:
            raise Truncated
        _, _, uptime, secs, seq, source_id = V9_HEADER.unpack_from(data)
        ctx = PacketContext(exporter, source_id, 9, float(secs), uptime, self._sampling.get((exporter, source_id), 1))
        self._walk_sets(data, V9_HEADER.size, len(data), ctx, stats, out, template_set=0, options_set=1)
        self._sequence(stats, (exporter, 9, source_id), seq, 1)

    # -- IPFIX --------------------------------------------------------------------------------------
    def _decode_ipfix(self, data: bytes, exporter: str, stats: ExporterStats, out: list[FlowRecord]) -> None:
        if len(data) < IPFIX_HEADER.size:
            raise Truncated
        _, length, export_time, seq, domain = IPFIX_HEADER.unpack_from(data)
        if length < IPFIX_HEADER.size:
            raise Malformed
        if length > len(data):
            raise Truncated
        ctx = PacketContext(exporter, domain, 10, float(export_time), None, self._sampling.get((exporter, domain), 1))
        data_records = self._walk_sets(data, IPFIX_HEADER.size, length, ctx, stats, out, template_set=2, options_set=3)
        self._sequence(stats, (exporter, 10, domain), seq, data_records)

    # -- sets ---------------------------------------------------------------------------------------
    def _walk_sets(
        self,
        data: bytes,
        offset: int,
        end: int,
        ctx: PacketContext,
        stats: ExporterStats,
        out: list[FlowRecord],
        *,
        template_set: int,
        options_set: int,
    ) -> int | None:
        """Decode every set (template sets first); the data record count, None if some were unreadable."""
        sets: list[tuple[int, int, int]] = []
        while offset < end:
            if end - offset < SET_HEADER.size:
                if any(data[offset:end]):
                    raise Truncated
                break
            set_id, length = SET_HEADER.unpack_from(data, offset)
            if length < SET_HEADER.size:
                raise Malformed
            if offset + length > end:
                raise Truncated
            sets.append((set_id, offset + SET_HEADER.size, offset + length))
            offset += length
        for set_id, start, stop in sets:
            if set_id == template_set:
                self._templates(data, start, stop, ctx, stats, ipfix=ctx.version == 10)
            elif set_id == options_set:
                self._options_templates(data, start, stop, ctx, stats)
            elif set_id < 256:
                raise Malformed
        records: int | None = 0
        for set_id, start, stop in sets:
            if set_id < 256:
                continue
            plan = self._plans.get((ctx.exporter, ctx.domain, set_id))
            if plan is None:
                stats.sets_without_template += 1
                records = None
                continue
            decoded = self._data_set(data, start, stop, plan, ctx, stats, out)
            if records is not None:
                records += decoded
        return records

    def _read_field(self, data: bytes, pos: int, stop: int, ipfix: bool) -> tuple[FieldSpec, int]:
        if pos + 4 > stop:
            raise Truncated
        element, length = SET_HEADER.unpack_from(data, pos)
        pos += 4
        pen = 0
        if ipfix and element & 0x8000:
            if pos + 4 > stop:
                raise Truncated
            pen = U32.unpack_from(data, pos)[0]
            element &= 0x7FFF
            pos += 4
        if length == 0 or (length == VARIABLE_LENGTH and not ipfix):
            raise Malformed
        return FieldSpec(pen, element, length), pos

    def _store(self, ctx: PacketContext, stats: ExporterStats, template: Template) -> None:
        key = (ctx.exporter, ctx.domain, template.template_id)
        old = self._plans.get(key)
        if (
            old is not None
            and old.template.fields == template.fields
            and old.template.is_options == template.is_options
        ):
            return
        if old is not None:
            stats.template_refreshes += 1
        elif template.is_options:
            stats.options_templates += 1
        else:
            stats.templates += 1
        self._plans[key] = _Plan(template, ctx.version)

    def _templates(
        self, data: bytes, pos: int, stop: int, ctx: PacketContext, stats: ExporterStats, *, ipfix: bool
    ) -> None:
        while stop - pos >= 4:
            template_id, count = SET_HEADER.unpack_from(data, pos)
            pos += 4
            if count == 0 and ipfix:  # template withdrawal (RFC 7011 8.1)
                self._plans.pop((ctx.exporter, ctx.domain, template_id), None)
                continue
            if template_id < 256 or count == 0:
                raise Malformed
            fields = []
            for _ in range(count):
                spec, pos = self._read_field(data, pos, stop, ipfix)
                fields.append(spec)
            self._store(ctx, stats, compile_template(template_id, tuple(fields)))

    def _options_templates(self, data: bytes, pos: int, stop: int, ctx: PacketContext, stats: ExporterStats) -> None:
        ipfix = ctx.version == 10
        while stop - pos >= 6:
            if ipfix:
                template_id, count, scope_count = struct.unpack_from("!HHH", data, pos)
                pos += 6
                if count == 0:
                    self._plans.pop((ctx.exporter, ctx.domain, template_id), None)
                    continue
                if template_id < 256 or not 0 < scope_count <= count:
                    raise Malformed
            else:
                template_id, scope_bytes, option_bytes = struct.unpack_from("!HHH", data, pos)
                pos += 6
                if template_id < 256 or scope_bytes % 4 or option_bytes % 4 or scope_bytes + option_bytes == 0:
                    raise Malformed
                scope_count, count = scope_bytes // 4, (scope_bytes + option_bytes) // 4
            fields = []
            for _ in range(count):
                spec, pos = self._read_field(data, pos, stop, ipfix)
                fields.append(spec)
            template = compile_template(template_id, tuple(fields), scope_count=scope_count, is_options=True)
            self._store(ctx, stats, template)

    # -- data sets ----------------------------------------------------------------------------------
    def _data_set(
        self,
        data: bytes,
        start: int,
        stop: int,
        plan: _Plan,
        ctx: PacketContext,
        stats: ExporterStats,
        out: list[FlowRecord],
    ) -> int:
        template = plan.template
        if plan.build is not None and template.layout is not None:
            if template.record_length == 0:
                raise Malformed
            count = (stop - start) // template.record_length
            build = plan.build
            before = len(out)
            for values in template.layout.iter_unpack(memoryview(data)[start : start + count * template.record_length]):
                record = build(values, ctx)
                if record is not None:
                    out.append(record)
            stats.skipped_records += count - (len(out) - before)
            return count
        if template.layout is None:
            dicts = self._variable_records(data, start, stop, plan)
        else:
            if template.record_length == 0:
                raise Malformed
            count = (stop - start) // template.record_length
            names, convert = plan.names, plan.convert
            dicts = []
            view = memoryview(data)[start : start + count * template.record_length]
            for values in template.layout.iter_unpack(view):
                d = dict(zip(names, values, strict=True))
                for i, fn in convert:
                    d[names[i]] = fn(values[i])
                dicts.append(d)
        if template.is_options:
            stats.options_records += len(dicts)
            for d in dicts:
                rate = sampling_from(d)
                if rate:
                    self._sampling[(ctx.exporter, ctx.domain)] = rate
                    stats.sampling_rate = rate
                    ctx.sampling_rate = rate
            return len(dicts)
        for d in dicts:
            record = to_record(d, ctx)
            if record is None:
                stats.skipped_records += 1
            else:
                out.append(record)
        return len(dicts)

    def _variable_records(self, data: bytes, pos: int, stop: int, plan: _Plan) -> list[dict[str, Any]]:
        """Walk records of a template with variable-length fields (RFC 7011 7)."""
        template = plan.template
        records: list[dict[str, Any]] = []
        while pos < stop:
            if not any(data[pos:stop]):
                break  # set padding
            d: dict[str, Any] = {}
            for spec in template.fields:
                length = spec.length
                if length == VARIABLE_LENGTH:
                    if pos >= stop:
                        raise Truncated
                    length = data[pos]
                    pos += 1
                    if length == 255:
                        if pos + 2 > stop:
                            raise Truncated
                        length = U16.unpack_from(data, pos)[0]
                        pos += 2
                    wanted = variable_kept(spec)
                else:
                    wanted = kept_spec(spec)
                if pos + length > stop:
                    raise Truncated
                if wanted is not None:
                    name, kind = wanted
                    d[name] = CONVERTERS[kind](data[pos : pos + length])
                pos += length
            records.append(d)
        return records
