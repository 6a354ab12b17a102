"""The async Elasticsearch client, with a node class that lets OpenSearch-compatible servers answer it.

Elasticsearch 8.x/9.x clients send `application/vnd.elasticsearch+json; compatible-with=N`, which OpenSearch
(and osmem) refuse with 406; the `opensearch` flavor rewrites those headers to plain JSON / NDJSON.
"""

from __future__ import annotations

from typing import Any

from elastic_transport import AiohttpHttpNode, HttpHeaders
from elastic_transport._node import NodeApiResponse
from elasticsearch import AsyncElasticsearch

from netscope_flows.settings import FlowsSettings


def _plain(value: str | None, ndjson: bool) -> str | None:
    if value is None or "compatible-with" not in value:
        return value
    return "application/x-ndjson" if ndjson else "application/json"


class PlainJsonAiohttpNode(AiohttpHttpNode):
    """An aiohttp node that sends plain `application/json` (`application/x-ndjson` for bulk) headers."""

    async def perform_request(  # type: ignore[override]
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: HttpHeaders | None = None,
        request_timeout: Any = None,
    ) -> NodeApiResponse:
        if headers is not None:
            headers = headers.copy()
            ndjson = "x-ndjson" in (headers.get("content-type") or "")
            for name in ("content-type", "accept"):
                if name in headers:
                    rewritten = _plain(headers[name], ndjson and name == "content-type")
                    if rewritten is not None:
                        headers[name] = rewritten
        kwargs: dict[str, Any] = {} if request_timeout is None else {"request_timeout": request_timeout}
        return await super().perform_request(method, target, body=body, headers=headers, **kwargs)


def make_client(settings: FlowsSettings) -> AsyncElasticsearch:
    """A client for the configured cluster (URL, credentials, TLS verification, CA, timeouts, flavor)."""
    options: dict[str, Any] = {
        "request_timeout": settings.es_request_timeout_seconds,
        "verify_certs": settings.es_verify,
        "max_retries": 2,
        "retry_on_timeout": False,
    }
    if settings.es_ca_certs:
        options["ca_certs"] = settings.es_ca_certs
    if settings.es_username:
        options["basic_auth"] = (settings.es_username, settings.es_password.get_secret_value())
    if settings.es_api_key.get_secret_value():
        options["api_key"] = settings.es_api_key.get_secret_value()
    if settings.es_flavor == "opensearch":
        options["node_class"] = PlainJsonAiohttpNode
    return AsyncElasticsearch(settings.es_url, **options)
