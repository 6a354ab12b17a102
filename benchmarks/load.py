"""Sustained mixed MCP load: N concurrent clients for D seconds; error rate, p50/p99 per tool, RSS per process.

By default it starts its own stack on free loopback ports (scenario world in chdb for flows and alerts,
snmpsim serving the scenario's devices, live fed by a NetFlow v9 replay, the aggregator); with --url and
--token it drives a running stack instead (e.g. `make demo`, then RSS is not measured).

With --kill flows,alerts,snmp,live (own stack only) it SIGKILLs each listed service in turn while the load
runs, keeps it down --down seconds, starts it again on the same data, and reports per outage: success of the
tools that do not need it, errors and fail-fast latency of those that do, partial fan-out answers, and the
time from the restarted service's SERVING to the last call that still missed it.

Run: uv run python -m benchmarks.load [--clients 16] [--seconds 300] [--url URL --token TOKEN]
     uv run python -m benchmarks.load --clients 8 --seconds 60 --kill flows,alerts,snmp,live  (runs on until the
     last service has been back for --settle seconds)
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

from tests.resilience.full_stack import FullStack, full_stack
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
    stack: FullStack | None = None


# which service each tool of the mix calls; investigate_host fans out and answers partially without one
NEEDS = {
    "query_ntopng_database": {"flows"},
    "get_flow_top_k": {"flows"},
    "list_alerts": {"alerts"},
    "get_snmp_device_info": {"snmp"},
    "get_host_info": {"live"},
    "investigate_host": {"live", "flows", "alerts"},
    "search_docs": set(),
}
FANOUT = {"investigate_host"}


@dataclass
class Event:
    """One call: tool, start and end (monotonic seconds), failed (tool error), partial (fan-out part missing)."""

    tool: str
    started: float
    ended: float
    failed: bool
    partial: bool
    why: str  # the error text and the missing parts' reasons

    def missed(self, service: str) -> bool:
        """Failed or partial because `service` could not be reached."""
        return f"the {service} service is unavailable" in self.why or f"the {service} service did not" in self.why

    def ok(self) -> bool:
        """Answered, with no part missing for want of a service."""
        return not self.failed and not any(self.missed(s) for s in NEEDS["investigate_host"] | {"snmp"})


@dataclass
class Outage:
    """One kill: when the service died, when it was started again, when it reported SERVING again."""

    service: str
    killed: float
    restarted: float
    serving: float


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


async def client(target: Target, calls: list[tuple[str, dict[str, Any]]], out: dict[str, Any]) -> None:
    """One MCP session calling the mix in a random order until `out["stop_at"]` (monotonic seconds)."""
    async with mcp_session(target.url, target.token) as session:
        order = calls[:]
        while time.monotonic() < out["stop_at"]:
            random.shuffle(order)
            for name, arguments in order:
                if time.monotonic() >= out["stop_at"]:
                    return
                started = time.monotonic()
                partial, why = False, ""
                try:
                    result = await asyncio.wait_for(session.call_tool(name, arguments), 60)
                    failed = bool(result.is_error)
                    text = " ".join(getattr(c, "text", "") for c in result.content) if failed else ""
                    content = result.structured_content if isinstance(result.structured_content, dict) else {}
                    partial, why = bool(content.get("partial")), text + json.dumps(content.get("missing", {}))
                except TimeoutError:
                    failed, text = True, "no answer in 60 s"
                except MCPError as exc:  # a JSON-RPC error response (e.g. rate limited); the session goes on
                    failed, text = True, f"MCP error {exc.code}: {exc}"
                ended = time.monotonic()
                out["latency"][name].append(ended - started)
                out["events"].append(Event(name, started, ended, failed, partial, why or text))
                if failed:
                    out["errors"][name].append(text[:200])


async def chaos(stack: FullStack, services: list[str], down: float, settle: float, out: dict[str, Any]) -> None:
    """Kill each service in turn (SIGKILL), keep it down `down` s, start it again, let the load settle.

    The load goes on until the last service has been back for `settle` seconds, even past --seconds.
    """
    out["stop_at"] = float("inf")
    await asyncio.sleep(settle)
    for service in services:
        await asyncio.to_thread(stack.kill, service)
        killed = time.monotonic()
        await asyncio.sleep(down)
        restarted = time.monotonic()
        await asyncio.to_thread(stack.start_again, service)
        out["outages"].append(Outage(service, killed, restarted, time.monotonic()))
        print(f"  {service}: killed, restarted after {down:g} s, SERVING {time.monotonic() - restarted:.1f} s later")
        await asyncio.sleep(settle)
    out["stop_at"] = max(out["deadline"], time.monotonic())


async def load(
    target: Target, clients: int, seconds: float, kill: list[str] | None = None, down: float = 10, settle: float = 15
) -> dict[str, Any]:
    """Run the clients (and the kills, when asked); returns latencies, errors, events, outages and duration."""
    started = time.monotonic()
    out: dict[str, Any] = {"latency": defaultdict(list), "errors": defaultdict(list), "events": [], "outages": []}
    out["deadline"] = out["stop_at"] = started + seconds
    jobs = [client(target, mix(target), out) for _ in range(clients)]
    if kill:
        if target.stack is None:
            raise SystemExit("--kill needs the benchmark's own stack (no --url)")
        jobs.append(chaos(target.stack, kill, down, settle, out))
    await asyncio.gather(*jobs)
    out["seconds"] = time.monotonic() - started
    return out


def outage_report(out: dict[str, Any]) -> str:
    """Per outage: the other tools' success, its tools' errors and fail-fast latency, partial answers, recovery."""
    lines = [
        "| killed | restart → SERVING s | other tools ok | its tools failed (p50 / max ms) | fan-out partial | "
        "recovered after SERVING s | its calls after SERVING ok |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    events: list[Event] = out["events"]
    outages: list[Outage] = out["outages"]
    for o, following in zip(outages, [*outages[1:], None], strict=True):
        end = min(o.serving + 15, following.killed if following else o.serving + 15)
        after = [e for e in events if e.started >= o.killed and e.ended <= end]
        others = [e for e in after if o.service not in NEEDS[e.tool]]
        ok = sum(e.ok() for e in others)
        down = [e for e in after if e.ended <= o.restarted and o.service in NEEDS[e.tool]]
        single = sorted(e.ended - e.started for e in down if e.tool not in FANOUT and e.failed and e.missed(o.service))
        single_all = [e for e in down if e.tool not in FANOUT]
        partial = [e for e in down if e.tool in FANOUT]
        missed = [e.ended for e in after if e.ended > o.serving and e.missed(o.service)]
        back = [e for e in after if e.started >= o.serving and o.service in NEEDS[e.tool]]
        named = sum(e.partial and e.missed(o.service) for e in partial)
        fail_ms = f"{statistics.median(single) * 1e3:.0f} / {single[-1] * 1e3:.0f}" if single else "-"
        lines.append(
            f"| {o.service} | {o.serving - o.restarted:.1f} | {ok}/{len(others)} ({ok / max(len(others), 1):.2%}) "
            f"| {len(single)}/{len(single_all)} ({fail_ms}) | {named}/{len(partial)} "
            f"| {max(0.0, max(missed, default=o.serving) - o.serving):.2f} "
            f"| {sum(not e.missed(o.service) for e in back)}/{len(back)} |"
        )
    return "\n".join(lines)


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
    lines.append(
        f"\n{total} calls in {seconds:.0f} s ({total / seconds:.0f}/s), error rate {errors / max(total, 1):.2%}"
    )
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
                yield Target(stack.mcp_url, ADMIN_TOKEN, host, inventory["devices"][0]["id"], pids, stack)
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
    parser.add_argument("--kill", default="", help="services to SIGKILL in turn during the load, e.g. flows,live")
    parser.add_argument("--down", type=float, default=10, help="seconds each killed service stays down")
    parser.add_argument("--settle", type=float, default=15, help="seconds of load before and after each kill")
    args = parser.parse_args()
    kill = [s for s in args.kill.split(",") if s]
    if unknown := set(kill) - set(NEEDS["investigate_host"] | {"snmp"}):
        parser.error(f"--kill takes flows, alerts, snmp, live; got {', '.join(sorted(unknown))}")
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
        out = asyncio.run(load(target, args.clients, args.seconds, kill, args.down, args.settle))
        now = {n: p.popen.pid for n, p in target.stack.processes.items()} if target.stack else target.pids
        rss = {name: (start_rss[name], rss_mib(now[name])) for name in target.pids}  # restarted: the new process
    print(report(out, out["seconds"], rss))
    if kill:
        print("\n" + outage_report(out))


if __name__ == "__main__":
    main()
