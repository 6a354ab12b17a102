"""Protobuf answers rendered for an assistant: JSON details keep whole numbers whole."""

from __future__ import annotations

from google.protobuf.struct_pb2 import Struct

from netscope_aggregator.render import to_plain


def test_struct_details_keep_whole_numbers_as_int() -> None:
    details = Struct()
    details.update({"srv_port": 443, "ratio": 0.25, "peer": {"if_index": 1, "names": ["a", 2]}, "none": None})
    assert to_plain(details) == {
        "srv_port": 443,
        "ratio": 0.25,
        "peer": {"if_index": 1, "names": ["a", 2]},
        "none": None,
    }
    assert isinstance(to_plain(details)["srv_port"], int)
