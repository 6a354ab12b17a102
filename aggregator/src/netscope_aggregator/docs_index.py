"""An offline BM25 index over the project's documentation and the tool catalog, for `search_docs`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rank_bm25 import BM25Okapi

_TOKEN = re.compile(r"[a-z0-9_]+")
_HEADING = re.compile(r"^(#{1,4})\s+(.*)$")


@dataclass(frozen=True)
class Section:
    """One searchable piece: a markdown section or a tool description."""

    source: str
    title: str
    text: str


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def markdown_sections(path: Path) -> list[Section]:
    """Split a markdown file at its headings."""
    sections: list[Section] = []
    title, lines = path.stem, list[str]()
    for line in path.read_text(errors="replace").splitlines():
        heading = _HEADING.match(line)
        if heading:
            if lines:
                sections.append(Section(path.name, title, "\n".join(lines).strip()))
            title, lines = heading.group(2).strip(), []
        else:
            lines.append(line)
    if lines:
        sections.append(Section(path.name, title, "\n".join(lines).strip()))
    return [s for s in sections if s.text]


def default_docs_dir() -> Path | None:
    """The docs shipped next to the package (image) or the repository's docs/ (development)."""
    here = Path(__file__).resolve()
    for candidate in (here.parent / "docs", *(p / "docs" for p in here.parents[:5])):
        if candidate.is_dir() and any(candidate.glob("*.md")):
            return candidate
    return None


def excerpt(text: str, query: str, width: int = 600) -> str:
    """The part of `text` around the most specific (longest) query term it contains, else its start."""
    lowered = text.lower()
    found = sorted(((len(t), lowered.find(t)) for t in _tokens(query) if t in lowered), reverse=True)
    start = max(0, found[0][1] - width // 3) if found else 0
    snippet = text[start : start + width]
    return ("…" if start else "") + snippet + ("…" if start + width < len(text) else "")


class DocsIndex:
    """Ranks sections for a free-text query."""

    def __init__(self, sections: list[Section]) -> None:
        self._sections = sections
        self._bm25 = BM25Okapi([_tokens(f"{s.title} {s.text}") or ["_"] for s in sections]) if sections else None

    def __len__(self) -> int:
        return len(self._sections)

    def search(self, query: str, limit: int) -> list[tuple[Section, float]]:
        """The best `limit` sections with their scores (empty when nothing matches)."""
        terms = _tokens(query)
        if not terms or self._bm25 is None:
            return []
        scores = self._bm25.get_scores(terms)
        ranked = sorted(zip(self._sections, scores, strict=True), key=lambda pair: pair[1], reverse=True)
        return [(s, float(score)) for s, score in ranked[:limit] if score > 0]
