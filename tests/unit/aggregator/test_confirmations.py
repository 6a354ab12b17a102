"""Confirmation ids: bound to principal, tool and arguments; expire; single use; shared across replicas."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from mcp.server.mcpserver.exceptions import ToolError

from netscope_aggregator.confirmations import Confirmations

ARGS = {"value": "10.1.2.42", "alert_type": ""}


def test_an_id_confirms_exactly_its_call_once() -> None:
    confirmations = Confirmations(b"k" * 32)
    confirm_id = confirmations.issue("alice", "add_host_alert_exclusion", ARGS)
    with pytest.raises(ToolError, match="different arguments or another token"):
        confirmations.consume(confirm_id, "bob", "add_host_alert_exclusion", ARGS)
    with pytest.raises(ToolError, match="different arguments"):
        confirmations.consume(confirm_id, "alice", "add_host_alert_exclusion", {**ARGS, "value": "10.1.2.43"})
    confirmations.consume(confirm_id, "alice", "add_host_alert_exclusion", ARGS)
    with pytest.raises(ToolError, match="used or expired"):
        confirmations.consume(confirm_id, "alice", "add_host_alert_exclusion", ARGS)


def test_two_previews_of_the_same_write_get_distinct_ids() -> None:
    confirmations = Confirmations(b"k" * 32)
    first = confirmations.issue("alice", "t", ARGS)
    second = confirmations.issue("alice", "t", ARGS)
    assert first != second
    confirmations.consume(first, "alice", "t", ARGS)
    confirmations.consume(second, "alice", "t", ARGS)


def test_replicas_sharing_the_secret_accept_each_others_ids() -> None:
    issued = Confirmations(b"s" * 32).issue("alice", "create_ai_policy", ARGS)
    Confirmations(b"s" * 32).consume(issued, "alice", "create_ai_policy", ARGS)
    with pytest.raises(ToolError, match="different arguments or another token"):
        Confirmations(b"t" * 32).consume(issued, "alice", "create_ai_policy", ARGS)


def test_expired_and_malformed_ids_are_refused() -> None:
    confirmations = Confirmations(b"k" * 32, ttl_seconds=1)
    confirm_id = confirmations.issue("alice", "t", ARGS)
    time.sleep(2.1)
    with pytest.raises(ToolError, match="used or expired"):
        confirmations.consume(confirm_id, "alice", "t", ARGS)
    for bad in ("", "abc", "99999999999.", f"{int(time.time()) + 60}.deadbeef"):
        with pytest.raises(ToolError):
            confirmations.consume(bad, "alice", "t", ARGS)


def test_workers_sharing_a_used_dir_refuse_an_id_another_worker_consumed(tmp_path: Path) -> None:
    """The worker processes of one aggregator (`workers` > 1) record used ids in one directory."""
    first, second = (Confirmations(b"s" * 32, used_dir=tmp_path) for _ in range(2))
    confirm_id = first.issue("alice", "create_ai_policy", ARGS)
    second.consume(confirm_id, "alice", "create_ai_policy", ARGS)
    with pytest.raises(ToolError, match="used or expired"):
        first.consume(confirm_id, "alice", "create_ai_policy", ARGS)


def test_used_ids_are_forgotten_once_expired(tmp_path: Path) -> None:
    confirmations = Confirmations(b"k" * 32, ttl_seconds=1, used_dir=tmp_path)
    confirmations.consume(confirmations.issue("alice", "t", ARGS), "alice", "t", ARGS)
    assert len(list(tmp_path.iterdir())) == 1
    time.sleep(2.1)
    confirmations.consume(confirmations.issue("alice", "t", ARGS), "alice", "t", ARGS)
    assert len(list(tmp_path.iterdir())) == 1  # the expired record was removed, the new one kept
