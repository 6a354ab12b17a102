"""Entry point: `netscope serve flows`."""

from __future__ import annotations

from netscope.flows.v1 import flows_pb2_grpc
from netscope_common.server import ServiceSpec, run
from netscope_flows.servicer import FlowsServicer
from netscope_flows.settings import FlowsSettings
from netscope_flows.store import ClickHouseStore

SERVICE_NAME = "netscope.flows.v1.FlowsService"


def build_spec(settings: FlowsSettings) -> ServiceSpec:
    """Wire the store and the servicer into a runnable service (ClickHouse/chdb, or Elasticsearch)."""
    if settings.backend == "elasticsearch":
        # imported here so the ClickHouse path does not load the Elasticsearch client
        from netscope_flows.elastic.servicer import build_servicer

        servicer, backend = build_servicer(settings)
        return ServiceSpec(
            name="flows",
            settings=settings,
            servicers=[(flows_pb2_grpc.add_FlowsServiceServicer_to_server, servicer, SERVICE_NAME)],
            health_check=backend.ping,
            startup=backend.open,
            shutdown=backend.close,
        )
    store = ClickHouseStore(settings)
    return ServiceSpec(
        name="flows",
        settings=settings,
        servicers=[(flows_pb2_grpc.add_FlowsServiceServicer_to_server, FlowsServicer(store, settings), SERVICE_NAME)],
        health_check=store.ping,
        startup=store.open,
        shutdown=store.close,
    )


def main() -> None:
    """Run the flows service with settings from the environment."""
    run(build_spec(FlowsSettings()))
