"""Flow queries over ECS NetFlow indices, every figure computed by Elasticsearch aggregations.

Only SearchFlows pages (and the few sample flows attached to a finding) read documents; rankings, series,
country and device statistics, totals and scan detection are aggregations (terms, multi_terms,
date_histogram, cardinality, bucket_selector).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from elasticsearch import ApiError as EsApiError
from elasticsearch import AsyncElasticsearch, TransportError

from netscope.flows.v1 import flows_pb2
from netscope_common.errors import FailedPrecondition, InvalidArgument, Unavailable
from netscope_common.timeutil import resolve_window, to_timestamp
from netscope_flows import search, stats, timeseries
from netscope_flows.elastic import keys, pages
from netscope_flows.elastic.query import EsFilter, compile_es_filter, not_in_ecs, window_range
from netscope_flows.elastic.transport import make_client
from netscope_flows.filters import CompiledFilter
from netscope_flows.settings import FlowsSettings
from netscope_flows.topk import MAX_K

MAX_TOP_N = 100


def _epoch_ms(value: float | None) -> Any:
    return to_timestamp(datetime.fromtimestamp((value or 0) / 1000, UTC))


class ElasticBackend:
    """Answers the flow RPCs from `settings.es_index` on an Elasticsearch or OpenSearch cluster."""

    def __init__(self, settings: FlowsSettings, client: AsyncElasticsearch | None = None) -> None:
        self._settings = settings
        self._client = client
        self.index = settings.es_index

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

    async def open(self) -> None:
        """Create the client (the first health check then proves the cluster answers)."""
        _ = self.client

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

    async def _search(self, **body: Any) -> dict[str, Any]:
        try:
            answer = await self.client.search(index=self.index, ignore_unavailable=True, **body)
        except EsApiError as exc:
            raise FailedPrecondition(self._refused(exc)) from None
        except TransportError as exc:
            raise Unavailable(f"Elasticsearch at {self._settings.es_url} does not answer: {exc}") from None
        return dict(answer.body)

    async def _aggregate(self, query: dict[str, Any], aggs: dict[str, Any]) -> dict[str, Any]:
        answer = await self._search(query=query, aggs=aggs, size=0, track_total_hits=False)
        return dict(answer.get("aggregations", {}))

    async def top_k(self, request: flows_pb2.TopKRequest) -> flows_pb2.TopKResponse:
        """Keys of a dimension ranked by a metric over a window, with the window's total bytes."""
        if request.k > MAX_K:
            raise InvalidArgument(f"k must be between 1 and {MAX_K} (0 means 10); got {request.k}", field="k")
        if request.HasField("interface_id"):
            raise not_in_ecs("interface_id (an ntopng interface)", "interface_id")
        fields, fmt = keys.dimension(request.dimension)
        order = keys.metric_order(request.metric)
        start, end = resolve_window(request.window)
        query: dict[str, Any] = window_range(start, end)
        if request.locality:
            query = {"bool": {"filter": [query, keys.locality(request.dimension, request.locality)]}}
        aggs = await self._aggregate(
            query,
            {
                "ranked": keys.terms(fields, request.k or 10, order, dict(keys.SUMS)),
                "total": keys.SUMS["bytes"],
            },
        )
        return flows_pb2.TopKResponse(
            entries=[keys.entry(b, fmt) for b in aggs["ranked"]["buckets"]],
            window_start=to_timestamp(start),
            window_end=to_timestamp(end),
            total_bytes=int(aggs["total"]["value"] or 0),
        )

    async def search_flows(self, request: flows_pb2.SearchFlowsRequest) -> flows_pb2.SearchFlowsResponse:
        """One sorted page of documents; the token carries the last hit's sort values (search_after)."""
        flt = compile_es_filter(request.filter)
        size = search.page_size(request)
        sort = pages.sort_of(request)
        after = pages.decode_token(request)
        body: dict[str, Any] = {"query": flt.query, "sort": sort, "size": size + 1, "track_total_hits": False}
        if after is not None:
            body["search_after"] = after
        hits = (await self._search(**body))["hits"]["hits"]
        more = len(hits) > size
        return flows_pb2.SearchFlowsResponse(
            flows=[pages.to_record(h["_source"]) for h in hits[:size]],
            next_page_token=pages.encode_token(request, hits[size - 1]["sort"]) if more else "",
            window_start=to_timestamp(flt.start),
            window_end=to_timestamp(flt.end),
        )

    async def time_series(self, request: flows_pb2.TimeSeriesRequest) -> flows_pb2.TimeSeriesResponse:
        """A date_histogram of the metric; grouped: the same histogram under each of the top-N keys."""
        flt = compile_es_filter(request.filter)
        order = keys.metric_order(request.metric)
        width = timeseries.bucket_seconds(request, CompiledFilter(flt.start, flt.end, ""))
        n = timeseries.top_n(request)
        subs = {} if order == "_count" else {order: keys.SUMS[order]}
        histogram = {"date_histogram": {"field": "event.start", "fixed_interval": f"{width}s", "min_doc_count": 1}}
        histogram["aggs"] = subs
        if request.group_by:
            if request.group_by == flows_pb2.TOP_K_DIMENSION_HOST:
                raise InvalidArgument(
                    "group_by must be a TopKDimension other than HOST (use SRC_IP or DST_IP)", field="group_by"
                )
            fields, fmt = keys.dimension(request.group_by, "group_by")
            aggs = await self._aggregate(flt.query, {"groups": keys.terms(fields, n, order, {**subs, "t": histogram})})
            groups = [(keys.render(b, fmt), b["t"]["buckets"]) for b in aggs["groups"]["buckets"]]
        else:
            aggs = await self._aggregate(flt.query, {"t": histogram})
            groups = [("total", aggs["t"]["buckets"])]
        series = [
            flows_pb2.Series(
                key=key,
                points=[
                    flows_pb2.TimePoint(
                        time=_epoch_ms(b["key"]),
                        value=float(b["doc_count"] if order == "_count" else b[order]["value"] or 0),
                    )
                    for b in buckets
                ],
            )
            for key, buckets in groups
        ]
        return flows_pb2.TimeSeriesResponse(
            series=series,
            bucket_seconds=width,
            metric=request.metric or flows_pb2.METRIC_BYTES,
            window_start=to_timestamp(flt.start),
            window_end=to_timestamp(flt.end),
        )

    async def country_stats(self, request: flows_pb2.CountryStatsRequest) -> flows_pb2.CountryStatsResponse:
        """Per country: bytes sent/received and flows, each flow counted on both of its sides."""
        if request.k > stats.MAX_COUNTRIES:
            raise InvalidArgument(
                f"k must be between 1 and {stats.MAX_COUNTRIES} (0 means 20); got {request.k}", field="k"
            )
        flt = compile_es_filter(request.filter)
        sides = {
            side: {
                "terms": {"field": f"{side}.geo.country_iso_code", "size": stats.MAX_COUNTRIES},
                "aggs": {
                    "out": {"sum": {"field": f"{side}.bytes"}},
                    "in": {"sum": {"field": f"{other}.bytes"}},
                    "hosts": {"cardinality": {"field": f"{side}.ip"}},
                },
            }
            for side, other in (("source", "destination"), ("destination", "source"))
        }
        aggs = await self._aggregate(flt.query, sides)
        merged: dict[str, flows_pb2.CountryStat] = {}
        for side in sides:
            for b in aggs[side]["buckets"]:
                stat = merged.setdefault(b["key"], flows_pb2.CountryStat(country=b["key"]))
                stat.bytes_sent += int(b["out"]["value"] or 0)
                stat.bytes_received += int(b["in"]["value"] or 0)
                stat.flows += int(b["doc_count"])
                stat.hosts += int(b["hosts"]["value"])
        ranked = sorted(merged.values(), key=lambda s: (-(s.bytes_sent + s.bytes_received), s.country))
        return flows_pb2.CountryStatsResponse(countries=ranked[: request.k or 20])

    async def device_stats(self, request: flows_pb2.DeviceStatsRequest) -> flows_pb2.DeviceStatsResponse:
        """Per exporter (observer.ip) and interface: flows, bytes and packets in and out."""
        flt = compile_es_filter(request.filter)
        sums = dict(keys.SUMS)
        interfaces = {
            name: {"terms": {"field": f"netflow.{name}_interface", "size": stats.MAX_INTERFACES}, "aggs": sums}
            for name in ("ingress", "egress")
        }
        aggs = await self._aggregate(
            flt.query,
            {
                "exporters": {
                    "terms": {"field": "observer.ip", "size": stats.MAX_EXPORTERS, "order": {"_key": "asc"}},
                    "aggs": {
                        **sums,
                        "first": {"min": {"field": "event.start"}},
                        "last": {"max": {"field": "event.end"}},
                        **interfaces,
                    },
                }
            },
        )
        exporters = []
        for b in aggs["exporters"]["buckets"]:
            stat = flows_pb2.ExporterStat(
                exporter=b["key"],
                flows=int(b["doc_count"]),
                bytes=int(b["bytes"]["value"] or 0),
                packets=int(b["packets"]["value"] or 0),
                first_seen=_epoch_ms(b["first"]["value"]),
                last_seen=_epoch_ms(b["last"]["value"]),
            )
            per_if: dict[int, flows_pb2.InterfaceStat] = {}
            for side, prefix in (("ingress", "in"), ("egress", "out")):
                for i in b[side]["buckets"]:
                    if not i["key"]:
                        continue
                    iface = per_if.setdefault(int(i["key"]), flows_pb2.InterfaceStat(if_index=int(i["key"])))
                    setattr(iface, f"{prefix}_bytes", int(i["bytes"]["value"] or 0))
                    setattr(iface, f"{prefix}_packets", int(i["packets"]["value"] or 0))
                    setattr(iface, f"{prefix}_flows", int(i["doc_count"]))
            stat.interfaces.extend(per_if[k] for k in sorted(per_if))
            exporters.append(stat)
        return flows_pb2.DeviceStatsResponse(exporters=exporters)

    async def analyze_traffic(self, request: flows_pb2.AnalyzeTrafficRequest) -> flows_pb2.AnalyzeTrafficResponse:
        """Totals and the protocol, talker, service and destination rankings, in one aggregation request."""
        if request.top_n > MAX_TOP_N:
            raise InvalidArgument(
                f"top_n must be between 1 and {MAX_TOP_N} (0 means 10); got {request.top_n}", field="top_n"
            )
        n = request.top_n or 10
        flt = compile_es_filter(request.filter)
        rankings = {
            "protocols": flows_pb2.TOP_K_DIMENSION_L7_PROTO,
            "top_talkers": flows_pb2.TOP_K_DIMENSION_SRC_IP,
            "top_services": flows_pb2.TOP_K_DIMENSION_DST_PORT,
            "top_destinations": flows_pb2.TOP_K_DIMENSION_DST_IP,
        }
        aggs = await self._aggregate(
            flt.query,
            {
                **{name: keys.terms(keys.dimension(d)[0], n, "bytes", dict(keys.SUMS)) for name, d in rankings.items()},
                **keys.SUMS,
                "flows": {"value_count": {"field": "event.start"}},
                "hosts": {"cardinality": {"field": "related.ip", "precision_threshold": 40000}},
                "client_to_server": {"sum": {"field": "source.bytes"}},
            },
        )
        return flows_pb2.AnalyzeTrafficResponse(
            totals=flows_pb2.TrafficTotals(
                bytes=int(aggs["bytes"]["value"] or 0),
                packets=int(aggs["packets"]["value"] or 0),
                flows=int(aggs["flows"]["value"] or 0),
                hosts=int(aggs["hosts"]["value"] or 0),
                client_to_server_bytes=int(aggs["client_to_server"]["value"] or 0),
            ),
            window_start=to_timestamp(flt.start),
            window_end=to_timestamp(flt.end),
            **{
                name: [keys.entry(b, keys.dimension(d)[1]) for b in aggs[name]["buckets"]]
                for name, d in rankings.items()
            },
        )

    async def sample(self, flt: flows_pb2.FlowFilter, size: int) -> list[flows_pb2.FlowRecord]:
        """The oldest `size` flows matching a finding's evidence filter."""
        page = await self.search_flows(
            flows_pb2.SearchFlowsRequest(filter=flt, sort=flows_pb2.FLOW_SORT_OLDEST, page_size=size)
        )
        return list(page.flows)

    async def aggregate(self, flt: EsFilter, extra: list[dict[str, Any]], aggs: dict[str, Any]) -> dict[str, Any]:
        """Aggregations over the filter narrowed by `extra` clauses (for the detectors)."""
        query = {"bool": {"filter": [flt.query, *extra]}}
        return await self._aggregate(query, aggs)

    async def aggregate_query(self, query: dict[str, Any], aggs: dict[str, Any]) -> dict[str, Any]:
        """Aggregations over a ready bool query (documents are never returned)."""
        return await self._aggregate(query, aggs)
