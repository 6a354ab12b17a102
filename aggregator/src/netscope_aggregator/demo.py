"""`netscope demo`: the whole system on one machine, on embedded defaults, with a simulated network."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated

import grpc
import httpx
import typer
import yaml
from grpc_health.v1 import health_pb2, health_pb2_grpc

NETSCOPE = [sys.executable, "-m", "netscope_common"]


@dataclass
class Component:
    """One process of the demo."""

    name: str
    args: list[str]
    env: dict[str, str]
    health: str  # "grpc:HOST:PORT", "http:URL" or "alive:SECONDS" (still running after that long)
    background: bool = False  # a one-shot job: its exit does not stop the demo
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)


def _wait(component: Component, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    kind, _, target = component.health.partition(":")
    if kind == "alive":
        time.sleep(float(target))
        assert component.process is not None
        if component.process.poll() not in (None, 0):
            raise RuntimeError(f"{component.name} exited; last log lines:\n{log.read_text()[-2000:]}")
        return
    while time.monotonic() < deadline:
        assert component.process is not None
        if component.process.poll() is not None:
            raise RuntimeError(f"{component.name} exited; last log lines:\n{log.read_text()[-2000:]}")
        try:
            if kind == "grpc":
                with grpc.insecure_channel(target) as channel:
                    reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            elif httpx.get(target, timeout=1).status_code == 200:
                return
        except (grpc.RpcError, httpx.HTTPError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{component.name} did not become healthy in {timeout:g} s; see {log}")


def _inventory_for(world: Path, data_dir: Path, agent_port: int) -> Path:
    """The world's SNMP inventory pointed at this run's agent port (the data may come from an earlier run)."""
    inventory = yaml.safe_load((world / "snmp" / "inventory.yaml").read_text())
    for device in inventory["devices"]:
        device["port"] = agent_port
    path = data_dir / "snmp-inventory.yaml"
    path.write_text(yaml.safe_dump(inventory, sort_keys=False))
    return path


def _stop_all(components: list[Component], grace_seconds: float = 10.0) -> None:
    """SIGTERM every running component (newest first), wait up to `grace_seconds` in all, then SIGKILL the rest:
    no component outlives the demo, even one stuck in its shutdown."""
    running = [c.process for c in reversed(components) if c.process is not None and c.process.poll() is None]
    for process in running:
        process.terminate()
    deadline = time.monotonic() + grace_seconds
    for process in running:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _run_step(description: str, args: list[str]) -> None:
    typer.echo(f"· {description}")
    subprocess.run(args, check=True)


def _capacities(world: Path) -> dict[str, str]:
    """The simulated exporters' interface speeds for DetectBottlenecks (scenario's capacities.json), when written."""
    path = world / "capacities.json"
    return {"NETSCOPE_FLOWS_INTERFACE_CAPACITY_BPS": path.read_text()} if path.is_file() else {}


def demo(
    data_dir: Annotated[Path, typer.Option(help="Where the demo keeps its data and logs.")] = Path("var/demo"),
    seed: Annotated[int, typer.Option(help="Seed of the simulated network.")] = 7,
    hours: Annotated[float, typer.Option(help="Hours of history to simulate.")] = 24.0,
    port: Annotated[int, typer.Option(help="HTTP port of the MCP endpoint.")] = 8000,
    grpc_base_port: Annotated[
        int, typer.Option(help="gRPC port of flows; alerts, snmp and live take the next three.")
    ] = 50051,
    collector_port: Annotated[int, typer.Option(help="UDP port of the NetFlow/IPFIX collector.")] = 2055,
    agent_port: Annotated[int, typer.Option(help="UDP port of the simulated SNMP agents.")] = 1161,
    fresh: Annotated[bool, typer.Option(help="Regenerate the data even if it exists.")] = False,
) -> None:
    """Start every service and the aggregator on loopback with simulated data; Ctrl-C stops all."""
    data_dir = data_dir.resolve()
    if fresh and data_dir.exists():
        shutil.rmtree(data_dir)
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    world = data_dir / "scenario"
    if not (world / "ntopng" / "flows.parquet").is_file():
        _run_step(
            f"generating {hours:g} h of a simulated network (seed {seed})",
            [
                *NETSCOPE,
                "scenario",
                "generate",
                "--seed",
                str(seed),
                "--hours",
                str(hours),
                "--snmp-port",
                str(agent_port),
                "--out",
                str(world),
            ],
        )
    installed = {ep.name for ep in entry_points(group="netscope.services")}
    stores = {"flows": data_dir / "flows", "alerts": data_dir / "alerts"}
    for name, store in stores.items():
        if name in installed and not store.exists():
            _run_step(
                f"loading the {name} store",
                [*NETSCOPE, "scenario", "load", "--dsn", f"chdb://{store}", "--from", str(world)],
            )

    token = os.environ.get("NETSCOPE_DEMO_TOKEN") or secrets.token_urlsafe(18)
    ports = {name: grpc_base_port + offset for offset, name in enumerate(("flows", "alerts", "snmp", "live"))}
    components = [
        Component(
            "flows",
            [*NETSCOPE, "serve", "flows"],
            {
                "NETSCOPE_FLOWS_DSN": f"chdb://{stores['flows']}",
                "NETSCOPE_FLOWS_PORT": str(ports["flows"]),
                **_capacities(world),
            },
            f"grpc:127.0.0.1:{ports['flows']}",
        ),
        Component(
            "alerts",
            [*NETSCOPE, "serve", "alerts"],
            {
                "NETSCOPE_ALERTS_DSN": f"chdb://{stores['alerts']}",
                "NETSCOPE_ALERTS_PORT": str(ports["alerts"]),
                "NETSCOPE_ALERTS_STATE_DIR": str(data_dir / "alerts-state"),
            },
            f"grpc:127.0.0.1:{ports['alerts']}",
        ),
    ]
    responder = shutil.which("snmpsim-command-responder", path=str(Path(sys.executable).parent))
    if "snmp" in installed and responder:
        components.insert(
            0,
            Component(
                "snmpsim",
                [
                    responder,
                    f"--data-dir={world / 'snmp'}",
                    f"--cache-dir={data_dir / 'snmpsim-cache'}",
                    f"--agent-udpv4-endpoint=127.0.0.1:{agent_port}",
                ],
                {"SNMPSIM_ALLOW_ROOT": "true"},
                "alive:3",
            ),
        )
        components.append(
            Component(
                "snmp",
                [*NETSCOPE, "serve", "snmp"],
                {
                    "NETSCOPE_SNMP_PORT": str(ports["snmp"]),
                    "NETSCOPE_SNMP_INVENTORY_PATH": str(_inventory_for(world, data_dir, agent_port)),
                    "NETSCOPE_SNMP_STATE_PATH": str(data_dir / "snmp-state.json"),
                    "NETSCOPE_SNMP_ALERTS_TARGET": f"127.0.0.1:{ports['alerts']}",
                },
                f"grpc:127.0.0.1:{ports['snmp']}",
            )
        )
    components.append(
        Component(
            "live",
            [*NETSCOPE, "serve", "live"],
            {
                "NETSCOPE_LIVE_PORT": str(ports["live"]),
                "NETSCOPE_LIVE_COLLECTOR_PORT": str(collector_port),
                # The replay re-sends flows that are already in the history store, so the demo's collector
                # keeps them live only; `netscope serve live` with NETSCOPE_LIVE_FLOWS_TARGET stores them.
                "NETSCOPE_LIVE_SETTINGS_DIR": str(data_dir / "live-state"),
            },
            f"grpc:127.0.0.1:{ports['live']}",
        )
    )
    components = [c for c in components if c.name in installed or c.name == "snmpsim"]
    components.append(
        Component(
            "replay",
            [
                *NETSCOPE,
                "scenario",
                "replay",
                "--to",
                f"127.0.0.1:{collector_port}",
                "--from",
                str(world),
                "--version",
                "9",
                "--realtime",
                "--loop-minutes",
                "60",
                "--backfill-minutes",
                "1",
            ],
            {},
            "alive:1",
            background=True,
        )
    )
    components.append(
        Component(
            "aggregator",
            [*NETSCOPE, "serve", "aggregator"],
            {
                "NETSCOPE_AGGREGATOR_PORT": str(port),
                "NETSCOPE_AGGREGATOR_TOKENS": f"demo:admin:{token}",
                **{f"NETSCOPE_AGGREGATOR_{name.upper()}_TARGET": f"127.0.0.1:{p}" for name, p in ports.items()},
            },
            f"http:http://127.0.0.1:{port}/healthz",
        )
    )
    try:
        # The gRPC services start side by side (none needs another to start); the others start in order,
        # once every service before them is healthy.
        starting: list[tuple[Component, Path]] = []
        for component in components:
            service = component.health.startswith("grpc:")
            if not service:
                for waiting, waiting_log in starting:
                    _wait(waiting, waiting_log)
                starting.clear()
            log = logs / f"{component.name}.log"
            with log.open("wb") as handle:
                component.process = subprocess.Popen(
                    component.args, env={**os.environ, **component.env}, stdout=handle, stderr=subprocess.STDOUT
                )
            typer.echo(f"· starting {component.name} (log: {log})")
            if service:
                starting.append((component, log))
            else:
                _wait(component, log)
        for waiting, waiting_log in starting:
            _wait(waiting, waiting_log)
        url = f"http://127.0.0.1:{port}/mcp/"
        config = {"type": "http", "url": url, "headers": {"Authorization": f"Token {token}"}}
        typer.echo(f"\nnetscope is running.\n  MCP endpoint: {url}\n  token (admin): {token}\n")
        typer.echo(f"  Claude Code:  claude mcp add-json netscope '{json.dumps(config)}' --scope user")
        typer.echo(f"  curl check:   curl -s -H 'Authorization: Token {token}' http://127.0.0.1:{port}/readyz\n")
        typer.echo("Press Ctrl-C to stop.")
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        servers = [c for c in components if not c.background]
        while all(c.process is not None and c.process.poll() is None for c in servers):
            time.sleep(0.5)
        dead = [c.name for c in servers if c.process is not None and c.process.poll() is not None]
        typer.echo(f"stopping: {', '.join(dead)} exited (see {logs})", err=True)
    except KeyboardInterrupt:
        typer.echo("\nstopping…")
    except RuntimeError as error:  # a component did not start: say which and why, stop the others
        typer.echo(f"netscope demo could not start: {error}", err=True)
        raise typer.Exit(1) from None
    finally:
        _stop_all(components)
