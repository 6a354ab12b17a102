"""Country and exporter (device) statistics over ntopng's flows table (ClickHouse)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import Any

from netscope.flows.v1 import flows_pb2
from netscope_common.timeutil import to_timestamp
from netscope_flows.arguments import MAX_EXPORTERS, MAX_INTERFACES
from netscope_flows.filters import DST_IP_SQL, SRC_IP_SQL, CompiledFilter, country_sql


def build_country_sql(flt: CompiledFilter, k: int) -> str:
    """Rows (country, sent, received, flows, hosts) of the k first countries, each flow counted on both sides."""
    sides = (
        f"[({country_sql('SRC_COUNTRY_CODE')}, SRC2DST_BYTES, DST2SRC_BYTES, {SRC_IP_SQL}), "
        f"({country_sql('DST_COUNTRY_CODE')}, DST2SRC_BYTES, SRC2DST_BYTES, {DST_IP_SQL})]"
    )
    return (
        "SELECT side.1 AS country, sum(side.2) AS sent, sum(side.3) AS received, count() AS flows, "
        f"uniqExact(side.4) AS hosts FROM flows ARRAY JOIN {sides} AS side WHERE {flt.where} AND side.1 != '' "
        f"GROUP BY country ORDER BY sent + received DESC, country LIMIT {k}"
    )


def to_country(row: Sequence[Any]) -> flows_pb2.CountryStat:
    """One row of build_country_sql."""
    country, sent, received, flows, hosts = row
    return flows_pb2.CountryStat(
        country=country, bytes_sent=int(sent), bytes_received=int(received), flows=int(flows), hosts=int(hosts)
    )


def build_exporter_sql(flt: CompiledFilter) -> str:
    """Rows (exporter, flows, bytes, packets, first, last) per exporter."""
    return (
        "SELECT IPv4NumToString(PROBE_IP) AS exporter, count(), sum(TOTAL_BYTES), sum(PACKETS), min(FIRST_SEEN), "
        f"max(LAST_SEEN) FROM flows WHERE {flt.where} AND PROBE_IP != 0 GROUP BY exporter ORDER BY exporter "
        f"LIMIT {MAX_EXPORTERS}"
    )


def build_interface_sql(flt: CompiledFilter) -> str:
    """Rows (exporter, ifIndex, in bytes, out bytes, in packets, out packets, in flows, out flows)."""
    return (
        "SELECT IPv4NumToString(PROBE_IP) AS exporter, side.1 AS if_index, "
        "sumIf(TOTAL_BYTES, side.2 = 'in'), sumIf(TOTAL_BYTES, side.2 = 'out'), "
        "sumIf(PACKETS, side.2 = 'in'), sumIf(PACKETS, side.2 = 'out'), "
        "countIf(side.2 = 'in'), countIf(side.2 = 'out') "
        "FROM flows ARRAY JOIN [(INPUT_SNMP, 'in'), (OUTPUT_SNMP, 'out')] AS side "
        f"WHERE {flt.where} AND PROBE_IP != 0 AND side.1 != 0 GROUP BY exporter, if_index "
        f"ORDER BY exporter, if_index LIMIT {MAX_INTERFACES}"
    )


def to_exporters(totals: Sequence[Sequence[Any]], interfaces: Sequence[Sequence[Any]]) -> list[flows_pb2.ExporterStat]:
    """Exporters with their interfaces nested."""
    out: dict[str, flows_pb2.ExporterStat] = {}
    for exporter, flows, nbytes, packets, first, last in totals:
        out[exporter] = flows_pb2.ExporterStat(
            exporter=exporter,
            flows=int(flows),
            bytes=int(nbytes),
            packets=int(packets),
            first_seen=to_timestamp(first.replace(tzinfo=first.tzinfo or UTC)),
            last_seen=to_timestamp(last.replace(tzinfo=last.tzinfo or UTC)),
        )
    for exporter, if_index, ib, ob, ip, op, iflows, oflows in interfaces:
        if exporter in out:
            out[exporter].interfaces.append(
                flows_pb2.InterfaceStat(
                    if_index=int(if_index),
                    in_bytes=int(ib),
                    out_bytes=int(ob),
                    in_packets=int(ip),
                    out_packets=int(op),
                    in_flows=int(iflows),
                    out_flows=int(oflows),
                )
            )
    return list(out.values())
