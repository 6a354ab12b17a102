"""A byte cap on every tool answer: rows are dropped (structured and text) until the answer fits.

Rows are not the unit that matters to a client, bytes are: the official MCP client refuses an event over 1 MiB and
the session breaks. An answer over the cap keeps as many of its rows (the longest list in it) as fit, and says
`truncated: true` with a `truncated_reason` telling the assistant how to narrow the question.
"""

from __future__ import annotations

import copy
from typing import Any

import pydantic_core
from mcp.types import CallToolResult, ContentBlock, TextContent

NARROW = "narrow the question: select fewer columns, add a WHERE filter, shorten the window or lower the limit/max_rows"
_ROUNDS = 40


def answer_bytes(result: CallToolResult) -> int:
    """The size of the answer as it goes on the wire (its JSON)."""
    return len(result.model_dump_json(by_alias=True, exclude_none=True).encode())


def cap_answer(result: CallToolResult, limit: int) -> CallToolResult:
    """`result` when it fits in `limit` bytes; else a copy cut down to fit, saying so."""
    size = answer_bytes(result)
    if size <= limit:
        return result
    if isinstance(result.structured_content, dict):
        return _cap_structured(result, result.structured_content, size, limit)
    return _cap_text(result, size, limit)


def _note(kept: int, total: int, size: int, limit: int) -> str:
    return f"answer cut to {kept} of {total} rows: {size} bytes exceed the {limit}-byte answer cap; {NARROW}"


def answer_text(data: Any) -> str:
    """The text of an answer: a string as it is, anything else as compact JSON (no indentation: the structured
    content carries the structure, and an assistant reads the text, where every space costs tokens)."""
    return data if isinstance(data, str) else pydantic_core.to_json(data, fallback=str).decode()


def with_text(result: CallToolResult, data: Any, structured: dict[str, Any]) -> CallToolResult:
    """`result` with one text block rendering `data` (the answer) and `structured` as its structured content."""
    others: list[ContentBlock] = [block for block in result.content if not isinstance(block, TextContent)]
    return result.model_copy(
        update={
            "content": [TextContent(type="text", text=answer_text(data)), *others],
            "structured_content": structured,
        }
    )


def _rebuilt(result: CallToolResult, data: dict[str, Any]) -> CallToolResult:
    return with_text(result, data, data)


def _lists(node: Any) -> list[tuple[Any, Any]]:
    """(container, key) of every non-empty list inside `node`."""
    found: list[tuple[Any, Any]] = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        if isinstance(value, list) and value:
            found.append((node, key))
        if isinstance(value, dict | list):
            found.extend(_lists(value))
    return found


def _json_len(value: Any) -> int:
    return len(pydantic_core.to_json(value, fallback=str))


def _cap_structured(result: CallToolResult, original: dict[str, Any], size: int, limit: int) -> CallToolResult:
    data = copy.deepcopy(original)
    data["truncated"] = True
    data["truncated_reason"] = _note(0, 0, size, limit)  # the final text is no longer than this placeholder
    first_total: int | None = None
    kept = 0
    candidate = _rebuilt(result, data)
    for _ in range(_ROUNDS):
        current = answer_bytes(candidate)
        if current <= limit:
            break
        lists = _lists(data)
        if not lists:
            _shorten_longest_text(data, current - limit)
            candidate = _rebuilt(result, data)
            continue
        container, key = max(lists, key=lambda place: _json_len(place[0][place[1]]))
        rows = container[key]
        if first_total is None:
            first_total = len(rows)
        keep = min(len(rows) - 1, int(len(rows) * limit / current * 0.95))
        container[key] = rows[: max(keep, 0)]
        for count_key in ("row_count", "returned"):
            if isinstance(container, dict) and container.get(count_key) == len(rows):
                container[count_key] = len(container[key])
        kept = len(container[key])
        candidate = _rebuilt(result, data)
    data["truncated_reason"] = _note(kept, first_total or 0, size, limit)
    return _rebuilt(result, data)


def _shorten_longest_text(node: dict[str, Any], excess: int) -> None:
    """Cut the longest string inside `node` by at least `excess` characters (an answer with no rows left)."""
    best: tuple[int, Any, Any] = (0, None, None)
    stack: list[Any] = [node]
    while stack:
        current = stack.pop()
        items = current.items() if isinstance(current, dict) else enumerate(current)
        for key, value in items:
            if isinstance(value, str) and len(value) > best[0] and key != "truncated_reason":
                best = (len(value), current, key)
            elif isinstance(value, dict | list):
                stack.append(value)
    length, container, key = best
    if container is None:
        raise ValueError("answer cannot be cut below the cap")
    container[key] = container[key][: max(0, length - excess - 64)] + "…[cut]"


def _cap_text(result: CallToolResult, size: int, limit: int) -> CallToolResult:
    """An answer without structured content: keep whole lines of its text blocks while they fit."""
    budget = max(0, limit - 1024)
    blocks: list[ContentBlock] = []
    kept_lines = total_lines = 0
    for block in result.content:
        if not isinstance(block, TextContent):
            if _json_len(block.model_dump(by_alias=True, exclude_none=True)) <= budget:
                blocks.append(block)
                budget -= _json_len(block.model_dump(by_alias=True, exclude_none=True))
            continue
        lines = block.text.splitlines(keepends=True)
        total_lines += len(lines)
        taken: list[str] = []
        for line in lines:
            cost = _json_len(line)
            if cost > budget:
                break
            taken.append(line)
            budget -= cost
        kept_lines += len(taken)
        blocks.append(TextContent(type="text", text="".join(taken)))
    note = f"truncated: true — {_note(kept_lines, total_lines, size, limit).replace('rows', 'lines', 1)}"
    blocks.append(TextContent(type="text", text=note))
    return result.model_copy(update={"content": blocks})
