"""Checks of a RaiseAlertRequest: entity, value, type, severity and details."""

from __future__ import annotations

import ipaddress
import json
import re

from netscope.alerts.v1 import alerts_pb2 as pb
from netscope_alerts import catalog
from netscope_alerts.entities import BY_KIND, SOURCES, EntitySource
from netscope_common.errors import InvalidArgument
from netscope_ntopng import alert_types as vocab

MAX_DETAILS_BYTES = 64 * 1024
_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


def validate_raise(req: pb.RaiseAlertRequest) -> tuple[EntitySource, str, vocab.AlertType, int, str]:
    """Check a RaiseAlertRequest; returns source, entity value, type, severity id and details JSON."""
    if req.entity == pb.ENTITY_KIND_FLOW:
        raise InvalidArgument("flow alerts cannot be raised here: they are rows of the flows table", field="entity")
    source = BY_KIND.get(req.entity)
    if source is None:
        kinds = ", ".join(pb.EntityKind.Name(s.kind) for s in SOURCES if s.kind != pb.ENTITY_KIND_FLOW)
        raise InvalidArgument(f"entity must be one of {kinds}", field="entity")
    value = req.entity_value.strip()
    if not value or len(value) > 256:
        raise InvalidArgument("entity_value is required (1..256 characters)", field="entity_value")
    if source.kind in (pb.ENTITY_KIND_HOST, pb.ENTITY_KIND_SNMP_DEVICE):
        try:
            value = str(ipaddress.ip_address(value))
        except ValueError:
            raise InvalidArgument(f"entity_value {value!r} is not an IP address", field="entity_value") from None
    if source.kind == pb.ENTITY_KIND_MAC:
        value = value.lower().replace("-", ":")
        if not _MAC.match(value):
            raise InvalidArgument(
                f"{req.entity_value!r} is not a MAC address (aa:bb:cc:dd:ee:ff)", field="entity_value"
            )
    if not req.alert_type:
        raise InvalidArgument("alert_type is required (see ListAlertTypes)", field="alert_type")
    atype = catalog.parse_alert_type(req.alert_type)
    allowed = {"host", "other"} if source.kind == pb.ENTITY_KIND_HOST else {"other"}
    if atype.family not in allowed:
        raise InvalidArgument(
            f"alert type {atype.name} is a {atype.family} alert type; {source.name} alerts take "
            + ("host_alert_* types or " if source.kind == pb.ENTITY_KIND_HOST else "")
            + f"types with ids from {vocab.OTHER_KEY_BASE} on",
            field="alert_type",
        )
    severity = catalog.parse_severity(req.severity) if req.severity else vocab.SEVERITY_IDS["warning"]
    if req.score > 65535:
        raise InvalidArgument("score must be 0..65535", field="score")
    if len(req.description) > 4096:
        raise InvalidArgument("description longer than 4096 characters", field="description")
    details = req.details_json.strip() or "{}"
    if len(details) > MAX_DETAILS_BYTES:
        raise InvalidArgument(f"details_json larger than {MAX_DETAILS_BYTES} bytes", field="details_json")
    try:
        parsed = json.loads(details)
    except ValueError as exc:
        raise InvalidArgument(f"details_json is not valid JSON: {exc}", field="details_json") from None
    if not isinstance(parsed, dict):
        raise InvalidArgument("details_json must be a JSON object", field="details_json")
    return source, value, atype, severity, json.dumps(parsed, sort_keys=True)
