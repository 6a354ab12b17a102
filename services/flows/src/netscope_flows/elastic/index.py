"""The indices the Elasticsearch backend reads: one client, one index pattern, one field layout, and the
errors of the cluster turned into messages an assistant can act on."""

from __future__ import annotations

import logging
from typing import Any

from elasticsearch import ApiError as EsApiError
from elasticsearch import AsyncElasticsearch, TransportError

from netscope_common.errors import FailedPrecondition, Unavailable
from netscope_flows.elastic.layout import LAYOUTS, FieldLayout, detect, fields_named, fitted, mapped_fields
from netscope_flows.elastic.query import EsFilter
from netscope_flows.elastic.transport import make_client
from netscope_flows.settings import FlowsSettings

log = logging.getLogger(__name__)


class EsIndex:
    """`settings.es_index` on an Elasticsearch or OpenSearch cluster, read through `layout`'s fields.

    The layout is the one given, else the one `settings.es_layout` names, else (`auto`) the one `detect_layout`
    finds in the index mapping; until then the scenario's. A request naming a field the index does not have is
    refused with a message naming it.
    """

    def __init__(
        self, settings: FlowsSettings, client: AsyncElasticsearch | None = None, layout: FieldLayout | None = None
    ) -> None:
        self._settings = settings
        self._client = client
        self.index = settings.es_index
        self._fixed = layout is not None or settings.es_layout != "auto"
        self.layout = layout or LAYOUTS["scenario" if settings.es_layout == "auto" else settings.es_layout]

    async def detect_layout(self) -> FieldLayout:
        """Read the index mapping: pick the layout (setting `auto`) and note the fields the index lacks (logged)."""
        try:
            mapping = dict((await self.client.indices.get_mapping(index=self.index, ignore_unavailable=True)).body)
        except (EsApiError, TransportError) as exc:
            log.warning(
                "flows: could not read the mapping of %s (%s); field layout %s", self.index, exc, self.layout.name
            )
            return self.layout
        fields = mapped_fields(mapping)
        if not fields:
            log.info("flows: no index matches %s yet; field layout %s", self.index, self.layout.name)
            return self.layout
        fields -= await self._never_filled(fields)
        self.layout = fitted(self.layout, fields) if self._fixed else detect(fields)
        how = "set by NETSCOPE_FLOWS_ES_LAYOUT" if self._fixed else "detected from the mapping"
        missing = ", ".join(sorted(self.layout.absent)) or "none"
        log.info("flows: %s uses field layout %s (%s); fields it lacks: %s", self.index, self.layout.name, how, missing)
        return self.layout

    async def _never_filled(self, fields: set[str]) -> set[str]:
        """The mapped fields of the known layouts no document has (a mapping may name more than is written)."""
        wanted = sorted(fields & {v for layout in LAYOUTS.values() for v in layout.facts().values()})
        aggs = {str(n): {"filter": {"exists": {"field": name}}} for n, name in enumerate(wanted)}
        try:
            answer = await self.client.search(index=self.index, size=0, aggs=aggs, ignore_unavailable=True)
        except (EsApiError, TransportError):
            return set()
        found = answer.body.get("aggregations", {})
        if not answer.body.get("hits", {}).get("total", {}).get("value", 0):
            return set()  # no documents yet: the mapping is all there is to go by
        return {name for n, name in enumerate(wanted) if not found.get(str(n), {}).get("doc_count")}

    def check_fields(self, body: Any, what: str = "this request") -> None:
        """Raise FailedPrecondition naming the first field `body` uses that the index does not have."""
        lacking = sorted(fields_named(body) & self.layout.absent)
        if lacking:
            raise self.layout.missing(lacking[0], what, self.index)

    @property
    def url(self) -> str:
        """The cluster's URL (for messages)."""
        return self._settings.es_url

    @property
    def client(self) -> AsyncElasticsearch:
        """The cluster client (created on first use)."""
        if self._client is None:
            self._client = make_client(self._settings)
        return self._client

    async def close(self) -> None:
        """Close the client's connections."""
        if self._client is not None:
            await self._client.close()

    async def ping(self) -> None:
        """Raise Unavailable unless the cluster answers a query with a body (which proves the flavor fits)."""
        try:
            await self.client.count(index=self.index, query={"match_all": {}}, ignore_unavailable=True)
        except EsApiError as exc:
            raise Unavailable(self._refused(exc)) from None
        except TransportError as exc:
            raise Unavailable(f"Elasticsearch at {self._settings.es_url} does not answer: {exc}") from None

    def _refused(self, exc: EsApiError) -> str:
        if exc.status_code == 406 and self._settings.es_flavor == "elasticsearch":
            return (
                f"the cluster at {self._settings.es_url} refused the Elasticsearch client's compatible-with headers "
                "(HTTP 406); for OpenSearch set NETSCOPE_FLOWS_ES_FLAVOR=opensearch"
            )
        return f"Elasticsearch refused the query on {self.index} (HTTP {exc.status_code}): {exc.message}"

    async def search(self, **body: Any) -> dict[str, Any]:
        """One search request's answer."""
        self.check_fields(body)
        try:
            answer = await self.client.search(index=self.index, ignore_unavailable=True, **body)
        except EsApiError as exc:
            raise FailedPrecondition(self._refused(exc)) from None
        except TransportError as exc:
            raise Unavailable(f"Elasticsearch at {self._settings.es_url} does not answer: {exc}") from None
        return dict(answer.body)

    async def aggregate_query(self, query: dict[str, Any], aggs: dict[str, Any]) -> dict[str, Any]:
        """Aggregations over a ready bool query (documents are never returned)."""
        answer = await self.search(query=query, aggs=aggs, size=0, track_total_hits=False)
        return dict(answer.get("aggregations", {}))

    async def aggregate(self, flt: EsFilter, extra: list[dict[str, Any]], aggs: dict[str, Any]) -> dict[str, Any]:
        """Aggregations over the filter narrowed by `extra` clauses."""
        return await self.aggregate_query({"bool": {"filter": [flt.query, *extra]}}, aggs)
