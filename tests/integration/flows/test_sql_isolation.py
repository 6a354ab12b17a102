"""Runaway assistant SQL cannot starve other callers: engine time limit, per-token caps, bounded wait.

The service runs with a 6 s wait bound and a 2 s engine limit for assistant SQL (conftest), on one engine lane
(the embedded store, the HTTP double).
"""

from __future__ import annotations

import re
import time

import grpc
import httpx
import pytest

from netscope.flows.v1 import flows_pb2
from netscope_common.client import call_metadata
from netscope_common.timeutil import make_window
from netscope_scenario.world import World
from tests.integration.flows.conftest import FlowsService
from tests.support.hostile_sql import RUNAWAY_SQL

pytestmark = pytest.mark.integration


def _query(service: FlowsService, sql: str, token: str) -> grpc.Future:
    return service.stub.Query.future(flows_pb2.QueryRequest(sql=sql), timeout=60, metadata=call_metadata("test", token))


def _outcome(call: grpc.Future) -> tuple[grpc.StatusCode, str]:
    try:
        call.result()
    except grpc.RpcError as error:
        return error.code(), str(error.details())
    return grpc.StatusCode.OK, ""


def test_runaway_statements_end_at_the_engines_limits_with_a_clear_error(flows_service: FlowsService) -> None:
    for sql in RUNAWAY_SQL:
        code, message = _outcome(_query(flows_service, sql, "runaway"))
        assert code in (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.RESOURCE_EXHAUSTED), (sql, code, message)
        assert "time limit" in message or "narrow" in message, (sql, message)


def _sql_gauges(service: FlowsService) -> dict[str, int]:
    """Assistant SQL running, waiting and overrunning (its caller answered, the engine still on it) now."""
    text = httpx.get(service.metrics_url, timeout=10).text
    return {
        m.group(1): int(float(m.group(2)))
        for m in re.finditer(r"^netscope_flows_sql_(running|waiting|overrunning) (\S+)$", text, re.M)
    }


def _admission(service: FlowsService) -> tuple[int, int]:
    """Assistant SQL running and waiting in the service now (its metrics)."""
    found = _sql_gauges(service)
    return found["running"], found["waiting"]


def _sql_log(service: FlowsService) -> str:
    """The service's recent log lines about assistant SQL (what held the engine, for a failure's message)."""
    return "\n".join(line for line in service.process.log().splitlines()[-60:] if "method=Query" in line)


def test_a_benign_call_and_the_purpose_built_tools_answer_beside_runaways(
    flows_service: FlowsService, scenario_world: World
) -> None:
    # the engine is left by the statements of the tests before (on chdb one may still run past its limit: the
    # service has answered it and waits for it, see test_store_overrun)
    deadline = time.monotonic() + 60
    while any((gauges := _sql_gauges(flows_service)).values()):
        assert time.monotonic() < deadline, f"the engine stayed busy: {gauges}\n{_sql_log(flows_service)}"
        time.sleep(0.1)
    runaways = [_query(flows_service, RUNAWAY_SQL[0], f"hog-{i % 4}") for i in range(16)]
    # the benign caller comes while the runaways hold the engine and queue for it (on a loaded machine the
    # service may take a while to take in 16 calls; a caller arriving between two runaways waits for one more)
    deadline = time.monotonic() + 30
    while (admitted := _admission(flows_service))[0] < 1 or sum(admitted) < 16:
        assert time.monotonic() < deadline, f"the runaways never reached admission: {admitted}"
        time.sleep(0.05)
    benign = _query(flows_service, "SELECT count() FROM flows", "analyst")
    topk = flows_service.stub.TopK.future(
        flows_pb2.TopKRequest(window=make_window(scenario_world.start, scenario_world.end), k=5), timeout=60
    )
    outcome = _outcome(benign)
    assert outcome == (grpc.StatusCode.OK, ""), _sql_log(flows_service)
    assert len(topk.result().entries) == 5
    ended = [_outcome(call) for call in runaways]
    # each runaway is cut by the engine, or refused at once / after the wait naming the limit
    assert {code for code, _ in ended} <= {grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.RESOURCE_EXHAUSTED}
    assert any(code == grpc.StatusCode.DEADLINE_EXCEEDED for code, _ in ended)
    refused = [message for code, message in ended if code == grpc.StatusCode.RESOURCE_EXHAUSTED]
    assert all("limit" in message for message in refused), refused


def test_a_caller_that_goes_away_has_its_query_stopped(flows_service: FlowsService) -> None:
    kills = flows_service.process.log().count("sql_killed")
    with pytest.raises(grpc.RpcError) as gone:
        flows_service.stub.Query(
            flows_pb2.QueryRequest(sql=RUNAWAY_SQL[0]), timeout=1, metadata=call_metadata("test", "leaver")
        )
    assert gone.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    answer = flows_service.stub.Query(
        flows_pb2.QueryRequest(sql="SELECT count() FROM flows"), timeout=30, metadata=call_metadata("test", "next")
    )
    assert answer.table.rows
    if flows_service.process.env.get("NETSCOPE_FLOWS_DSN", "").startswith("chdb:"):
        return  # chdb cannot interrupt a running query: its engine limit ended it (the call above waited for it)
    deadline = time.monotonic() + 30
    while flows_service.process.log().count("sql_killed") == kills and time.monotonic() < deadline:
        time.sleep(0.1)
    assert flows_service.process.log().count("sql_killed") == kills + 1  # KILL QUERY WHERE query_id = ... sent
