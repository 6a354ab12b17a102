"""Protobuf answers as compact JSON-ready dicts: enum names, ISO times, numbers as numbers, no empty fields."""

from datetime import UTC
from typing import Any

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.struct_pb2 import Struct, Value
from google.protobuf.timestamp_pb2 import Timestamp


def _enum_name(field: FieldDescriptor, number: int) -> str:
    enum = field.enum_type
    assert enum is not None
    value = enum.values_by_number.get(number)
    if value is None:
        return str(number)
    prefix = "".join("_" + c if c.isupper() else c for c in enum.name).lstrip("_").upper() + "_"
    return value.name.removeprefix(prefix).lower()


def _scalar(field: FieldDescriptor, value: Any) -> Any:
    if field.type == FieldDescriptor.TYPE_ENUM:
        return _enum_name(field, value)
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        return to_plain(value)
    if field.type == FieldDescriptor.TYPE_BYTES:
        return f"<{len(value)} bytes>"
    return value


def to_plain(message: Message) -> Any:
    """A message as plain data, leaving out unset and empty fields."""
    if isinstance(message, Timestamp):
        return message.ToDatetime(tzinfo=UTC).isoformat()
    if isinstance(message, Struct):
        return struct_to_python(message)
    out: dict[str, Any] = {}
    for field, value in message.ListFields():
        if field.is_repeated:
            if field.message_type is not None and field.message_type.GetOptions().map_entry:
                out[field.name] = dict(value)
            else:
                out[field.name] = [_scalar(field, v) for v in value]
        else:
            out[field.name] = _scalar(field, value)
    return out


def iso_time(ts: Timestamp) -> str:
    """A timestamp as ISO 8601 UTC, '' when unset."""
    return ts.ToDatetime(tzinfo=UTC).isoformat() if ts.seconds or ts.nanos else ""


def human_bytes(count: float) -> str:
    """1234567 → '1.2 MB'."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(count) < 1000:
            return f"{count:.1f} {unit}" if unit != "B" else f"{int(count)} B"
        count /= 1000
    return f"{count:.1f} PB"


def human_bps(bps: float) -> str:
    """1_500_000 → '1.5 Mbit/s'."""
    for unit in ("bit/s", "kbit/s", "Mbit/s", "Gbit/s"):
        if abs(bps) < 1000:
            return f"{bps:.1f} {unit}"
        bps /= 1000
    return f"{bps:.1f} Tbit/s"


def value_to_python(value: Value) -> Any:
    """A protobuf Value as Python data (whole numbers as int)."""
    kind = value.WhichOneof("kind")
    if kind == "null_value" or kind is None:
        return None
    if kind == "struct_value":
        return struct_to_python(value.struct_value)
    if kind == "list_value":
        return [value_to_python(v) for v in value.list_value.values]
    if kind == "number_value":
        number = value.number_value
        return int(number) if number.is_integer() else number
    return getattr(value, kind)


def struct_to_python(struct: Struct) -> dict[str, Any]:
    """A protobuf Struct as a dict, whole numbers as int (a port is 443, not 443.0)."""
    return {key: value_to_python(value) for key, value in struct.fields.items()}
