"""`netscope scenario ...`: generate, load and replay the simulated network."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from netscope_scenario.output import RENDERINGS, SCENARIO_FILE, generate
from netscope_scenario.world import DEFAULT_FLOWS_PER_HOUR, World, build_world

app = typer.Typer(help="Simulated network: one deterministic world rendered for every backend.", no_args_is_help=True)
console = Console(stderr=True, soft_wrap=True)


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code=2)


def _world(seed: int, hours: float, end: str | None, flows_per_hour: int) -> World:
    try:
        end_dt = datetime.fromisoformat(end.replace("Z", "+00:00")) if end else None
        return build_world(seed, hours, end_dt, flows_per_hour)
    except ValueError as exc:
        raise _fail(f"{exc}") from exc


def world_from_dir(directory: Path) -> World:
    """Rebuild the world a `generate` run wrote (from its scenario.json parameters)."""
    path = directory / SCENARIO_FILE
    if not path.is_file():
        raise _fail(f"{path} not found: pass a directory written by 'scenario generate'")
    p = json.loads(path.read_text())["params"]
    return _world(p["seed"], p["hours"], p["end"], p["flows_per_hour"])


@app.command("generate")
def generate_cmd(
    out: Annotated[Path, typer.Option("--out", help="Directory to write the renderings to.")],
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same bytes.")] = 1,
    hours: Annotated[float, typer.Option(help="Length of the simulated window, ending at --end.")] = 24.0,
    end: Annotated[str | None, typer.Option(help="Window end, ISO 8601 with zone (default: now, UTC).")] = None,
    flows_per_hour: Annotated[int, typer.Option(help="Average normal flows per hour.")] = DEFAULT_FLOWS_PER_HOUR,
    only: Annotated[list[str] | None, typer.Option(help=f"Renderings to write: {', '.join(RENDERINGS)}.")] = None,
    snmp_address: Annotated[str, typer.Option(help="Address of the snmpsim agent, for inventory.yaml.")] = "127.0.0.1",
    snmp_port: Annotated[int, typer.Option(help="Port of the snmpsim agent, for inventory.yaml.")] = 1161,
    snmp_static: Annotated[bool, typer.Option(help="Freeze SNMP counters instead of letting them grow.")] = False,
) -> None:
    """Write every rendering of the world to --out."""
    renderings = tuple(only) if only else RENDERINGS
    bad = sorted(set(renderings) - set(RENDERINGS))
    if bad:
        raise _fail(f"unknown rendering(s) {bad}; choose from {', '.join(RENDERINGS)}")
    if not 1 <= snmp_port <= 65535:
        raise _fail(f"--snmp-port must be 1-65535, got {snmp_port}")
    world = _world(seed, hours, end, flows_per_hour)
    expected = int(flows_per_hour * world.minutes / 60)
    columns = (TextColumn("flows"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("flows", total=expected)
        counts = generate(world, out, renderings=renderings, snmp_address=snmp_address, snmp_port=snmp_port,
                          snmp_live=not snmp_static, progress=lambda n: bar.advance(task, n))  # fmt: skip
        bar.update(task, total=counts["flows"], completed=counts["flows"])
    typer.echo(json.dumps({"out": str(out), **counts}))


@app.command("load")
def load_cmd(
    dsn: Annotated[str, typer.Option(help="ClickHouse: chdb:///path/to/dir, or http(s)://user:pw@host:8123/db.")],
    source: Annotated[Path, typer.Option("--from", help="Directory written by 'scenario generate'.")],
) -> None:
    """Create the ntopng tables and bulk-load flows and alerts."""
    import clickhouse_connect

    from netscope_scenario.load import load_clickhouse

    if not (source / "ntopng" / "flows.parquet").is_file():
        raise _fail(f"{source} has no ntopng/flows.parquet: run 'scenario generate --out {source}' first")
    try:
        client = clickhouse_connect.get_client(dsn=dsn)
    except Exception as exc:
        raise _fail(f"cannot open ClickHouse at {dsn!r}: {exc}") from exc
    counts = load_clickhouse(client, source)
    typer.echo(json.dumps(counts))


@app.command("replay")
def replay_cmd(
    to: Annotated[str, typer.Option(help="Collector address host:port (UDP).")] = "127.0.0.1:2055",
    version: Annotated[int, typer.Option(help="NetFlow 5, 9 or 10 (IPFIX).")] = 9,
    rate: Annotated[float, typer.Option(help="Flows per second (0 = as fast as possible).")] = 1000.0,
    source: Annotated[Path | None, typer.Option("--from", help="Replay the world of a generate directory.")] = None,
    seed: Annotated[int, typer.Option(help="Seed (when --from is not given).")] = 1,
    hours: Annotated[float, typer.Option(help="Hours (when --from is not given).")] = 1.0,
    flows_per_hour: Annotated[int, typer.Option(help="Flows per hour (when --from is not given).")] = 4_000,
    limit: Annotated[int | None, typer.Option(help="Stop after this many flows.")] = None,
    sampling: Annotated[int, typer.Option(help="Announce 1-in-N packet sampling (counts are divided by N).")] = 1,
    realtime: Annotated[
        bool,
        typer.Option(help="Play the world's last --loop-minutes on the wall clock, in a loop (a live feed)."),
    ] = False,
    loop_minutes: Annotated[int, typer.Option(help="--realtime: minutes of the world played per round.")] = 60,
    backfill_minutes: Annotated[int, typer.Option(help="--realtime: minutes sent at once at the start.")] = 5,
    rounds: Annotated[int, typer.Option(help="--realtime: rounds to play (0 = until stopped).")] = 0,
) -> None:
    """Send the world's flows as NetFlow/IPFIX UDP packets to a collector."""
    from netscope_scenario.exporter import replay, split_address
    from netscope_scenario.realtime import replay_realtime

    try:
        host, port = split_address(to)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    world = world_from_dir(source) if source else _world(seed, hours, None, flows_per_hour)
    try:
        if realtime:
            stats = replay_realtime(
                world,
                host,
                port,
                version,
                loop_seconds=loop_minutes * 60,
                backfill_seconds=backfill_minutes * 60,
                rounds=rounds or None,
            )
        else:
            stats = replay(world, host, port, version, rate, limit=limit, sampling_interval=sampling)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(json.dumps(stats))
