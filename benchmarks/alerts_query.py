"""Benchmark: ListAlerts first page and AlertStats over 1M alerts in embedded chdb.

Usage: uv run python benchmarks/alerts_query.py [--rows 1000000] [--repeat 7]
Loads ROWS alerts over 7 days (70% host, 20% SNMP, 10% system) into a temporary chdb directory, then times
the service's own query code (the same AlertRepository the gRPC servicer calls) and prints medians.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta

from netscope.alerts.v1 import alerts_pb2 as pb
from netscope_alerts.alerts import AlertFilter, AlertRepository
from netscope_alerts.exclusions import ExclusionStore, normalise
from netscope_alerts.schema import ensure_schema
from netscope_alerts.store import Store

END = datetime(2026, 1, 8, tzinfo=UTC)
SPAN = 7 * 86400


def load_sql(table: str, rows: int, extra_cols: str, extra_vals: str, ids: str) -> str:
    return (
        f"INSERT INTO {table} (rowid, alert_id, alert_status, tstamp, tstamp_end, severity, score, counter,"
        f" description, json{extra_cols}) SELECT generateUUIDv4(), {ids}[number % length({ids}) + 1],"
        f" if(number % 10 = 0, 1, 0), toDateTime({int(END.timestamp())} - intDiv(number * {SPAN}, {rows})),"
        f" toDateTime({int(END.timestamp())} - intDiv(number * {SPAN}, {rows})), [2, 3, 4, 5, 6][number % 5 + 1],"
        " number % 100, 1, concat('alert ', toString(number)), concat('{\"n\": ', toString(number), '}')"
        f"{extra_vals} FROM numbers({rows})"
    )


async def timed(fn, repeat: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples), max(samples)


async def main(rows: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as data:
        store = Store(f"chdb://{data}")
        await store.open()
        await ensure_schema(store)
        started = time.perf_counter()
        host_rows, snmp_rows = rows * 7 // 10, rows * 2 // 10
        system_rows = rows - host_rows - snmp_rows
        await store.command(
            load_sql("host_alerts", host_rows, ", ip, ip_version, name",
                     ", concat('10.', toString(number % 50), '.', toString(intDiv(number, 50) % 200), '.1'), 4, ''",
                     "[5, 22, 16, 26, 28]")
        )  # fmt: skip
        await store.command(
            load_sql("snmp_alerts", snmp_rows, ", ip, port, name",
                     ", concat('192.168.', toString(number % 20), '.1'), number % 48, 'switch'", "[4191, 4177]")
        )  # fmt: skip
        await store.command(load_sql("system_alerts", system_rows, ", name", ", 'ntopng'", "[4187, 4125]"))
        print(f"loaded {rows:,} alerts in {time.perf_counter() - started:.1f} s")
        exclusions = ExclusionStore(store)
        repo = AlertRepository(store, exclusions)

        def flt(days: int, **kw: object) -> AlertFilter:
            return AlertFilter(start=END - timedelta(days=days), end=END, **kw)  # type: ignore[arg-type]

        cases = {
            "ListAlerts page 1 (50, newest), 24 h, all kinds": lambda: repo.list_alerts(
                flt(1), sort=0, page_size=50, page_token=""
            ),
            "ListAlerts page 1 (50, newest), 7 d, all kinds": lambda: repo.list_alerts(
                flt(7), sort=0, page_size=50, page_token=""
            ),
            "ListAlerts page 1 (50, by severity), 7 d, host": lambda: repo.list_alerts(
                flt(7, kind=pb.ENTITY_KIND_HOST), sort=pb.SORT_ORDER_SEVERITY, page_size=50, page_token=""
            ),
            "AlertStats top 10, 24 h, all kinds": lambda: repo.stats(flt(1), 10),
            "AlertStats top 10, 7 d, all kinds": lambda: repo.stats(flt(7), 10),
            "AlertStats top 10, 7 d, host, severity >= error": lambda: repo.stats(
                flt(7, kind=pb.ENTITY_KIND_HOST, min_severity="error"), 10
            ),
        }
        await repo.stats(flt(1), 10)  # warm-up (first query loads marks and caches)
        results = {}
        for name, fn in cases.items():
            results[name] = await timed(fn, repeat)
        await exclusions.add(normalise("domain", "example.com"), "bench")
        results["AlertStats top 10, 7 d, all kinds, 1 domain exclusion"] = await timed(
            lambda: repo.stats(flt(7), 10), repeat
        )
        await exclusions.remove(normalise("domain", "example.com"))
        await exclusions.add(normalise("host", "10.1.0.0/16"), "bench")
        results["AlertStats top 10, 7 d, all kinds, 1 host exclusion"] = await timed(
            lambda: repo.stats(flt(7), 10), repeat
        )
        await exclusions.add(normalise("domain", "example.com"), "bench")
        results["AlertStats top 10, 7 d, all kinds, 2 exclusions"] = await timed(lambda: repo.stats(flt(7), 10), repeat)
        results["ListAlerts page 1, 7 d, all kinds, 2 exclusions"] = await timed(
            lambda: repo.list_alerts(flt(7), sort=0, page_size=50, page_token=""), repeat
        )
        print(f"{'query':55s} {'median s':>9s} {'max s':>7s}")
        for name, (median, worst) in results.items():
            print(f"{name:55s} {median:9.3f} {worst:7.3f}")
        await store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(main(args.rows, args.repeat))
