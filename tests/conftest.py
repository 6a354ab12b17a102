"""Shared fixtures: a temporary data root and log directory per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.stack import Stack, generate_world, start_stack


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A directory for data and process logs of this test session."""
    yield tmp_path_factory.mktemp("run")


@pytest.fixture(scope="session")
def stack(run_dir: Path) -> Iterator[Stack]:
    """flows (seeded chdb) + aggregator, started once per test session (e2e and resilience share it)."""
    with start_stack(run_dir) as running_stack:
        yield running_stack


@pytest.fixture(scope="session")
def world_dir(run_dir: Path) -> Path:
    """The scenario world (24 h, seed 11), rendered once per test session."""
    return generate_world(run_dir)
