"""Prometheus metrics of the NetFlow/IPFIX collector, read from its counters at scrape time (no cost per record)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import REGISTRY
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from netscope_live.collector_source import CollectorSource


class CollectorMetrics(Collector):
    """Datagrams, records, drops by reason and the live table's size of the collector being watched."""

    def __init__(self) -> None:
        self.source: CollectorSource | None = None

    def describe(self) -> Iterator[Metric]:
        """The families this collector exports (without values)."""
        yield CounterMetricFamily("netscope_live_collector_datagrams", "UDP datagrams received")
        yield CounterMetricFamily("netscope_live_collector_records", "flow records decoded")
        yield CounterMetricFamily("netscope_live_collector_drops", "flow records lost, by where", labels=["reason"])
        yield CounterMetricFamily("netscope_live_collector_malformed_packets", "datagrams that were not NetFlow/IPFIX")
        yield GaugeMetricFamily("netscope_live_active_flows", "flows in the live table")

    def collect(self) -> Iterator[Metric]:
        """The collector's counters as metric families (nothing before a collector is watched)."""
        source = self.source
        if source is None:
            return
        exporters = list(source.collector.decoder.stats.values())
        table, ingest = source.table, source.ingest.counters
        yield CounterMetricFamily(
            "netscope_live_collector_datagrams", "UDP datagrams received", value=source.collector.counters.datagrams
        )
        yield CounterMetricFamily(
            "netscope_live_collector_records", "flow records decoded", value=sum(s.records for s in exporters)
        )
        drops = CounterMetricFamily("netscope_live_collector_drops", "flow records lost, by where", labels=["reason"])
        drops.add_metric(["sequence_gap"], sum(s.lost_records for s in exporters))
        drops.add_metric(["table_full"], table.counters.flows_dropped_table_full)
        drops.add_metric(["ingest_queue_full"], ingest.dropped_queue_full)
        drops.add_metric(["ingest_failed"], ingest.failed)
        yield drops
        yield CounterMetricFamily(
            "netscope_live_collector_malformed_packets",
            "datagrams that were not valid NetFlow/IPFIX",
            value=sum(s.malformed_packets for s in exporters),
        )
        yield GaugeMetricFamily("netscope_live_active_flows", "flows in the live table", value=len(table.flows))


_COLLECTOR = CollectorMetrics()


def watch(source: CollectorSource) -> None:
    """Export the counters of `source` (the latest one, when a process builds several)."""
    if _COLLECTOR.source is None:
        REGISTRY.register(_COLLECTOR)
    _COLLECTOR.source = source
