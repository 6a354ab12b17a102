"""ntopng's error answers reach the assistant as the right status, naming the cause (FAKE ntopng replaying a real
ntopng 6.3's answers: its 404 for an unknown host, its 403 start-up page, its redirect to the login page)."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest

from netscope.live.v1 import live_pb2 as pb
from netscope.live.v1 import live_pb2_grpc
from netscope_aggregator.backends import describe_failure
from netscope_aggregator.contracts import SERVICES, retryable_methods
from netscope_common.client import open_channel
from tests.fixtures.ntopng.fake_ntopng import FakeNtopng, running_fake_ntopng
from tests.support.ntopng_target import NtopngTarget, live_service

pytestmark = pytest.mark.integration
UNKNOWN = "10.9.9.9"


@pytest.fixture
def fake() -> Iterator[NtopngTarget]:
    with running_fake_ntopng() as running:
        yield NtopngTarget(running.url, running.token, fake=running)


def _fake(target: NtopngTarget) -> FakeNtopng:
    assert target.fake is not None
    return target.fake


async def test_an_unknown_host_is_not_found_naming_the_host(fake: NtopngTarget) -> None:
    async with live_service(fake.settings()) as stub:
        for call in (
            stub.ListFlows(pb.ListFlowsRequest(host=UNKNOWN), timeout=10),
            stub.FlowsSummary(pb.FlowsSummaryRequest(host=UNKNOWN), timeout=10),
            stub.GetHost(pb.GetHostRequest(ip=UNKNOWN), timeout=10),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await call
            assert err.value.code() == grpc.StatusCode.NOT_FOUND
            assert f"host {UNKNOWN} is not active on ntopng interface 0" in str(err.value.details())
    assert _fake(fake).hits("/get/flow/active.lua") == 2  # asked ntopng, which answered 404


async def test_a_starting_ntopng_is_unavailable_saying_so(fake: NtopngTarget) -> None:
    async with live_service(fake.settings(ntopng_retries=1)) as stub:
        _fake(fake).fail("/get/flow/active.lua", "starting", times=2)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.ListFlows(pb.ListFlowsRequest(), timeout=10)
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "ntopng is starting" in str(err.value.details()) and "NTOPNG_API_KEY" not in str(err.value.details())
        _fake(fake).fail("/get/flow/active.lua", "starting", times=1)
        reply = await stub.ListFlows(pb.ListFlowsRequest(), timeout=10)  # the retry finds it started
        assert reply.total == 3279


async def test_a_login_redirect_names_the_credentials(fake: NtopngTarget) -> None:
    async with live_service(fake.settings(ntopng_api_key="wrong")) as stub:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.ListInterfaces(pb.ListInterfacesRequest(), timeout=10)
        assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "login page" in str(err.value.details()) and "NTOPNG_API_KEY" in str(err.value.details())
    settings = fake.settings(ntopng_api_key="", ntopng_user="admin", ntopng_password="wrong")
    async with live_service(settings) as stub:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.ListInterfaces(pb.ListInterfacesRequest(), timeout=10)
        assert "NTOPNG_USER (admin) and NTOPNG_PASSWORD" in str(err.value.details())


async def test_basic_auth_instead_of_a_token(fake: NtopngTarget) -> None:
    running = _fake(fake)
    settings = fake.settings(ntopng_api_key="", ntopng_user=running.user, ntopng_password=running.password)
    async with live_service(settings) as stub:
        interfaces = await stub.ListInterfaces(pb.ListInterfacesRequest(), timeout=10)
    assert [i.name for i in interfaces.interfaces] == ["netscope.pcap", "lo"]
    assert running.requests[-1][1]["_auth"].startswith("Basic ")


async def test_a_hung_ntopng_is_named_within_the_callers_deadline(fake: NtopngTarget) -> None:
    # ntopng's own limits (10 s per attempt, 2 retries) would outlast the caller's 3 s deadline
    async with live_service(fake.settings(ntopng_timeout_seconds=10, ntopng_retries=2)) as stub:
        _fake(fake).stall()
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.ListFlows(pb.ListFlowsRequest(), timeout=3)
        # DEADLINE_EXCEEDED with ntopng's message (not gRPC's bare "Deadline Exceeded"): the caller passes it on
        assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED, err.value.details()
        assert f"ntopng at {fake.url} did not answer" in str(err.value.details())
        _fake(fake).resume()


async def test_a_hung_ntopng_is_named_through_the_aggregators_retrying_channel(fake: NtopngTarget) -> None:
    # the aggregator's channel retries reads on UNAVAILABLE within its one deadline, and a retry of a cut attempt
    # would end in gRPC's bare deadline; a cut attempt is DEADLINE_EXCEEDED naming ntopng, passed on as it is
    settings = fake.settings(ntopng_timeout_seconds=10, ntopng_retries=2)
    async with live_service(settings):
        channel = open_channel(f"127.0.0.1:{settings.port}", retry_methods=retryable_methods(SERVICES["live"]))
        try:
            _fake(fake).stall()
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await live_pb2_grpc.LiveServiceStub(channel).ListFlows(pb.ListFlowsRequest(), timeout=4)
            failure = describe_failure("live", err.value, 4)
            assert f"ntopng at {fake.url} did not answer" in str(failure), str(failure)
            assert _fake(fake).hits("/get/flow/active.lua") == 1, "not retried: the deadline cut ntopng's attempt"
        finally:
            _fake(fake).resume()
            await channel.close()
