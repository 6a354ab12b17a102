"""Rendering of database values as JSON-typed protobuf Values (for tabular answers)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from google.protobuf import struct_pb2

from netscope.common.v1 import common_pb2

_MAX_SAFE_INT = 2**53


def to_value(value: Any) -> struct_pb2.Value:
    """A Python value from a database row as a protobuf Value (big integers as strings)."""
    out = struct_pb2.Value()
    if value is None:
        out.null_value = struct_pb2.NULL_VALUE
    elif isinstance(value, bool):
        out.bool_value = value
    elif isinstance(value, int):
        if abs(value) > _MAX_SAFE_INT:
            out.string_value = str(value)
        else:
            out.number_value = value
    elif isinstance(value, (float, Decimal)):
        out.number_value = float(value)
    elif isinstance(value, (dt.datetime, dt.date)):
        out.string_value = value.isoformat()
    elif isinstance(value, bytes):
        out.string_value = value.decode("utf-8", errors="replace")
    elif isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address, uuid.UUID)):
        out.string_value = str(value)
    elif isinstance(value, (list, tuple)):
        out.list_value.values.extend(to_value(v) for v in value)
    elif isinstance(value, dict):
        for key, item in value.items():
            out.struct_value.fields[str(key)].CopyFrom(to_value(item))
    else:
        out.string_value = str(value)
    return out


def to_row(values: Sequence[Any]) -> common_pb2.Row:
    """One database row as a Row message."""
    return common_pb2.Row(values=[to_value(v) for v in values])
