"""Reading, raising and acknowledging alerts over ntopng's alert tables."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from google.protobuf import json_format, struct_pb2

from netscope.alerts.v1 import alerts_pb2 as pb
from netscope_alerts import catalog, ntopng_filters, paging
from netscope_alerts.entities import BY_ENTITY_ID, BY_KIND, BY_NAME, SOURCES, EntitySource, type_condition
from netscope_alerts.exclusions import ExclusionStore, exclusion_sql
from netscope_alerts.raising import validate_raise
from netscope_alerts.store import Store
from netscope_common.errors import FailedPrecondition, InvalidArgument, NotFound
from netscope_common.timeutil import to_timestamp
from netscope_ntopng import alert_types as vocab

MAX_PAGE = 1000
DEFAULT_PAGE = 50
_FLOWS_RECHECK_SECONDS = 10.0

_SELECT = (
    "entity_id, rowid, alert_id, alert_status, toUnixTimestamp(tstamp), toUnixTimestamp(tstamp_end),"
    " severity, score, counter, description, json, entity_value, entity_name"
)

# Sort orders: (SQL ORDER BY columns, direction). The row id breaks ties so keyset paging is exact.
_SORTS: dict[int, tuple[tuple[str, ...], str]] = {
    pb.SORT_ORDER_NEWEST: (("toUnixTimestamp(tstamp)", "entity_id", "rowid"), "DESC"),
    pb.SORT_ORDER_OLDEST: (("toUnixTimestamp(tstamp)", "entity_id", "rowid"), "ASC"),
    pb.SORT_ORDER_SEVERITY: (("severity", "toUnixTimestamp(tstamp)", "entity_id", "rowid"), "DESC"),
    pb.SORT_ORDER_SCORE: (("score", "toUnixTimestamp(tstamp)", "entity_id", "rowid"), "DESC"),
}


@dataclass
class AlertFilter:
    """What to select: a window [start, end) and optional filters (empty/0 = any)."""

    start: datetime
    end: datetime
    kind: int = pb.ENTITY_KIND_UNSPECIFIED
    entity_value: str = ""
    alert_type: str = ""
    min_severity: str = ""
    acknowledged: int = pb.ACK_FILTER_UNSPECIFIED
    extra_params: dict[str, Any] = field(default_factory=dict)
    ntopng_filters: dict[str, str] = field(default_factory=dict)
    interface_id: int | None = None

    def validate(self) -> None:
        """Raise InvalidArgument for unknown kinds, names or values."""
        if self.kind != pb.ENTITY_KIND_UNSPECIFIED and self.kind not in BY_KIND:
            raise InvalidArgument(f"unknown entity kind {self.kind}", field="entity")
        if self.alert_type:
            self.alert_type = catalog.parse_alert_type(self.alert_type).name
        if self.min_severity:
            catalog.parse_severity(self.min_severity, "min_severity")
        if self.acknowledged not in (0, 1, 2):
            raise InvalidArgument(f"unknown acknowledged filter {self.acknowledged}", field="acknowledged")
        if self.interface_id is not None and self.interface_id > 65535:
            raise InvalidArgument("interface_id must be 0..65535", field="interface_id")
        if len(self.entity_value) > 256:
            raise InvalidArgument("entity_value longer than 256 characters", field="entity_value")
        self.entity_value = self.entity_value.strip()


@dataclass
class Stats:
    """AlertStats result."""

    total: int
    by_type: list[tuple[str, int]]
    by_severity: list[tuple[str, int]]
    by_entity: list[tuple[int, str, int]]
    flow_alerts_unavailable: bool


class AlertRepository:
    """Queries and writes over the alert tables (flow alerts from the `flows` table when it is present)."""

    def __init__(self, store: Store, exclusions: ExclusionStore) -> None:
        self._store = store
        self._exclusions = exclusions
        self._write_lock = asyncio.Lock()
        self._flows_present = False
        self._flows_checked = 0.0

    async def flows_present(self) -> bool:
        """Whether a flows table is in the store (re-checked every few seconds)."""
        now = time.monotonic()
        if now - self._flows_checked > _FLOWS_RECHECK_SECONDS:
            self._flows_present = await self._store.has_table("flows")
            self._flows_checked = now
        return self._flows_present

    async def _sources(self, kind: int) -> tuple[list[EntitySource], bool]:
        """Branches to read and whether flow alerts were wanted but are unavailable."""
        wanted = [BY_KIND[kind]] if kind != pb.ENTITY_KIND_UNSPECIFIED else list(SOURCES)
        if any(s.kind == pb.ENTITY_KIND_FLOW for s in wanted) and not await self.flows_present():
            return [s for s in wanted if s.kind != pb.ENTITY_KIND_FLOW], True
        return wanted, False

    async def _where(self, flt: AlertFilter, params: dict[str, Any]) -> str:
        """The filter predicate over union rows (exclusions included)."""
        params.update({"start": int(flt.start.timestamp()), "end": int(flt.end.timestamp())})
        conds = ["tstamp >= toDateTime({start:UInt32})", "tstamp < toDateTime({end:UInt32})"]
        if flt.entity_value:
            params["ev"] = flt.entity_value
            conds.append("(entity_value = {ev:String} OR has(ips, {ev:String}))")
        if flt.alert_type:
            conds.append(type_condition(flt.alert_type))
        if flt.min_severity:
            conds.append(f"severity >= {catalog.parse_severity(flt.min_severity)}")
        if flt.acknowledged == pb.ACK_FILTER_ACKNOWLEDGED:
            conds.append(f"alert_status = {vocab.STATUS_ACKNOWLEDGED}")
        elif flt.acknowledged == pb.ACK_FILTER_UNACKNOWLEDGED:
            conds.append(f"alert_status != {vocab.STATUS_ACKNOWLEDGED}")
        conds.append(exclusion_sql(await self._exclusions.all(), params))
        return " AND ".join(conds)

    async def union(self, flt: AlertFilter, params: dict[str, Any]) -> tuple[str, bool]:
        """A FROM-able UNION ALL of the filtered branches, and whether flow alerts are unavailable.

        ntopng's filters and the interface id apply to each table's own columns; a source without a column
        for a given filter has no matching rows and is left out."""
        sources, flows_missing = await self._sources(flt.kind)
        ntopng_filters.check_names(flt.ntopng_filters, [s.name for s in sources] or [BY_KIND[flt.kind].name])
        where = await self._where(flt, params)
        branches = []
        for s in sources:
            inner = ntopng_filters.source_condition(s.name, flt.ntopng_filters, params)
            if inner is None:
                continue
            if flt.interface_id is not None and s.kind != pb.ENTITY_KIND_SYSTEM:
                column = "INTERFACE_ID" if s.kind == pb.ENTITY_KIND_FLOW else "interface_id"
                inner = " AND ".join(c for c in (inner, f"{column} = {int(flt.interface_id)}") if c)
            branches.append(f"SELECT * FROM ({s.branch(inner)}) WHERE {where}")
        if not branches:
            branches = [f"SELECT * FROM ({SOURCES[0].branch()}) WHERE 0"]
        return "(" + " UNION ALL ".join(branches) + ")", flows_missing

    async def check_interface(self, interface_id: int) -> None:
        """Raise NotFound naming the interface ids present when `interface_id` has no row in any table."""
        tables = [s.table for s in SOURCES if s.kind not in (pb.ENTITY_KIND_FLOW, pb.ENTITY_KIND_SYSTEM)]
        parts = [f"SELECT DISTINCT toUInt32(interface_id) AS i FROM {t}" for t in tables]
        if await self.flows_present():
            parts.append("SELECT DISTINCT toUInt32(INTERFACE_ID) AS i FROM flows")
        rows = await self._store.rows(f"SELECT DISTINCT i FROM ({' UNION ALL '.join(parts)}) ORDER BY i")
        present = [int(r[0]) for r in rows]
        if interface_id not in present:
            known = ", ".join(str(i) for i in present) or "none (the alert store is empty)"
            raise NotFound(
                f"no interface with ifid {interface_id} in the alert store; ifids present: {known} "
                "(fetch_ntopng_all_ifids lists the live ones)",
                field="interface_id",
            )

    async def list_alerts(
        self, flt: AlertFilter, *, sort: int, page_size: int, page_token: str, offset: int = 0
    ) -> tuple[list[pb.Alert], str, int, bool]:
        """One page of alerts, the next page token ('' at the end), the total and the flows flag."""
        flt.validate()
        if sort not in _SORTS and sort != pb.SORT_ORDER_UNSPECIFIED:
            raise InvalidArgument(f"unknown sort order {sort}", field="sort")
        if page_size > MAX_PAGE:
            raise InvalidArgument(f"page_size {page_size} is above the maximum {MAX_PAGE}", field="page.page_size")
        size = page_size or DEFAULT_PAGE
        columns, direction = _SORTS[sort or pb.SORT_ORDER_NEWEST]
        fp = paging.fingerprint(
            flt.start.isoformat(), flt.end.isoformat(), flt.kind, flt.entity_value, flt.alert_type,
            flt.min_severity, flt.acknowledged, sort or pb.SORT_ORDER_NEWEST,
            sorted(flt.ntopng_filters.items()), flt.interface_id,
        )  # fmt: skip
        params: dict[str, Any] = {}
        source, flows_missing = await self.union(flt, params)
        cursor = ""
        if offset and page_token:
            raise InvalidArgument("give either an offset or a page_token, not both", field="offset")
        if page_token:
            key = paging.decode(page_token, fp)
            if len(key) != len(columns):
                raise InvalidArgument("page_token does not match this sort order", field="page.page_token")
            params.update({f"k{i}": v for i, v in enumerate(key)})
            types = ["UInt64"] * (len(columns) - 1) + ["String"]
            op = "<" if direction == "DESC" else ">"
            lhs = ", ".join(columns)
            rhs = ", ".join(f"{{k{i}:{t}}}" for i, t in enumerate(types))
            cursor = f" WHERE ({lhs}) {op} ({rhs})"
        order = ", ".join(f"{c} {direction}" for c in columns)
        skip = f" OFFSET {int(offset)}" if offset else ""
        page_sql = (
            f"SELECT {_SELECT}, {', '.join(columns)} FROM {source}{cursor} ORDER BY {order} LIMIT {size + 1}{skip}"
        )
        count_sql = f"SELECT count() FROM {source}"
        rows, count = await asyncio.gather(self._store.rows(page_sql, params), self._store.rows(count_sql, params))
        if flt.interface_id is not None and not int(count[0][0]):
            await self.check_interface(flt.interface_id)
        more = len(rows) > size
        rows = rows[:size]
        alerts = [to_alert(r[:13]) for r in rows]
        next_token = paging.encode(fp, list(rows[-1][13:])) if more and rows else ""
        return alerts, next_token, int(count[0][0]), flows_missing

    async def stats(self, flt: AlertFilter, top_n: int) -> Stats:
        """Totals by type, severity and entity (top_n each)."""
        flt.validate()
        if top_n > 1000:
            raise InvalidArgument(f"top_n {top_n} is above the maximum 1000", field="top_n")
        top = top_n or 10
        params: dict[str, Any] = {}
        source, flows_missing = await self.union(flt, params)
        by_type_rows, by_sev_rows, by_ent_rows = await asyncio.gather(
            self._store.rows(f"SELECT entity_id, alert_id, count() FROM {source} GROUP BY entity_id, alert_id", params),
            self._store.rows(f"SELECT severity, count() FROM {source} GROUP BY severity", params),
            self._store.rows(
                f"SELECT entity_id, entity_value, count() AS c FROM {source} GROUP BY entity_id, entity_value"
                f" ORDER BY c DESC, entity_id, entity_value LIMIT {top}",
                params,
            ),
        )
        types: dict[str, int] = {}
        for eid, aid, n in by_type_rows:
            name = vocab.type_name(eid, aid)
            types[name] = types.get(name, 0) + int(n)
        by_type = sorted(types.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
        by_sev = sorted(
            ((vocab.severity_name(s), int(n)) for s, n in by_sev_rows),
            key=lambda kv: -vocab.SEVERITY_IDS.get(kv[0], 0),
        )
        by_entity = [(BY_ENTITY_ID[eid].kind, str(value), int(n)) for eid, value, n in by_ent_rows]
        total = sum(int(n) for _, n in by_sev_rows)
        if flt.interface_id is not None and not total:
            await self.check_interface(flt.interface_id)
        return Stats(total, by_type, by_sev, by_entity, flows_missing)

    async def get(self, alert_id: str) -> pb.Alert:
        """One alert by its opaque id."""
        source, rowid = parse_alert_id(alert_id)
        if source.kind == pb.ENTITY_KIND_FLOW and not await self.flows_present():
            raise NotFound(f"alert {alert_id!r} not found: no flows table in the alert store")
        rows = await self._store.rows(
            f"SELECT {_SELECT} FROM ({source.branch()}) WHERE rowid = {{rid:String}} LIMIT 1", {"rid": rowid}
        )
        if not rows:
            raise NotFound(f"alert {alert_id!r} not found", field="id")
        return to_alert(rows[0])

    async def raise_alert(self, req: pb.RaiseAlertRequest) -> tuple[pb.Alert, bool]:
        """Insert an engaged alert, or bump the engaged alert of the same type and entity."""
        source, value, atype, severity, details = validate_raise(req)
        when = req.time.ToDatetime(tzinfo=UTC) if req.HasField("time") else datetime.now(UTC)
        params: dict[str, Any] = {"v": value, "port": req.snmp_port}
        port_cond = " AND port = {port:UInt32}" if source.kind == pb.ENTITY_KIND_SNMP_DEVICE else ""
        async with self._write_lock:
            rows = await self._store.rows(
                f"SELECT toString(rowid) FROM {source.table} WHERE alert_status = {vocab.STATUS_ENGAGED}"
                f" AND alert_id = {atype.key} AND {source.value_column} = {{v:String}}{port_cond}"
                " ORDER BY tstamp DESC LIMIT 1",
                params,
            )
            if rows:
                rowid = rows[0][0]
                params.update({"rid": rowid, "end": int(when.timestamp()), "sev": severity, "score": req.score})
                params.update({"desc": req.description, "json": details})
                await self._store.command(
                    f"ALTER TABLE {source.table} UPDATE counter = counter + 1,"
                    " tstamp_end = greatest(tstamp_end, toDateTime({end:UInt32})),"
                    " severity = greatest(severity, {sev:UInt8}), score = greatest(score, {score:UInt16}),"
                    " description = {desc:String}, json = {json:String}"
                    " WHERE rowid = toUUID({rid:String}) SETTINGS mutations_sync = 2",
                    params,
                )
                return await self.get(f"{source.name}:{rowid}"), True
            rowid = str(uuid.uuid4())
            columns = [
                "rowid",
                "alert_id",
                "alert_status",
                "interface_id",
                "tstamp",
                "tstamp_end",
                "severity",
            ]
            columns += ["score", "counter", "description", "json", source.value_column]
            row: list[Any] = [uuid.UUID(rowid), atype.key, vocab.STATUS_ENGAGED, 0, when, when, severity]
            row += [req.score, 1, req.description, details, value]
            if source.kind == pb.ENTITY_KIND_SNMP_DEVICE:
                columns += ["port", "name", "port_name"]
                row += [req.snmp_port, req.snmp_device_name[:255], req.snmp_port_name[:255]]
            if source.kind == pb.ENTITY_KIND_HOST:
                columns.append("ip_version")
                row.append(ipaddress.ip_address(value).version)
            await self._store.insert(source.table, [row], columns)
        return await self.get(f"{source.name}:{rowid}"), False

    async def acknowledge(self, alert_id: str, comment: str) -> tuple[pb.Alert, bool]:
        """Mark an alert acknowledged; returns it and whether it changed."""
        source, rowid = parse_alert_id(alert_id)
        if source.kind == pb.ENTITY_KIND_FLOW:
            raise FailedPrecondition(
                "flow alerts live in the flows table, which the flows service owns; acknowledge them there",
                field="id",
            )
        if len(comment) > 1024:
            raise InvalidArgument("comment longer than 1024 characters", field="comment")
        async with self._write_lock:
            alert = await self.get(alert_id)
            if alert.acknowledged:
                return alert, False
            await self._store.command(
                f"ALTER TABLE {source.table} UPDATE alert_status = {vocab.STATUS_ACKNOWLEDGED},"
                " user_label = {label:String}, user_label_tstamp = now()"
                " WHERE rowid = toUUID({rid:String}) SETTINGS mutations_sync = 2",
                {"label": comment, "rid": rowid},
            )
        return await self.get(alert_id), True


def parse_alert_id(alert_id: str) -> tuple[EntitySource, str]:
    """Split '<entity>:<rowid>' into its source and row id."""
    name, _, rowid = alert_id.strip().partition(":")
    source = BY_NAME.get(name)
    if source is None or not rowid:
        kinds = ", ".join(BY_NAME)
        raise InvalidArgument(
            f"alert id {alert_id!r} is not of the form <entity>:<rowid> (entity one of {kinds}); "
            "take ids from ListAlerts",
            field="id",
        )
    if source.kind != pb.ENTITY_KIND_FLOW:
        try:
            uuid.UUID(rowid)
        except ValueError:
            raise InvalidArgument(
                f"alert id {alert_id!r} has a malformed row id (expected a UUID)", field="id"
            ) from None
    elif not rowid.isdigit():
        raise InvalidArgument(f"flow alert id {alert_id!r} needs a numeric flow id", field="id")
    return source, rowid


def to_alert(row: tuple[Any, ...]) -> pb.Alert:
    """Render a union row (the _SELECT columns) as a readable Alert."""
    eid, rowid, aid, status, ts, ts_end, sev, score, counter, desc, raw_json, value, name = row
    source = BY_ENTITY_ID[eid]
    alert = pb.Alert(
        id=f"{source.name}:{rowid}",
        entity=source.kind,
        entity_value=value,
        entity_name=name,
        alert_id=aid,
        alert_name=vocab.type_name(eid, aid),
        severity=vocab.severity_name(sev),
        score=score,
        time=to_timestamp(datetime.fromtimestamp(ts, UTC)),
        end_time=to_timestamp(datetime.fromtimestamp(max(ts, ts_end), UTC)),
        description=desc,
        acknowledged=status == vocab.STATUS_ACKNOWLEDGED,
        status=vocab.STATUS_NAMES.get(status, f"status_{status}"),
        count=counter,
    )
    details = _decode(raw_json)
    alert.details_json = json.dumps(details, sort_keys=True) if details is not None else (raw_json or "{}")
    if isinstance(details, dict):
        struct = struct_pb2.Struct()
        json_format.ParseDict(details, struct)
        alert.details.CopyFrom(struct)
    return alert


def _decode(raw: str) -> Any:
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        return None
