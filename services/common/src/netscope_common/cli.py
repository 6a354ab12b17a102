"""The `netscope` command: serve a service, run the aggregator or the demo, plus commands packages add."""

from __future__ import annotations

import os
import sys
from importlib.metadata import entry_points, version

import typer

app = typer.Typer(help="netscope: network observability for AI assistants.", no_args_is_help=True)

SERVICES_GROUP = "netscope.services"
CLI_GROUP = "netscope.cli"
# Commands defined here: running one of them loads no command group, so `netscope serve flows` imports the
# flows plugin alone (the groups pull in the aggregator's web stack and the scenario generator: seconds).
OWN_COMMANDS = frozenset({"serve", "aggregator", "version"})


def installed_services() -> dict[str, str]:
    """Service name -> entry point target, for every installed netscope package."""
    return {ep.name: ep.value for ep in entry_points(group=SERVICES_GROUP)}


@app.command()
def serve(service: str = typer.Argument(..., help="flows, alerts, snmp, live or aggregator")) -> None:
    """Run one service in the foreground (settings from NETSCOPE_<SERVICE>_* variables)."""
    found = {ep.name: ep for ep in entry_points(group=SERVICES_GROUP)}
    if service not in found:
        known = ", ".join(sorted(found)) or "none"
        typer.echo(f"unknown or uninstalled service '{service}'; installed: {known}", err=True)
        raise typer.Exit(2)
    found[service].load()()


@app.command()
def aggregator(
    workers: int = typer.Option(
        0, "--workers", min=0, help="worker processes on one port (needs NETSCOPE_AGGREGATOR_STATELESS_HTTP=true)"
    ),
) -> None:
    """Run the MCP aggregator (same as `netscope serve aggregator`; --workers sets NETSCOPE_AGGREGATOR_WORKERS)."""
    if workers:
        os.environ["NETSCOPE_AGGREGATOR_WORKERS"] = str(workers)
    serve("aggregator")


@app.command(name="version")
def show_version() -> None:
    """Print the installed netscope packages and their versions."""
    for dist in (
        "netscope-common",
        "netscope-ntopng",
        "netscope-flows",
        "netscope-alerts",
        "netscope-snmp",
        "netscope-live",
        "netscope-aggregator",
        "netscope-scenario",
        "netscope-protos",
    ):
        try:
            typer.echo(f"{dist} {version(dist)}")
        except Exception:  # noqa: S112 - a package that is not installed is simply not listed
            continue


def _register_plugins() -> None:
    for ep in entry_points(group=CLI_GROUP):
        try:
            sub = ep.load()
        except Exception as exc:
            typer.echo(f"warning: cannot load command group '{ep.name}': {exc}", err=True)
            continue
        if isinstance(sub, typer.Typer):
            app.add_typer(sub, name=ep.name)
        else:
            app.command(name=ep.name)(sub)


def main() -> None:
    """Console entry point."""
    if len(sys.argv) < 2 or sys.argv[1] not in OWN_COMMANDS:
        _register_plugins()
    app()
