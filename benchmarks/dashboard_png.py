"""Render the Grafana dashboard's panels from a Prometheus scrape of the demo into a PNG (docs/dashboard.png).

Starts `netscope demo` (a short history) with every service's /metrics port on and live storing what its
collector receives, runs Debian's Prometheus scraping all five processes every 5 s, drives a mix of tool calls
over MCP for a few minutes (some of them refused on purpose: bad SQL, a host that is not live), then asks
Prometheus for each panel's queries over that window and draws them with matplotlib.

Run: uv run python -m benchmarks.dashboard_png [--minutes 4] [--out docs/dashboard.png]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from tests.support.demo import SERVICES, free_block
from tests.support.processes import NETSCOPE, free_port, running, wait_http_ok
from tests.support.stack import mcp_session

ROOT = Path(__file__).resolve().parents[1]
DASHBOARD = ROOT / "k8s" / "monitoring" / "netscope-dashboard.json"
TOKEN = "dashboard-demo-token-0123456789"
HOST = "10.1.2.42"
RATE_WINDOW = "1m"  # the dashboard's rate windows are 5 m; a run of a few minutes draws them over 1 m
CALLS: list[tuple[str, dict[str, Any]]] = [
    ("list_tables_ntopng_database", {}),
    ("query_ntopng_database", {"query": "SELECT PROTOCOL, count() FROM flows GROUP BY PROTOCOL LIMIT 5"}),
    ("query_ntopng_database", {"query": "DROP TABLE flows"}),  # refused by the SQL guard
    ("get_flow_top_k", {"hours": 1}),
    ("investigate_host", {"ip": HOST, "hours": 1}),
    ("network_health", {}),
    ("list_snmp_devices", {}),
    ("get_live_flows_summary", {}),
    ("get_collector_stats", {}),
    ("list_alerts", {}),
    ("get_host_info", {"ip": "192.0.2.250"}),  # not a live host: a tool error
]


def prometheus_config(targets: dict[str, str], path: Path) -> None:
    """A scrape job per process, every 5 s."""
    jobs = [
        {"job_name": name, "scrape_interval": "5s", "static_configs": [{"targets": [target]}]}
        for name, target in targets.items()
    ]
    path.write_text(json.dumps({"global": {"scrape_interval": "5s"}, "scrape_configs": jobs}))


async def drive(url: str, minutes: float) -> int:
    """Tool calls from 4 concurrent sessions for `minutes`; returns how many were made."""
    stop = time.monotonic() + minutes * 60
    made = 0

    async def session_loop(seed: int) -> None:
        nonlocal made
        rng = random.Random(seed)
        async with mcp_session(url, TOKEN) as session:
            while time.monotonic() < stop:
                tool, arguments = rng.choice(CALLS)
                await session.call_tool(tool, arguments)
                made += 1
                await asyncio.sleep(rng.uniform(0.05, 0.5))

    await asyncio.gather(*(session_loop(seed) for seed in range(4)))
    return made


def query_range(prometheus: str, expr: str, start: float, end: float) -> list[dict[str, Any]]:
    """Prometheus /api/v1/query_range over the run, one point per 10 s."""
    reply = httpx.get(
        f"{prometheus}/api/v1/query_range",
        params={"query": expr, "start": start, "end": end, "step": "10s"},
        timeout=30,
    )
    reply.raise_for_status()
    return reply.json()["data"]["result"]


def legend(template: str, labels: dict[str, str]) -> str:
    """Grafana's {{label}} legend format."""
    text = template
    for name, value in labels.items():
        text = text.replace(f"{{{{{name}}}}}", value)
    return text


def render(prometheus: str, start: float, end: float, out: Path) -> None:
    """One subplot per dashboard panel, laid out as in Grafana (two columns)."""
    panels = json.loads(DASHBOARD.read_text())["panels"]
    rows = (len(panels) + 1) // 2
    figure, axes = plt.subplots(rows, 2, figsize=(16, 3.1 * rows), squeeze=False)
    for ax, panel in zip(axes.flat, panels, strict=False):
        lines = 0
        for target in panel["targets"]:
            expr = target["expr"].replace("[5m]", f"[{RATE_WINDOW}]")  # the run is minutes long, not hours
            for series in query_range(prometheus, expr, start, end):
                points = [(float(t) - start, float(v)) for t, v in series["values"] if v not in ("NaN", "+Inf")]
                if points:
                    xs, ys = zip(*points, strict=True)
                    ax.plot([x / 60 for x in xs], ys, label=legend(target["legendFormat"], series["metric"])[:40])
                    lines += 1
        ax.set_title(panel["title"], fontsize=10)
        ax.set_xlabel("minutes", fontsize=8)
        ax.set_ylabel(panel["fieldConfig"]["defaults"]["unit"], fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        if lines:
            ax.legend(fontsize=6, loc="upper left", ncol=2 if lines > 6 else 1)
        else:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes, color="grey")
    for ax in axes.flat[len(panels) :]:
        ax.set_visible(False)
    figure.suptitle(
        f"netscope dashboard from a Prometheus scrape of `netscope demo` (rates over {RATE_WINDOW})", fontsize=13
    )
    figure.tight_layout(rect=(0, 0, 1, 0.985))
    figure.savefig(out, dpi=80)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=4.0)
    parser.add_argument("--hours", type=float, default=2.0, help="hours of simulated history")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "dashboard.png")
    args = parser.parse_args()
    binary = shutil.which("prometheus")
    if not binary:
        raise SystemExit("prometheus missing: install the Debian packages in scripts/apt-packages.txt")
    http_port, grpc_base = free_port(), free_block(len(SERVICES))
    grpc = {name: grpc_base + offset for offset, name in enumerate(SERVICES)}
    metrics = {name: free_port() for name in SERVICES}
    env = {f"NETSCOPE_{name.upper()}_METRICS_PORT": str(port) for name, port in metrics.items()}
    env["NETSCOPE_LIVE_FLOWS_TARGET"] = f"127.0.0.1:{grpc['flows']}"  # live stores what it collects
    env["NETSCOPE_DEMO_TOKEN"] = TOKEN
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        demo = [
            *NETSCOPE,
            "demo",
            f"--data-dir={root / 'demo'}",
            f"--hours={args.hours:g}",
            f"--port={http_port}",
            f"--grpc-base-port={grpc_base}",
            f"--collector-port={free_port(socket.SOCK_DGRAM)}",
            f"--agent-port={free_port(socket.SOCK_DGRAM)}",
        ]
        base = f"http://127.0.0.1:{http_port}"
        with running("demo", demo, env, root / "logs") as process:
            wait_http_ok(f"{base}/readyz", timeout=900, process=process)
            targets = {"aggregator": f"127.0.0.1:{http_port}"}
            targets.update({name: f"127.0.0.1:{port}" for name, port in metrics.items()})
            prometheus_config(targets, root / "prometheus.yml")
            web = free_port()
            command = [
                binary,
                f"--config.file={root / 'prometheus.yml'}",
                f"--storage.tsdb.path={root / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{web}",
            ]
            with running("prometheus", command, {}, root / "logs") as prometheus:
                url = f"http://127.0.0.1:{web}"
                wait_http_ok(f"{url}/-/ready", timeout=60, process=prometheus)
                start = time.time()
                made = asyncio.run(drive(f"{base}/mcp/", args.minutes))
                time.sleep(10)  # the last scrapes
                render(url, start, time.time(), args.out)
    print(f"{made} tool calls over {args.minutes:g} min; wrote {args.out}")


if __name__ == "__main__":
    main()
