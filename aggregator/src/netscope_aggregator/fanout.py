"""Run several service calls at once and merge what came back, naming what is missing and why."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError

from netscope_aggregator.tracing import record_missing_part


@dataclass
class FanOut:
    """Results of the parts that answered and, for the others, why they are missing."""

    results: dict[str, Any] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)

    @property
    def partial(self) -> bool:
        """True when at least one part is missing."""
        return bool(self.missing)


async def gather_parts(parts: Mapping[str, Awaitable[Any]], deadline: float) -> FanOut:
    """Await every part concurrently; a part that fails or outlives `deadline` is reported, not raised."""
    names = list(parts)
    tasks = [asyncio.ensure_future(parts[name]) for name in names]
    _, pending = await asyncio.wait(tasks, timeout=deadline)
    merged = FanOut()
    for name, task in zip(names, tasks, strict=True):
        if task in pending:
            task.cancel()
            merged.missing[name] = f"no answer within {deadline:g} s"
            continue
        error = task.exception()
        if error is None:
            merged.results[name] = task.result()
        elif isinstance(error, ToolError):
            merged.missing[name] = str(error)
        else:
            merged.missing[name] = f"failed: {type(error).__name__}"
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    for name, reason in merged.missing.items():
        record_missing_part(name, reason)
    return merged
