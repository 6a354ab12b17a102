"""Create `logs-netflow-*` indices with an explicit ECS mapping and bulk-index NetFlow documents into them."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

from elasticsearch import AsyncElasticsearch
from elasticsearch.helpers import async_bulk


def _props(**fields: Any) -> dict[str, Any]:
    return {"properties": fields}


_IP, _LONG, _DATE, _KW = {"type": "ip"}, {"type": "long"}, {"type": "date"}, {"type": "keyword"}


def _endpoint() -> dict[str, Any]:
    return _props(
        ip=_IP, port=_LONG, bytes=_LONG, packets=_LONG, mac=_KW,
        geo=_props(country_iso_code=_KW), **{"as": _props(number=_LONG)},
    )  # fmt: skip


# ECS types (ip, long, date, keyword); flow.id is long so pages can break ties in flow order.
MAPPING: dict[str, Any] = {
    "dynamic": False,
    "properties": {
        "@timestamp": _DATE,
        "event": _props(
            kind=_KW, category=_KW, type=_KW, action=_KW, start=_DATE, end=_DATE, duration=_LONG, dataset=_KW
        ),
        "source": _endpoint(),
        "destination": _endpoint(),
        "network": _props(
            bytes=_LONG, packets=_LONG, transport=_KW, iana_number=_KW, direction=_KW, community_id=_KW, protocol=_KW
        ),
        "observer": _props(ip=_IP, name=_KW, type=_KW),
        "netflow": _props(
            ingress_interface=_LONG,
            egress_interface=_LONG,
            protocol_identifier=_LONG,
            tcp_control_bits=_LONG,
            application_name=_KW,
            exporter=_props(address=_KW, source_id=_LONG, version=_LONG),
        ),
        "flow": _props(id=_LONG),
        "related": _props(ip=_IP),
        "dns": _props(question=_props(name=_KW, registered_domain=_KW)),
    },
}


async def ensure_index(client: AsyncElasticsearch, name: str) -> None:
    """Create index `name` with MAPPING unless it exists."""
    if not await client.indices.exists(index=name):
        await client.indices.create(index=name, mappings=MAPPING, settings={"number_of_shards": 1})


def ecs_files(directory: Path) -> list[Path]:
    """The scenario's ECS files (`logs-netflow-YYYY.MM.DD.ndjson.gz`) under `directory` or `directory/ecs`."""
    root = directory / "ecs" if (directory / "ecs").is_dir() else directory
    return sorted(root.glob("logs-netflow-*.ndjson.gz"))


def _documents(files: Iterable[Path]) -> Iterable[tuple[str, dict[str, Any]]]:
    for path in files:
        index = path.name.removesuffix(".ndjson.gz")
        with gzip.open(path, "rt") as fh:
            for line in fh:
                if line.strip():
                    yield index, json.loads(line)


async def _actions(files: list[Path]) -> AsyncIterator[dict[str, Any]]:
    for index, doc in _documents(files):
        flow_id = doc.get("flow", {}).get("id")
        action: dict[str, Any] = {"_index": index, "_source": doc}
        if flow_id is not None:
            action["_id"] = str(flow_id)  # reloading the same files is idempotent
        yield action


async def load_ecs(client: AsyncElasticsearch, directory: Path, *, chunk_size: int = 500) -> int:
    """Index every ECS document under `directory` (daily indices, explicit mapping); returns how many."""
    files = ecs_files(directory)
    if not files:
        raise FileNotFoundError(f"no logs-netflow-*.ndjson.gz under {directory} (render the scenario with 'ecs')")
    for path in files:
        await ensure_index(client, path.name.removesuffix(".ndjson.gz"))
    indexed, _ = await async_bulk(client, _actions(files), chunk_size=chunk_size, refresh="wait_for")
    return indexed
