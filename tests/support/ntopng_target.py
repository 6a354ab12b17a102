"""The ntopng the live tests run against: the FAKE (recorded real answers), or a real ntopng when
NETSCOPE_TEST_NTOPNG_URL is set (`make test-ntopng`), with NETSCOPE_TEST_NTOPNG_TOKEN (or _USER and _PASSWORD)
and NETSCOPE_TEST_NTOPNG_IFID (default 0)."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import httpx

from netscope.live.v1 import live_pb2_grpc
from netscope_common.server import serve
from netscope_live.main import build_spec
from netscope_live.settings import LiveSettings
from tests.fixtures.ntopng.fake_ntopng import FakeNtopng, running_fake_ntopng
from tests.support.processes import free_port

REAL_URL = os.environ.get("NETSCOPE_TEST_NTOPNG_URL", "")


@dataclass
class NtopngTarget:
    """Where ntopng is, how to authenticate, and the fake when it is the fake."""

    url: str
    token: str
    user: str = ""
    password: str = ""
    ifid: int = 0
    fake: FakeNtopng | None = None

    def rest(self, path: str, **params: Any) -> Any:
        """ntopng's own `rsp` for a REST v2 GET (the answer the live service must equal)."""
        headers = {"Authorization": f"Token {self.token}"} if self.token else {}
        auth = (self.user, self.password) if self.user and not self.token else None
        response = httpx.get(f"{self.url}/lua/rest/v2{path}", params=params, headers=headers, auth=auth, timeout=60)
        return response.json()["rsp"]

    def all_rows(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every row of a paged list, read page by page in a stable order."""
        rows: list[dict[str, Any]] = []
        page = 1
        while True:
            data = self.rest(path, ifid=self.ifid, currentPage=page, perPage=1000, **params)["data"]
            rows.extend(data)
            if len(data) < 1000:
                return rows
            page += 1

    def settings(self, **overrides: Any) -> LiveSettings:
        """Live service settings reading this ntopng."""
        values: dict[str, Any] = {
            "port": free_port(),
            "source": "ntopng",
            "ntopng_host": self.url,
            "ntopng_api_key": self.token,
            "ntopng_user": self.user,
            "ntopng_password": self.password,
            **overrides,
        }
        return LiveSettings(**values)


@contextlib.contextmanager
def ntopng_target() -> Iterator[NtopngTarget]:
    """The real ntopng of NETSCOPE_TEST_NTOPNG_URL, else a running fake."""
    if REAL_URL:
        yield NtopngTarget(
            REAL_URL.rstrip("/"),
            os.environ.get("NETSCOPE_TEST_NTOPNG_TOKEN", ""),
            os.environ.get("NETSCOPE_TEST_NTOPNG_USER", ""),
            os.environ.get("NETSCOPE_TEST_NTOPNG_PASSWORD", ""),
            int(os.environ.get("NETSCOPE_TEST_NTOPNG_IFID", "0")),
        )
        return
    with running_fake_ntopng() as fake:
        yield NtopngTarget(fake.url, fake.token, fake=fake)


@contextlib.asynccontextmanager
async def live_service(settings: LiveSettings) -> AsyncIterator[live_pb2_grpc.LiveServiceStub]:
    """The live service in this process, and a stub talking to it over gRPC."""
    stop = asyncio.Event()
    task = asyncio.create_task(serve(build_spec(settings), stop))
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{settings.port}") as channel:
            await asyncio.wait_for(channel.channel_ready(), 10)
            yield live_pb2_grpc.LiveServiceStub(channel)
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)
