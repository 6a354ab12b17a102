"""The per-process status: counts over the last minute, the last error, the metadata round trip."""

from __future__ import annotations

import grpc

from netscope_common.status import SERVER_FAULTS, ProcessStatus, RecentCount, status_from_metadata


def test_recent_count_keeps_the_last_minute_only() -> None:
    count = RecentCount()
    for second in (1000.2, 1000.7, 1030.0, 1059.9):
        count.add(second)
    assert count.per_minute(1059.9) == 4
    assert count.per_minute(1060.5) == 2  # the two events of second 1000 are more than a minute old
    count.add(1061.0)  # reuses second 1001's slot
    assert count.per_minute(1061.0) == 3
    assert count.per_minute(1200.0) == 0


def test_errors_are_counted_and_the_last_one_kept() -> None:
    status = ProcessStatus("flows")
    status.record()
    status.record("TopK: INTERNAL: boom")
    status.record()
    snapshot = status.snapshot()
    assert snapshot["calls_per_minute"] == 3 and snapshot["errors_per_minute"] == 1
    assert snapshot["last_error"] == "TopK: INTERNAL: boom" and snapshot["last_error_at"]
    assert snapshot["version"] != "" and snapshot["uptime_seconds"] >= 0


def test_the_snapshot_travels_as_binary_metadata() -> None:
    status = ProcessStatus("alerts", version="1.2.3")
    status.record("ListAlerts: UNAVAILABLE: store down " + "x" * 500)
    received = status_from_metadata([("other", "value"), *status.metadata()])
    assert received["version"] == "1.2.3"
    assert len(str(received["last_error"])) == 300  # bounded
    assert status_from_metadata([("other", "value")]) == {}


def test_refusals_of_bad_input_are_not_server_faults() -> None:
    assert grpc.StatusCode.INTERNAL in SERVER_FAULTS and grpc.StatusCode.UNAVAILABLE in SERVER_FAULTS
    assert grpc.StatusCode.INVALID_ARGUMENT not in SERVER_FAULTS and grpc.StatusCode.NOT_FOUND not in SERVER_FAULTS
