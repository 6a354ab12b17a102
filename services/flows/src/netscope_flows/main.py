"""Entry point: `netscope serve flows`."""

from __future__ import annotations

from netscope.flows.v1 import flows_pb2_grpc
from netscope_common.server import ServiceSpec, run
from netscope_common.settings import load_settings
from netscope_flows.backend import build_backend
from netscope_flows.servicer import FlowsServicer
from netscope_flows.settings import FlowsSettings

SERVICE_NAME = "netscope.flows.v1.FlowsService"


def build_spec(settings: FlowsSettings) -> ServiceSpec:
    """Wire the backend the settings choose (ClickHouse/chdb, or Elasticsearch) under the one servicer."""
    backend = build_backend(settings)
    return ServiceSpec(
        name="flows",
        settings=settings,
        servicers=[(flows_pb2_grpc.add_FlowsServiceServicer_to_server, FlowsServicer(backend, settings), SERVICE_NAME)],
        health_check=backend.ping,
        startup=backend.open,
        starting=f"opening the {settings.backend} flow store",
        shutdown=backend.close,
        detail=settings.serving_detail,
    )


def main() -> None:
    """Run the flows service with settings from the environment."""
    run(build_spec(load_settings(FlowsSettings, "flows")))
