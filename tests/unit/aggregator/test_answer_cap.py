"""The byte cap on tool answers: rows go (structured or text), the answer says so, and it fits."""

from __future__ import annotations

import json

import pytest
from mcp.types import CallToolResult, ImageContent, TextContent

from netscope_aggregator.answer_cap import answer_bytes, cap_answer
from netscope_aggregator.settings import AggregatorSettings

LIMIT = 8 * 1024


def _structured(data: dict[str, object]) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=json.dumps(data))], structured_content=data)


def test_an_answer_that_fits_is_left_alone() -> None:
    result = _structured({"rows": [[1, "a"]], "row_count": 1})
    assert cap_answer(result, LIMIT) is result


def test_rows_are_dropped_until_the_answer_fits_and_the_text_matches() -> None:
    rows = [[i, f"host-{i}", "x" * 50] for i in range(2000)]
    capped = cap_answer(_structured({"columns": ["n", "host", "pad"], "rows": rows, "row_count": 2000}), LIMIT)
    data = capped.structured_content
    assert data is not None
    assert answer_bytes(capped) <= LIMIT
    assert data["truncated"] is True
    assert 0 < len(data["rows"]) < 2000 and data["row_count"] == len(data["rows"])
    assert data["rows"] == rows[: len(data["rows"])], "the first rows are kept, in order"
    assert data["columns"] == ["n", "host", "pad"]
    assert f"cut to {len(data['rows'])} of 2000 rows" in data["truncated_reason"]
    assert json.loads(capped.content[0].text) == data  # type: ignore[union-attr]


def test_the_longest_list_is_cut_wherever_it_is() -> None:
    answer = {
        "summary": "top talkers",
        "history": {"flows": [{"src": f"10.0.{i // 256}.{i % 256}"} for i in range(3000)]},
    }
    capped = cap_answer(_structured(answer), LIMIT)
    data = capped.structured_content
    assert data is not None and answer_bytes(capped) <= LIMIT
    assert data["summary"] == "top talkers" and 0 < len(data["history"]["flows"]) < 3000


def test_one_huge_string_is_shortened() -> None:
    capped = cap_answer(_structured({"rows": [], "text": "y" * 100_000}), LIMIT)
    assert answer_bytes(capped) <= LIMIT
    assert capped.structured_content is not None and capped.structured_content["truncated"] is True


def test_a_text_answer_keeps_whole_lines_and_says_it_was_cut() -> None:
    lines = "".join(f"line {i}: {'z' * 60}\n" for i in range(1000))
    result = CallToolResult(
        content=[
            TextContent(type="text", text=lines),
            ImageContent(type="image", data="A" * 50_000, mime_type="image/png"),
        ]
    )
    capped = cap_answer(result, LIMIT)
    assert answer_bytes(capped) <= LIMIT
    kept = capped.content[0].text  # type: ignore[union-attr]
    assert kept and lines.startswith(kept) and kept.endswith("\n")
    assert capped.content[-1].text.startswith("truncated: true")  # type: ignore[union-attr]
    assert "narrow the question" in capped.content[-1].text  # type: ignore[union-attr]
    assert not any(isinstance(block, ImageContent) for block in capped.content), "an image over the cap is left out"


def test_the_cap_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert AggregatorSettings().max_answer_bytes == 256 * 1024
    monkeypatch.setenv("NETSCOPE_AGGREGATOR_MAX_ANSWER_BYTES", "65536")
    assert AggregatorSettings().max_answer_bytes == 65536
