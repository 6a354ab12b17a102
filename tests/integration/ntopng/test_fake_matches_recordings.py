"""The FAKE ntopng computes host and flow lists as the real ntopng 6.3 did: every recorded query, asked again.

The recording (tests/fixtures/ntopng/recordings/ntopng-6.3.json.gz, see its `build`) holds the real ntopng's
answers to filtered, sorted and paged requests over 3,279 flows and 1,244 hosts. The fake answers the same
requests, in the same order (ntopng remembers the last sort and page size), from the recorded tables. Flows
must come back identical. ntopng's Lua orders the rows inside a host page at random among equal values, so a
host page must hold the same hosts with the same sequence of sort values.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.fixtures.ntopng.fake_ntopng import FakeNtopng
from tests.fixtures.ntopng.recording import HOST_SORT, recording

pytestmark = pytest.mark.integration


def _host_values(rsp: dict[str, Any]) -> list[Any]:
    column = str(rsp["sort"][0][0] or "").removeprefix("column_") if rsp["sort"][0] else ""
    key = HOST_SORT.get(column)
    return [key(h) for h in rsp["data"]] if key and column != "score" else []


def test_the_fake_answers_every_recorded_query_as_ntopng_did(fake_ntopng: FakeNtopng) -> None:
    queries = recording()["data"]["queries"]
    assert len(queries) >= 25
    with httpx.Client(base_url=fake_ntopng.url, headers={"Authorization": f"Token {fake_ntopng.token}"}) as http:
        for query in queries:
            got = http.get(query["path"], params=query["params"])
            assert got.status_code == query["status"], query["params"]
            real, fake = query["body"]["rsp"], got.json()["rsp"]
            context = f"{query['path']} {query['params']}"
            assert {k: v for k, v in fake.items() if k != "data"} == {k: v for k, v in real.items() if k != "data"}, (
                context
            )
            if query["path"].endswith("flow/active.lua"):
                assert fake["data"] == real["data"], context
            else:
                assert sorted(h["ip"] for h in fake["data"]) == sorted(h["ip"] for h in real["data"]), context
                assert _host_values(fake) == _host_values(real), context


def test_the_recording_is_above_one_ntopng_page() -> None:
    data = recording()["data"]
    assert len(data["flows"]) > 3000 and len(data["hosts"]) > 1000
    assert len({f["hash_id"] for f in data["flows"]}) == len(data["flows"])
    assert sorted(recording()["walk"]) == sorted(h["ip"] for h in data["hosts"])
