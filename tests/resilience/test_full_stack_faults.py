"""A graceful restart (SIGTERM) of every service keeps the configuration and state written before it.

(A hung service, cut by deadlines: test_store_stall.py. A SIGKILL of each service under load, with the same
state check: test_kill_each_service.py.)
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.resilience.full_stack import GRPC_NAMES, FullStack, full_stack
from tests.resilience.written_state import read_state, write_state

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def patient_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FullStack]:
    """A stack with the default-sized deadline, for tests that must not fail on a slow, busy machine."""
    root = tmp_path_factory.mktemp("restarts")
    dsn = f"chdb://{root / 'flows'}"
    subprocess.run([sys.executable, "-m", "tests.support.seed_flows", dsn], check=True, timeout=120)
    with full_stack(root, flows_dsn=dsn, call_timeout_seconds=30) as running:
        yield running


async def test_restarts_keep_written_state(patient_stack: FullStack) -> None:
    written = await write_state(patient_stack)
    patient_stack.restart(*GRPC_NAMES, sig=signal.SIGTERM)
    assert await read_state(patient_stack) == written
