"""Sustained mixed MCP load: N concurrent clients for D seconds; error rate, p50/p99 per tool, RSS per process.

By default it starts its own stack on free loopback ports (scenario world in chdb for flows and alerts,
snmpsim serving the scenario's devices, live fed by a NetFlow v9 replay, the aggregator); with --url and
--token it drives a running stack instead (e.g. `make demo`, then RSS is not measured).

Run: uv run python -m benchmarks.load [--clients 16] [--seconds 300] [--url URL --token TOKEN]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import statistics
import subprocess
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from mcp.shared.exceptions import MCPError

from tests.resilience.full_stack import full_stack
from tests.support.processes import NETSCOPE, start
from tests.support.snmpsim import start_snmpsim
from tests.support.stack import ADMIN_TOKEN, mcp_session

SEED, HOURS, FLOWS_PER_HOUR = 11, 6, 2_000
TOP_APPS = "SELECT L7_PROTO, sum(TOTAL_BYTES) b FROM flows GROUP BY 1 ORDER BY b DESC LIMIT 10"


@dataclass
class Target:
    """What the load runs against: URL, token, the arguments that name real things, and pids to watch."""

    url: str
    token: str
    host: str
    device: str
    pids: dict[str, int] = field(default_factory=dict)


def mix(target: Target) -> list[tuple[str, dict[str, Any]]]:
    """The tool calls the clients cycle through."""
    return [
        ("query_ntopng_database", {"query": TOP_APPS}),
        ("get_flow_top_k", {"dimension": "host", "metric": "bytes", "hours": 24, "k": 10}),
        ("list_alerts", {"limit": 20}),
        ("get_snmp_device_info", {"device": target.device}),
        ("get_host_info", {"ip": target.host}),
        ("investigate_host", {"ip": target.host, "hours": 24}),
        ("search_docs", {"query": "how do I find the top talkers"}),
    ]  # fmt: skip


def rss_mib(pid: int) -> float:
    """Resident memory of a process (and 0 when it is gone)."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def client(target: Target, calls: list[tuple[str, dict[str, Any]]], stop_at: float, out: dict[str, Any]) -> None:
    """One MCP session calling the mix in a random order until `stop_at`."""
    async with mcp_session(target.url, target.token) as session:
        order = calls[:]
        while time.monotonic() < stop_at:
            random.shuffle(order)
            for name, arguments in order:
                if time.monotonic() >= stop_at:
                    return
                started = time.monotonic()
                try:
                    result = await asyncio.wait_for(session.call_tool(name, arguments), 60)
                    failed = bool(result.is_error)
                    text = " ".join(getattr(c, "text", "") for c in result.content) if failed else ""
                except TimeoutError:
                    failed, text = True, "no answer in 60 s"
                except MCPError as exc:  # a JSON-RPC error response (e.g. rate limited); the session goes on
                    failed, text = True, f"MCP error {exc.code}: {exc}"
                out["latency"][name].append(time.monotonic() - started)
                if failed:
                    out["errors"][name].append(text[:200])


async def load(target: Target, clients: int, seconds: float) -> dict[str, Any]:
    """Run the clients; returns latencies and errors per tool."""
    out: dict[str, Any] = {"latency": defaultdict(list), "errors": defaultdict(list)}
    stop_at = time.monotonic() + seconds
    await asyncio.gather(*(client(target, mix(target), stop_at, out) for _ in range(clients)))
    return out


def report(out: dict[str, Any], seconds: float, rss: dict[str, tuple[float, float]]) -> str:
    """A markdown table per tool, the totals, and RSS at start and end."""
    lines = ["| tool | calls | errors | p50 ms | p99 ms |", "|---|---:|---:|---:|---:|"]
    total = errors = 0
    for name in sorted(out["latency"]):
        samples = sorted(out["latency"][name])
        failed = len(out["errors"][name])
        total, errors = total + len(samples), errors + failed
        p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
        lines.append(
            f"| {name} | {len(samples)} | {failed} | {statistics.median(samples) * 1e3:.0f} | {p99 * 1e3:.0f} |"
        )
    lines.append(f"\n{total} calls in {seconds:g} s ({total / seconds:.0f}/s), error rate {errors / max(total, 1):.2%}")
    if rss:
        lines += ["", "| process | RSS start MiB | RSS end MiB |", "|---|---:|---:|"]
        lines += [f"| {name} | {start:.0f} | {end:.0f} |" for name, (start, end) in rss.items()]
    for name, texts in out["errors"].items():
        for text in sorted(set(texts))[:3]:
            lines.append(f"\nerror sample ({name}): {text}")
    return "\n".join(lines)


@contextlib.contextmanager
def own_stack(root: Path) -> Iterator[Target]:
    """Generate and load a scenario world, start snmpsim, every service, a replay and the aggregator."""
    world, logs = root / "world", root / "logs"
    generate = ["scenario", "generate", "--seed", str(SEED), "--hours", str(HOURS)]
    subprocess.run(
        [*NETSCOPE, *generate, "--flows-per-hour", str(FLOWS_PER_HOUR), "--out", str(world)],
        check=True,
        timeout=900,
        capture_output=True,
    )
    for store in ("flows", "alerts"):
        subprocess.run(
            [*NETSCOPE, "scenario", "load", "--dsn", f"chdb://{root / store}", "--from", str(world)],
            check=True,
            timeout=900,
            capture_output=True,
        )
    inventory = yaml.safe_load((world / "snmp" / "inventory.yaml").read_text())
    agent = start_snmpsim(world / "snmp", logs, probe_community=inventory["devices"][0]["id"])
    for device in inventory["devices"]:
        device.update(port=agent.port, poll_interval_seconds=30)
    (root / "inventory.yaml").write_text(yaml.safe_dump(inventory))
    truth = json.loads((world / "ground_truth.json").read_text())
    host = next(i for i in truth["incidents"] if i["kind"] == "exfiltration")["hosts"][0]
    extra = {
        "snmp": {"NETSCOPE_SNMP_INVENTORY_PATH": str(root / "inventory.yaml")},
        # one token for all clients: lift the per-token limit (600/min) so it measures capacity, not the limiter
        "aggregator": {"NETSCOPE_AGGREGATOR_RATE_LIMIT_PER_MINUTE": "1000000"},
    }
    try:
        with full_stack(root, flows_dsn=f"chdb://{root / 'flows'}", call_timeout_seconds=30, extra_env=extra) as stack:
            collector = f"127.0.0.1:{stack.envs['live']['NETSCOPE_LIVE_COLLECTOR_PORT']}"
            replay_args = ["scenario", "replay", "--to", collector, "--from", str(world), "--version", "9"]
            replay = start("replay", [*NETSCOPE, *replay_args, "--rate", "200"], {}, logs)
            try:
                time.sleep(5)  # the replayed hosts become active in live
                pids = {name: p.popen.pid for name, p in stack.processes.items()}
                yield Target(stack.mcp_url, ADMIN_TOKEN, host, inventory["devices"][0]["id"], pids)
            finally:
                replay.stop()
    finally:
        agent.process.stop()


def main() -> None:
    """Parse arguments, run the load once, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--url", help="MCP URL of a running stack (e.g. http://127.0.0.1:8000/mcp/)")
    parser.add_argument("--token", help="its admin token (with --url)")
    parser.add_argument("--host", default="10.1.2.42", help="host to ask about (with --url)")
    parser.add_argument("--device", default="hq-vpn-1", help="SNMP device id (with --url)")
    args = parser.parse_args()
    if args.url:
        if not args.token:
            parser.error("--url needs --token")
        target_cm: contextlib.AbstractContextManager[Target] = contextlib.nullcontext(
            Target(args.url, args.token, args.host, args.device)
        )
    else:
        target_cm = own_stack(Path(tempfile.mkdtemp(prefix="netscope-load-")))
    with target_cm as target:
        start_rss = {name: rss_mib(pid) for name, pid in target.pids.items()}
        print(f"load: {args.clients} clients x {args.seconds:g} s against {target.url}", flush=True)
        out = asyncio.run(load(target, args.clients, args.seconds))
        rss = {name: (start_rss[name], rss_mib(pid)) for name, pid in target.pids.items()}
    print(report(out, args.seconds, rss))


if __name__ == "__main__":
    main()
