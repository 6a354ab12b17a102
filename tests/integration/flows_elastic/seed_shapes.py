"""One world in the three field layouts of NetFlow in Elasticsearch, and seed 003's calls as flows requests.

The seed's layout keeps only the fields seed 003 lists (elastickent/netflow_mcp at 055fdc3,
tests/compat/upstream/netflow_es.json `document_fields`); the ECS integration's drops what the Elastic Agent /
Filebeat NetFlow integration does not write (ntopng's application names, DNS names). Both are projections of
the scenario's ECS documents, each in its own indices with a mapping of only its fields.
"""

from __future__ import annotations

import copy
import gzip
import json
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

from elasticsearch import AsyncElasticsearch
from elasticsearch.helpers import async_bulk

from netscope.flows.v1 import flows_pb2
from netscope_flows.elastic.loader import MAPPING, ecs_files

UPSTREAM = json.loads((Path(__file__).parents[2] / "compat/upstream/netflow_es.json").read_text())
SEED_FIELDS = frozenset(
    {*UPSTREAM["document_fields"]["required_by_queries"], *UPSTREAM["document_fields"]["read_but_unused"]}
)
ECS_DROPS = frozenset({"netflow.application_name", "dns.question.name", "dns.question.registered_domain"})
SHAPES = ("scenario", "ecs", "seed")


def _keeps(shape: str, path: str) -> bool:
    if shape == "seed":
        return path in SEED_FIELDS
    return shape == "scenario" or path not in ECS_DROPS


def _project(tree: dict[str, Any], shape: str, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, item in tree.items():
        path = f"{prefix}{name}"
        if isinstance(item, dict):
            inner = _project(item, shape, f"{path}.")
            if inner:
                out[name] = inner
        elif _keeps(shape, path):
            out[name] = item
    return out


def mapping(shape: str) -> dict[str, Any]:
    """The scenario's index mapping with only the shape's fields."""

    def prune(props: dict[str, Any], prefix: str) -> dict[str, Any]:
        out = {}
        for name, spec in props.items():
            path = f"{prefix}{name}"
            if "properties" in spec:
                inner = prune(spec["properties"], f"{path}.")
                if inner:
                    out[name] = {**spec, "properties": inner}
            elif _keeps(shape, path):
                out[name] = copy.deepcopy(spec)
        return out

    return {**MAPPING, "properties": prune(MAPPING["properties"], "")}


def _documents(files: Iterable[Path]) -> Iterable[tuple[str, dict[str, Any]]]:
    for path in files:
        day = path.name.removesuffix(".ndjson.gz").removeprefix("logs-netflow-")
        with gzip.open(path, "rt") as fh:
            for line in fh:
                if line.strip():
                    yield day, json.loads(line)


async def load_shape(
    client: AsyncElasticsearch, directory: Path, shape: str, *, exporter: str = "", prefix: str = ""
) -> int:
    """Index the scenario's ECS documents under `directory` as `shape` into `<prefix>-netflow-YYYY.MM.DD` (prefix:
    the shape's name); with `exporter`, only the documents that exporter sent."""
    files = ecs_files(directory)
    prefix = prefix or shape
    for path in files:
        name = f"{prefix}-netflow-" + path.name.removesuffix(".ndjson.gz").removeprefix("logs-netflow-")
        await client.indices.create(index=name, mappings=mapping(shape), settings={"number_of_shards": 1})

    async def actions() -> AsyncIterator[dict[str, Any]]:
        for n, (day, doc) in enumerate(_documents(files)):
            if not exporter or exporter in doc["observer"]["ip"]:
                yield {"_index": f"{prefix}-netflow-{day}", "_id": str(n), "_source": _project(doc, shape)}

    indexed, _ = await async_bulk(client, actions(), chunk_size=500, refresh="wait_for")
    return indexed


# Seed 003's tools and arguments -> the flows request answering them (the aggregator's mapping, see docs/flows.md).
ANOMALY_TYPES: dict[str, list[int]] = {
    "all": [],  # every detector
    "port_scan": [flows_pb2.ANOMALY_KIND_HORIZONTAL_SCAN, flows_pb2.ANOMALY_KIND_VERTICAL_SCAN],
    "traffic_spike": [flows_pb2.ANOMALY_KIND_TRAFFIC_SPIKE, flows_pb2.ANOMALY_KIND_TRAFFIC_DROP],
    "rare_ports": [flows_pb2.ANOMALY_KIND_RARE_PORT],
}
DIRECTIONS = {
    "both": flows_pb2.HOST_DIRECTION_BOTH,
    "source": flows_pb2.HOST_DIRECTION_SOURCE,
    "destination": flows_pb2.HOST_DIRECTION_DESTINATION,
}
