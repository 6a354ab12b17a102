"""A deadline is one event whichever side notices it first: the tool error names the service either way."""

from __future__ import annotations

import grpc
from grpc.aio import AioRpcError, Metadata

from netscope_aggregator.backends import describe_failure


def _error(code: grpc.StatusCode, details: str) -> AioRpcError:
    return AioRpcError(code, Metadata(), Metadata(), details=details)


def test_the_callers_deadline_seen_by_either_side_names_the_service() -> None:
    client_side = describe_failure("flows", _error(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded"), 3)
    service_side = describe_failure(
        "flows", _error(grpc.StatusCode.DEADLINE_EXCEEDED, "TopK did not finish within its time limit"), 3
    )
    assert str(client_side) == str(service_side)
    assert str(service_side).startswith("the flows service did not answer within 3 s; narrow the request")


def test_a_cause_the_service_names_is_passed_on() -> None:
    cause = "ntopng at https://ntopng.example did not answer within 2.5 s (the live service's share of the deadline)"
    failure = describe_failure("live", _error(grpc.StatusCode.DEADLINE_EXCEEDED, cause), 4)
    assert str(failure) == cause
