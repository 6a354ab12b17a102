"""Entry point: `netscope serve alerts` (or `python -m netscope_alerts.main`)."""

from __future__ import annotations

from netscope.alerts.v1 import alerts_pb2_grpc
from netscope_alerts.app import AlertsApp
from netscope_alerts.settings import AlertsSettings
from netscope_common.server import ServiceSpec, run
from netscope_common.settings import load_settings

SERVICE_NAME = "netscope.alerts.v1.AlertsService"


def build_spec(settings: AlertsSettings) -> ServiceSpec:
    """The kit's ServiceSpec for the alerts service."""
    app = AlertsApp(settings)
    return ServiceSpec(
        name="alerts",
        settings=settings,
        servicers=[(alerts_pb2_grpc.add_AlertsServiceServicer_to_server, app.servicer, SERVICE_NAME)],
        health_check=app.health_check,
        startup=app.startup,
        starting="opening the alert store",
        shutdown=app.shutdown,
        detail=app.serving_detail,
    )


def main() -> None:
    """Build settings from the environment and run the service until SIGTERM."""
    run(build_spec(load_settings(AlertsSettings, "alerts")))


if __name__ == "__main__":
    main()
