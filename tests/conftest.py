"""Shared fixtures: a temporary data root and log directory per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A directory for data and process logs of this test session."""
    yield tmp_path_factory.mktemp("run")
