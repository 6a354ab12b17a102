"""Chart renders TimeSeries and TopK answers as PNG images."""

from __future__ import annotations

import grpc
import pytest

from netscope.flows.v1 import flows_pb2
from netscope_common.timeutil import make_window
from netscope_scenario.world import World
from tests.integration.flows.conftest import FlowsService

pytestmark = pytest.mark.integration
PNG = b"\x89PNG\r\n\x1a\n"


def test_time_series_and_topk_charts(flows_service: FlowsService, scenario_world: World) -> None:
    window = make_window(scenario_world.start, scenario_world.end)
    series = flows_service.stub.Chart(
        flows_pb2.ChartRequest(
            time_series=flows_pb2.TimeSeriesRequest(
                filter=flows_pb2.FlowFilter(window=window), group_by=flows_pb2.TOP_K_DIMENSION_L7_PROTO
            ),
            width=800,
            height=400,
        )
    )
    assert series.png.startswith(PNG) and len(series.png) > 5_000
    assert series.title == "bytes over time"
    bars = flows_service.stub.Chart(
        flows_pb2.ChartRequest(top_k=flows_pb2.TopKRequest(window=window, k=5), title="Top talkers")
    )
    assert bars.png.startswith(PNG) and bars.title == "Top talkers"


def test_chart_arguments_are_checked(flows_service: FlowsService) -> None:
    for request, needle in [
        (flows_pb2.ChartRequest(), "set time_series or top_k"),
        (flows_pb2.ChartRequest(top_k=flows_pb2.TopKRequest(), width=10), "width must be 200-3000 pixels"),
    ]:
        with pytest.raises(grpc.RpcError) as exc:
            flows_service.stub.Chart(request)
        assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert needle in str(exc.value.details())
