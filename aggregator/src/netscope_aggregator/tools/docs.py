"""`search_docs`: search the project's documentation and tool reference offline."""

from typing import Annotated

from pydantic import BaseModel, Field

from netscope_aggregator.catalog import Catalog
from netscope_aggregator.declare import composite
from netscope_aggregator.docs_index import DocsIndex, Section, default_docs_dir, excerpt, markdown_sections


class DocHit(BaseModel):
    """One matching section."""

    source: str
    title: str
    excerpt: str
    score: float


class DocsAnswer(BaseModel):
    """Sections that answer a documentation question."""

    query: str
    hits: list[DocHit]


def build_index(catalog: Catalog) -> DocsIndex:
    """Index the markdown docs and every registered tool's description."""
    sections: list[Section] = []
    docs = default_docs_dir()
    if docs is not None:
        for path in sorted(docs.glob("*.md")):
            sections.extend(markdown_sections(path))
        readme = docs.parent / "README.md"
        if readme.is_file():
            sections.extend(markdown_sections(readme))
    for tool in catalog.tools.values():
        sections.append(Section("tool catalog", tool.name, tool.description or ""))
    return DocsIndex(sections)


def register(catalog: Catalog) -> None:
    """Add search_docs (call after every other tool module, so the catalog is indexed)."""
    index = build_index(catalog)

    async def search_docs(
        query: Annotated[str, Field(min_length=2, max_length=300, description="what you want to know")],
        limit: Annotated[int, Field(ge=1, le=10)] = 5,
    ) -> DocsAnswer:
        hits = [
            DocHit(source=s.source, title=s.title, excerpt=excerpt(s.text, query), score=round(score, 3))
            for s, score in index.search(query, limit)
        ]
        return DocsAnswer(query=query, hits=hits)

    catalog.declare(
        composite(
            search_docs,
            name="search_docs",
            description="Search netscope's documentation and tool reference (offline): how to use a tool, what a "
            "column means, how to configure or deploy.",
            toolsets=("flows", "alerts", "snmp", "live", "analysis", "admin"),
            rpcs=(),
        )
    )
