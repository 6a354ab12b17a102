"""Secrets stay out of the logs of every process the test session started.

(Killing services under load and restarting them: test_kill_each_service.py, which covers each service.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.stack import ADMIN_TOKEN, READ_TOKEN

pytestmark = pytest.mark.integration


def test_tokens_never_reach_the_logs(tmp_path: Path) -> None:
    """Every log the e2e and resilience processes wrote so far, in this pytest run, is free of tokens."""
    logs = list(tmp_path.parent.glob("**/*.log"))  # this pytest session's directories
    assert logs
    for path in logs:
        text = path.read_text(errors="replace")
        assert READ_TOKEN not in text, path
        assert ADMIN_TOKEN not in text, path
