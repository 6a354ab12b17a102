"""`netscope status`: the aggregator's /status as a table (or JSON for scripts)."""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

DEFAULT_URL = "http://127.0.0.1:8000"


def _duration(seconds: object) -> str:
    if not isinstance(seconds, int | float):
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if days else f"{hours}h {minutes}m" if hours else f"{minutes}m {secs}s"


def _last_error(row: dict[str, Any]) -> str:
    if not row.get("last_error"):
        return "-"
    ago = _duration(time.time() - row["last_error_at"]) if row.get("last_error_at") else "?"
    return f"{row['last_error']} ({ago} ago)"


def _rates(row: dict[str, Any], unit: str) -> str:
    if "calls_per_minute" not in row:
        return "-"
    return f"{row['calls_per_minute']} {unit}/min, {row['errors_per_minute']} errors/min"


def render(status: dict[str, Any], console: Console) -> None:
    """One row for the aggregator, one per service."""
    table = Table(title="netscope status", show_lines=False)
    for column in ("process", "health", "version", "uptime", "rates (last minute)", "last error"):
        table.add_column(column, overflow="fold")
    agg = status["aggregator"]
    limited = f", {agg.get('rate_limited_total', 0)} rate-limited" if agg.get("rate_limited_total") else ""
    table.add_row(
        "aggregator",
        "[green]up[/green]",
        str(agg.get("version", "-")),
        _duration(agg.get("uptime_seconds")),
        _rates(agg, "tool calls") + limited,
        _last_error(agg),
    )
    for name, row in status["services"].items():
        if not row["serving"]:
            health = f"[red]NOT SERVING[/red] {row.get('reason', '')}"
        else:
            health = (
                f"[green]SERVING[/green] [yellow]{row['detail']}[/yellow]"
                if row.get("detail")
                else "[green]SERVING[/green]"
            )
        table.add_row(
            f"{name} ({row['target']})",
            health,
            str(row.get("version", "-")),
            _duration(row.get("uptime_seconds")),
            _rates(row, "RPCs"),
            _last_error(row),
        )
    console.print(table)


def status(
    url: Annotated[str, typer.Option(help="the aggregator's HTTP address (not /mcp)")] = DEFAULT_URL,
    as_json: Annotated[bool, typer.Option("--json", help="print the raw status as JSON")] = False,
    timeout: Annotated[float, typer.Option(help="seconds to wait for the answer")] = 10.0,
) -> None:
    """Each service's health and reason, version, uptime, last error and recent rates, as the aggregator sees them."""
    address = url.rstrip("/").removesuffix("/mcp")
    try:
        reply = httpx.get(f"{address}/status", timeout=timeout)
        reply.raise_for_status()
    except httpx.HTTPError as exc:
        typer.echo(f"cannot read {address}/status: {exc}; is the aggregator running there? (--url)", err=True)
        raise typer.Exit(1) from None
    answer = reply.json()
    if as_json:
        typer.echo(json.dumps(answer, indent=2))
    else:
        render(answer, Console(width=max(Console().width, 140)))
    if not all(row["serving"] for row in answer["services"].values()):
        raise typer.Exit(3)
