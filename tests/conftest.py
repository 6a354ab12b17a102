"""Shared fixtures: a temporary data root and log directory per test session."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.demo import DEMO_TOKEN, Demo, running_demo
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


@pytest.fixture(scope="session")
def demo_dir(run_dir: Path) -> Path:
    """Where the shared demo keeps its data and its scenario (ground_truth.json)."""
    return run_dir / "demo"


DEMO_STARTS = 3


@pytest.fixture(scope="session")
def demo(run_dir: Path, demo_dir: Path) -> Iterator[Demo]:
    """`netscope demo` with 4 h of simulated history, started once per session (e2e demo and compat tests).

    The demo's ports are picked free before it generates its data, and on a busy machine another process can take
    one in between; a start that fails is retried on new ports, with the data already generated (seconds)."""
    for attempt in range(1, DEMO_STARTS + 1):
        with contextlib.ExitStack() as stack:
            try:
                running = stack.enter_context(
                    running_demo(demo_dir, run_dir / "logs", DEMO_TOKEN, hours=4, ready_timeout=400)
                )
            except RuntimeError:
                if attempt == DEMO_STARTS:
                    raise
                continue
            yield running
            return
