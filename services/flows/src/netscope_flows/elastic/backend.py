"""The Elasticsearch backend: NetFlow documents in Elasticsearch or OpenSearch, every figure an aggregation.

Only SearchFlows pages (and the few sample flows attached to a finding) read documents; rankings, series,
country and device statistics, totals and scan detection are aggregations (terms, multi_terms,
date_histogram, cardinality, bucket_selector). Fields are named by the index's FieldLayout (`layout`).
There is no SQL here (`sql` is None): the servicer says so when SQL is asked for.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from elasticsearch import AsyncElasticsearch

from netscope.common.v1 import common_pb2
from netscope.flows.v1 import flows_pb2
from netscope_common.timeutil import to_timestamp
from netscope_flows.arguments import MAX_COUNTRIES, MAX_EXPORTERS, MAX_INTERFACES
from netscope_flows.backend import InterfaceKey, LoadRow, SqlAccess
from netscope_flows.elastic import anomalies, bottlenecks, investigate, keys, pages
from netscope_flows.elastic.index import EsIndex
from netscope_flows.elastic.ingest import ElasticIngestor
from netscope_flows.elastic.layout import FieldLayout
from netscope_flows.elastic.query import EsFilter, compile_es_filter, not_in_ecs, window_range
from netscope_flows.ingest import IngestResult
from netscope_flows.settings import FlowsSettings


def _epoch_ms(value: float | None) -> Any:
    return to_timestamp(datetime.fromtimestamp((value or 0) / 1000, UTC))


class ElasticBackend:
    """FlowsBackend over `settings.es_index` on an Elasticsearch or OpenSearch cluster."""

    name = "Elasticsearch"
    setting = "NETSCOPE_FLOWS_BACKEND=elasticsearch"

    def __init__(
        self, settings: FlowsSettings, client: AsyncElasticsearch | None = None, layout: FieldLayout | None = None
    ) -> None:
        self._settings = settings
        self.index = EsIndex(settings, client, layout)
        self.sql: SqlAccess | None = None
        self._ingestor = ElasticIngestor(self.index)

    @property
    def load_bucket_seconds(self) -> int:
        """60 s; 300 s for documents without a duration (seed 003's), whose bytes all land in one bucket: an
        exporter's active timeout (commonly 1-5 minutes) bounds a record's span."""
        f = self.index.layout
        return 60 if f.has(f.duration) else 300

    @property
    def client(self) -> AsyncElasticsearch:
        """The cluster client (created on first use)."""
        return self.index.client

    async def open(self) -> None:
        """Create the client and settle the field layout from the index mapping (logged)."""
        await self.index.detect_layout()

    async def ping(self) -> None:
        """Raise Unavailable unless the cluster answers a query with a body (which proves the flavor fits)."""
        await self.index.ping()

    async def close(self) -> None:
        """Close the client's connections."""
        await self.index.close()

    def compile(self, flt: flows_pb2.FlowFilter, default_span: timedelta = timedelta(hours=1)) -> EsFilter:
        """The filter as a bool query over the layout's fields (every field checked)."""
        return compile_es_filter(flt, self.index.layout, default_span=default_span)

    async def top_k(
        self, request: flows_pb2.TopKRequest, start: datetime, end: datetime, k: int
    ) -> tuple[list[flows_pb2.TopKEntry], int]:
        """A terms ranking and the window's byte sum, in one request."""
        f = self.index.layout
        if request.HasField("interface_id"):
            raise not_in_ecs("interface_id (an ntopng interface)", "interface_id")
        fields, fmt = keys.dimension(f, request.dimension)
        order = keys.metric_order(request.metric)
        query: dict[str, Any] = window_range(f, start, end)
        if request.locality:
            query = {"bool": {"filter": [query, keys.locality(f, request.dimension, request.locality)]}}
        sums = keys.sums(f)
        aggs = await self.index.aggregate_query(
            query, {"ranked": keys.terms(fields, k, order, dict(sums)), "total": sums["bytes"]}
        )
        return [keys.entry(b, fmt) for b in aggs["ranked"]["buckets"]], int(aggs["total"]["value"] or 0)

    async def search_flows(
        self, request: flows_pb2.SearchFlowsRequest, flt: EsFilter, size: int
    ) -> tuple[list[flows_pb2.FlowRecord], str]:
        """One sorted page of documents; the token carries the last hit's sort values (search_after)."""
        f = self.index.layout
        sort = pages.sort_of(f, request)
        after = pages.decode_token(request)
        body: dict[str, Any] = {"query": flt.query, "sort": sort, "size": size + 1, "track_total_hits": False}
        if after is not None:
            body["search_after"] = after
        hits = (await self.index.search(**body))["hits"]["hits"]
        token = pages.encode_token(request, hits[size - 1]["sort"]) if len(hits) > size else ""
        return [pages.to_record(f, h["_source"]) for h in hits[:size]], token

    async def time_series(
        self, request: flows_pb2.TimeSeriesRequest, flt: EsFilter, width: int, n: int
    ) -> list[flows_pb2.Series]:
        """A date_histogram of the metric; grouped: the same histogram under each of the top-n keys."""
        f = self.index.layout
        order = keys.metric_order(request.metric)
        subs = {} if order == "_count" else {order: keys.sums(f)[order]}
        histogram = {"date_histogram": {"field": f.start, "fixed_interval": f"{width}s", "min_doc_count": 1}}
        histogram["aggs"] = subs
        if request.group_by:
            fields, fmt = keys.dimension(f, request.group_by)
            aggs = await self.index.aggregate_query(
                flt.query, {"groups": keys.terms(fields, n, order, {**subs, "t": histogram})}
            )
            groups = [(keys.render(b, fmt), b["t"]["buckets"]) for b in aggs["groups"]["buckets"]]
        else:
            aggs = await self.index.aggregate_query(flt.query, {"t": histogram})
            groups = [("total", aggs["t"]["buckets"])]
        return [
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

    async def country_stats(self, flt: EsFilter, k: int) -> list[flows_pb2.CountryStat]:
        """Per country: bytes sent/received and flows, each flow counted on both of its sides."""
        f = self.index.layout
        sides: dict[str, Any] = {}
        for side, other in (("source", "destination"), ("destination", "source")):
            address, sent, country = f.side(side)
            sides[side] = {
                "terms": {"field": country, "size": MAX_COUNTRIES},
                "aggs": {
                    "out": {"sum": {"field": sent}},
                    "in": {"sum": {"field": f.side(other)[1]}},
                    "hosts": {"cardinality": {"field": address}},
                },
            }
        aggs = await self.index.aggregate_query(flt.query, sides)
        merged: dict[str, flows_pb2.CountryStat] = {}
        for side in sides:
            for b in aggs[side]["buckets"]:
                stat = merged.setdefault(b["key"], flows_pb2.CountryStat(country=b["key"]))
                stat.bytes_sent += int(b["out"]["value"] or 0)
                stat.bytes_received += int(b["in"]["value"] or 0)
                stat.flows += int(b["doc_count"])
                stat.hosts += int(b["hosts"]["value"])
        return sorted(merged.values(), key=lambda s: (-(s.bytes_sent + s.bytes_received), s.country))[:k]

    async def device_stats(self, flt: EsFilter) -> list[flows_pb2.ExporterStat]:
        """Per exporter and interface: flows, bytes and packets in and out."""
        f = self.index.layout
        sums = keys.sums(f)
        interfaces = {
            side: {"terms": {"field": field, "size": MAX_INTERFACES}, "aggs": sums}
            for side, field in (("ingress", f.ingress), ("egress", f.egress))
        }
        aggs = await self.index.aggregate_query(
            flt.query,
            {
                "exporters": {
                    "terms": {"field": f.exporter, "size": MAX_EXPORTERS, "order": {"_key": "asc"}},
                    "aggs": {
                        **sums,
                        "first": {"min": {"field": f.start}},
                        "last": {"max": {"field": f.end}},
                        **interfaces,
                    },
                }
            },
        )
        return [self._exporter(b) for b in aggs["exporters"]["buckets"]]

    @staticmethod
    def _exporter(b: dict[str, Any]) -> flows_pb2.ExporterStat:
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
        return stat

    async def analyze_traffic(self, flt: EsFilter, n: int) -> flows_pb2.AnalyzeTrafficResponse:
        """Totals and the protocol, talker, service and destination rankings, in one aggregation request."""
        f = self.index.layout
        sums = keys.sums(f)
        wanted = (
            ("protocols", flows_pb2.TOP_K_DIMENSION_L7_PROTO, f.application),
            ("top_talkers", flows_pb2.TOP_K_DIMENSION_SRC_IP, f.src_ip),
            ("top_services", flows_pb2.TOP_K_DIMENSION_DST_PORT, f.dst_port),
            ("top_destinations", flows_pb2.TOP_K_DIMENSION_DST_IP, f.dst_ip),
        )
        rankings = {name: keys.dimension(f, d) for name, d, needs in wanted if f.has(needs)}
        unavailable = [str(f.missing(needs, name, self.index.index)) for name, _, needs in wanted if not f.has(needs)]
        totals: dict[str, Any] = {**sums, "flows": {"value_count": {"field": f.start}}}
        if f.has(f.hosts):
            totals["hosts"] = {"cardinality": {"field": f.hosts, "precision_threshold": 40000}}
        else:
            unavailable.append(str(f.missing(f.hosts, "totals.hosts (addresses on either side)", self.index.index)))
        if f.src_bytes != f.bytes:
            totals["client_to_server"] = {"sum": {"field": f.src_bytes}}
        else:  # one direction per document: nothing tells client from server
            unavailable.append(str(f.missing("source.bytes", "totals.client_to_server_bytes", self.index.index)))
        aggs = await self.index.aggregate_query(
            flt.query,
            {**{name: keys.terms(fields, n, "bytes", dict(sums)) for name, (fields, _) in rankings.items()}, **totals},
        )
        answer = flows_pb2.AnalyzeTrafficResponse(
            totals=flows_pb2.TrafficTotals(
                bytes=int(aggs["bytes"]["value"] or 0),
                packets=int(aggs["packets"]["value"] or 0),
                flows=int(aggs["flows"]["value"] or 0),
                hosts=int(aggs.get("hosts", {}).get("value") or 0),
                client_to_server_bytes=int(aggs.get("client_to_server", {}).get("value") or 0),
            ),
            unavailable=unavailable,
        )
        for name, (_, fmt) in rankings.items():
            getattr(answer, name).extend(keys.entry(b, fmt) for b in aggs[name]["buckets"])
        return answer

    async def host_profile(
        self, ip: str, window: common_pb2.TimeWindow, n: int, direction: int
    ) -> flows_pb2.InvestigateHostResponse:
        """The host's sides (as `direction` asks) in one aggregation request."""
        return await investigate.host_profile(self.index, ip, window, n, direction)

    async def detect(
        self, flt: EsFilter, request: flows_pb2.FindAnomaliesRequest, kinds: frozenset[int]
    ) -> list[flows_pb2.Finding]:
        """The aggregation detectors of `anomalies` and `timing`."""
        return await anomalies.detect(self.index, self._settings, flt, request, kinds)

    def unavailable(self, kinds: frozenset[int]) -> dict[int, str]:
        """Detectors needing a field these documents lack (DGA without DNS names)."""
        return anomalies.unavailable(self.index.layout, self.index.index, kinds)

    def load_caveats(self) -> list[str]:
        """Documents without an exporter field: their interfaces are told apart by ifIndex alone."""
        return bottlenecks.caveats(self.index.layout, self.index.index)

    async def interface_load(self, flt: EsFilter, width: int) -> list[LoadRow]:
        """Per-interface spread histograms (see `bottlenecks`)."""
        return await bottlenecks.interface_load(self.index, flt, width)

    async def top_pairs(self, flt: EsFilter, key: InterfaceKey, first: int, last: int) -> list[flows_pb2.TopKEntry]:
        """A multi_terms ranking of address pairs through the interface."""
        return await bottlenecks.top_pairs(self.index, flt, key, first, last)

    async def ingest(self, batches: AsyncIterator[flows_pb2.IngestFlowsRequest]) -> IngestResult:
        """Batches bulk-indexed as documents of the scenario layout, each batch once."""
        return await self._ingestor.ingest(batches)
