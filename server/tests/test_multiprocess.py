"""Two server processes sharing one PostgreSQL and one Redis behave as one server.

Runs in the PostgreSQL + Redis pass of `make test` (BUENA_TEST_BACKEND=postgres).
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from buena_server.auth.tokens import generate_key

from backends import ON_POSTGRES, fresh_database
from live_server import LiveServer, live_server

pytestmark = [
    pytest.mark.skipif(
        not ON_POSTGRES,
        reason="needs PostgreSQL and Redis: runs in the BUENA_TEST_BACKEND=postgres pass",
    ),
    # Under pytest-xdist, in one worker: the module's pair of servers starts once.
    pytest.mark.xdist_group("multiprocess"),
]

LIMIT = 150


class Pair:
    def __init__(self, servers: list[LiveServer], admin_key: str) -> None:
        self.servers = servers
        self.admin_key = admin_key

    def new_key(self, *permissions: str) -> str:
        response = httpx.post(
            f"{self.servers[0].base_url}/keys",
            json={"name": "multi-process", "permissions": list(permissions)},
            headers={"x-api-key": self.admin_key},
        )
        assert response.status_code == 201, response.text
        key: str = response.json()["key"]
        return key


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    directory: Path = tmp_path_factory.mktemp("pair")
    admin_key = generate_key()
    env = {
        "BUENA_BOOTSTRAP_KEY": admin_key,
        "BUENA_RATE_LIMITS": f"{LIMIT}/minute",
        # A moving window: a burst is counted the same wherever the clock's minute falls.
        "BUENA_RATE_LIMIT_STRATEGY": "moving-window",
        "BUENA_REDIS_KEY_PREFIX": f"buena-pair-{secrets.token_hex(4)}",
    }
    with fresh_database(str(directory / "pair.db")) as url, ExitStack() as stack:
        # Both start at once on an empty database: migrations and the bootstrap account must
        # happen exactly once.
        with ThreadPoolExecutor(2) as pool:
            servers = list(
                pool.map(lambda _: stack.enter_context(live_server(url, directory, env)), range(2))
            )
        yield Pair(servers, admin_key)


def test_one_account_was_bootstrapped(pair: Pair) -> None:
    for server in pair.servers:
        keys = httpx.get(f"{server.base_url}/keys", headers={"x-api-key": pair.admin_key})
        assert keys.status_code == 200
        assert keys.json()["total"] >= 1


def test_concurrent_creates_of_one_email_across_processes(pair: Pair) -> None:
    key = pair.new_key("leads:read", "leads:write")
    body = {"first_name": "Race", "last_name": "Across", "email": "race@across.io"}

    async def race() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=100)) as c:
            urls = itertools.cycle(server.base_url for server in pair.servers)
            return await asyncio.gather(
                *(
                    c.post(f"{next(urls)}/leads", json=body, headers={"x-api-key": key})
                    for _ in range(100)
                )
            )

    responses = asyncio.run(race())
    assert sorted(r.status_code for r in responses) == [201] + [409] * 99
    winner = next(r.json()["id"] for r in responses if r.status_code == 201)
    assert {r.json()["details"]["existing_id"] for r in responses if r.status_code == 409} == {
        winner
    }
    listing = httpx.get(
        f"{pair.servers[1].base_url}/leads",
        params={"search": "race@across.io"},
        headers={"x-api-key": key},
    )
    assert listing.json()["total"] == 1


def test_rate_limit_holds_across_processes(pair: Pair) -> None:
    key = pair.new_key("leads:read")
    extra = 7

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=30) as c:
            urls = itertools.cycle(server.base_url for server in pair.servers)
            return await asyncio.gather(
                *(
                    c.get(f"{next(urls)}/leads/lead_none", headers={"x-api-key": key})
                    for _ in range(LIMIT + extra)
                )
            )

    statuses = [r.status_code for r in asyncio.run(burst())]
    assert statuses.count(429) == extra
    assert statuses.count(404) == LIMIT


def test_key_revoked_through_one_is_refused_by_the_other(pair: Pair) -> None:
    first, second = pair.servers
    key_response = httpx.post(
        f"{first.base_url}/keys",
        json={"name": "to revoke", "permissions": ["leads:read"]},
        headers={"x-api-key": pair.admin_key},
    )
    created = key_response.json()
    headers = {"x-api-key": created["key"]}
    for _ in range(3):  # from its second use the other process trusts the key it remembers
        assert httpx.get(f"{second.base_url}/leads", headers=headers).status_code == 200
    revoked = httpx.delete(
        f"{first.base_url}/keys/{created['id']}", headers={"x-api-key": pair.admin_key}
    )
    assert revoked.status_code == 200
    refused = httpx.get(f"{second.base_url}/leads", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["details"]["reason"] == "revoked"


def test_write_through_one_read_through_the_other(pair: Pair) -> None:
    key = pair.new_key("leads:read", "leads:write")
    first, second = pair.servers
    created = httpx.post(
        f"{first.base_url}/leads",
        json={"first_name": "Read", "last_name": "After", "email": "raw@x.io"},
        headers={"x-api-key": key},
    ).json()
    read = httpx.get(f"{second.base_url}/leads/{created['id']}", headers={"x-api-key": key})
    assert read.status_code == 200
    assert read.json() == created
    updated = httpx.patch(
        f"{second.base_url}/leads/{created['id']}",
        json={"company": "Both"},
        headers={"x-api-key": key},
    )
    again = httpx.get(f"{first.base_url}/leads/{created['id']}", headers={"x-api-key": key})
    assert again.json() == updated.json()


def test_one_idempotency_key_across_processes_creates_once(pair: Pair) -> None:
    key = pair.new_key("leads:read", "leads:write")
    body = {"first_name": "Once", "last_name": "Across", "email": "once@across.io"}
    headers = {"x-api-key": key, "idempotency-key": f"across-{secrets.token_hex(4)}"}

    async def race() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=100)) as c:
            urls = itertools.cycle(server.base_url for server in pair.servers)
            return await asyncio.gather(
                *(c.post(f"{next(urls)}/leads", json=body, headers=headers) for _ in range(40))
            )

    responses = asyncio.run(race())
    fresh = [
        r for r in responses if r.status_code == 201 and "idempotent-replayed" not in r.headers
    ]
    assert len(fresh) == 1
    for response in responses:
        if response.status_code == 409:
            assert response.json()["code"] == "IDEMPOTENCY_KEY_IN_USE"
        else:
            assert response.status_code == 201
            assert response.content == fresh[0].content
    # Once answered, every process replays it.
    for server in pair.servers:
        again = httpx.post(f"{server.base_url}/leads", json=body, headers=headers)
        assert again.headers["idempotent-replayed"] == "true"
        assert again.content == fresh[0].content
    listing = httpx.get(
        f"{pair.servers[1].base_url}/leads",
        params={"search": "once@across.io"},
        headers={"x-api-key": key},
    )
    assert listing.json()["total"] == 1
