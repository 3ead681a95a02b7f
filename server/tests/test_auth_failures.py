"""Failed authentication: malformed keys never reach the database, and failures are limited
per client address (BUENA_AUTH_FAILURE_LIMIT), in Redis when configured."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import update

from buena_server.app import create_app
from buena_server.auth.permissions import Permission
from buena_server.auth.tokens import generate_key
from buena_server.config import Settings
from buena_server.kit.clock import utcnow
from buena_server.kit.driver import Connection, Database
from buena_server.services import services_of
from buena_server.tables import api_keys

from backends import REDIS_URL
from server_testing import API, Account, InProcessClient, assert_error, running

LIMIT = 3


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # No queue worker: its own transactions (claims, on PostgreSQL at any time) would be
    # counted with the requests'.
    return {"auth_failure_limit": f"{LIMIT}/minute", "worker_in_serve": False}


class Transactions:
    """Counts the transactions the app opens on its (real) database."""

    def __init__(self, database: Database) -> None:
        self.count = 0
        inner = database.transaction

        def counting(
            *, write: bool, single_write: bool = False
        ) -> AbstractAsyncContextManager[Connection]:
            self.count += 1
            return inner(write=write, single_write=single_write)

        database.transaction = counting  # type: ignore[method-assign]


def from_address(app: Litestar, host: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(host, 40000)),
        base_url="http://testserver.local",
    )


async def use_up_failures(client: httpx.AsyncClient) -> None:
    for _ in range(LIMIT):
        response = await client.get(f"{API}/leads", headers={"x-api-key": generate_key()})
        assert_error(response, 401, "UNAUTHORIZED")


def assert_limited(response: httpx.Response) -> None:
    body = assert_error(response, 429, "RATE_LIMIT_EXCEEDED")
    assert body["details"]["reason"] == "authentication_failures"
    assert body["details"]["limit"] == LIMIT
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert body["details"]["retry_after"] == int(response.headers["retry-after"])


@pytest.mark.parametrize("key", ["not-a-key", "bna_" + "g" * 64, "bna_" + "0" * 63, "x" * 10_000])
async def test_malformed_keys_cost_no_database_lookup(client: InProcessClient, key: str) -> None:
    transactions = Transactions(services_of(client.app).database)
    response = await client.get(f"{API}/leads", headers={"x-api-key": key})
    assert_error(response, 401, "UNAUTHORIZED")
    assert transactions.count == 0
    # A well-formed unknown key is looked up (the comparison that makes the count mean something).
    await client.get(f"{API}/leads", headers={"x-api-key": generate_key()})
    assert transactions.count == 1


async def test_failures_past_the_limit_are_refused_without_a_lookup(
    client: InProcessClient, account: Account
) -> None:
    await use_up_failures(client)
    transactions = Transactions(services_of(client.app).database)
    for _ in range(3):
        assert_limited(await client.get(f"{API}/leads", headers={"x-api-key": generate_key()}))
    assert transactions.count == 0


@pytest.mark.parametrize(
    "headers",
    [{}, {"x-api-key": "garbage"}, {"authorization": "Basic dXNlcjpwYXNz"}],
    ids=["missing", "malformed", "other-scheme"],
)
async def test_missing_and_malformed_keys_count(
    client: InProcessClient, headers: dict[str, str]
) -> None:
    for _ in range(LIMIT):
        assert_error(await client.get(f"{API}/leads", headers=headers), 401, "UNAUTHORIZED")
    assert_limited(await client.get(f"{API}/leads", headers=headers))


async def test_revoked_and_expired_keys_count(client: InProcessClient, account: Account) -> None:
    revoked = await account.key_with(Permission.LEADS_READ)
    expired = await account.key_with(Permission.LEADS_READ, expires_at=utcnow() + timedelta(1))
    async with services_of(client.app).database.transaction(write=True) as conn:
        await conn.execute(
            update(api_keys)
            .where(api_keys.c.key_preview == expired[:8] + "...")
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await conn.execute(
            update(api_keys)
            .where(api_keys.c.key_preview == revoked[:8] + "...")
            .values(is_active=False)
        )
    answers = [
        await client.get(f"{API}/leads", headers={"x-api-key": key})
        for key in (revoked, expired, revoked)
    ]
    assert [a.json()["details"]["reason"] for a in answers] == ["revoked", "expired", "revoked"]
    assert_limited(await client.get(f"{API}/leads", headers={"x-api-key": expired}))


async def test_a_verified_key_keeps_working_while_its_address_is_limited(
    client: InProcessClient, account: Account
) -> None:
    assert (await client.get(f"{API}/leads", headers=account.headers())).status_code == 200
    unseen = await account.key_with(Permission.LEADS_READ)
    await use_up_failures(client)
    # Even once this process no longer remembers the key itself (auth/cache.py).
    services_of(client.app).key_cache.forget(account.key_id)
    assert (await client.get(f"{API}/leads", headers=account.headers())).status_code == 200
    # A key this process has not verified lately waits like a guess (docs/api.md).
    assert_limited(await client.get(f"{API}/leads", headers={"x-api-key": unseen}))


async def test_each_address_has_its_own_count(client: InProcessClient) -> None:
    async with from_address(client.app, "198.51.100.7") as first:
        await use_up_failures(first)
        assert_limited(await first.get(f"{API}/leads"))
    async with from_address(client.app, "203.0.113.9") as second:
        assert_error(await second.get(f"{API}/leads"), 401, "UNAUTHORIZED")


async def test_forwarded_for_is_not_believed_in_process(client: InProcessClient) -> None:
    # Only the server (uvicorn, from BUENA_TRUSTED_PROXIES) may rewrite the client address.
    for index in range(LIMIT):
        spoofed = {"x-forwarded-for": f"192.0.2.{index}", "x-api-key": generate_key()}
        assert_error(await client.get(f"{API}/leads", headers=spoofed), 401, "UNAUTHORIZED")
    assert_limited(await client.get(f"{API}/leads", headers={"x-forwarded-for": "192.0.2.99"}))


class TestOff:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"auth_failure_limit": "off"}

    async def test_never_limited(self, client: InProcessClient) -> None:
        for _ in range(30):
            assert_error(await client.get(f"{API}/leads"), 401, "UNAUTHORIZED")


@pytest.fixture
def shared_settings(settings: Settings) -> Callable[[], Settings]:
    prefix = f"buena-test-{secrets.token_hex(6)}"
    return lambda: settings.model_copy(update={"redis_url": REDIS_URL, "redis_key_prefix": prefix})


@pytest.fixture
async def process_a(shared_settings: Callable[[], Settings]) -> AsyncIterator[InProcessClient]:
    async with running(create_app(shared_settings())) as client:
        yield client


@pytest.fixture
async def process_b(shared_settings: Callable[[], Settings]) -> AsyncIterator[InProcessClient]:
    async with running(create_app(shared_settings())) as client:
        yield client


async def test_the_count_is_shared_through_redis(
    process_a: InProcessClient, process_b: InProcessClient
) -> None:
    await use_up_failures(process_a)
    assert_limited(await process_b.get(f"{API}/leads", headers={"x-api-key": generate_key()}))


async def test_redis_down_limits_per_process(settings: Settings) -> None:
    unreachable = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    async with running(create_app(unreachable)) as client:
        await use_up_failures(client)
        assert_limited(await client.get(f"{API}/leads"))


async def test_only_the_latest_verified_keys_are_remembered(
    client: InProcessClient, account: Account
) -> None:
    """The memory of verified keys is bounded: past ``max_remembered`` the key verified
    longest ago is forgotten, and waits like a guess while its address is limited."""
    services_of(client.app).auth.failures.max_remembered = 1
    other = await account.key_with(Permission.LEADS_READ)
    listing = await client.get(f"{API}/keys", headers=account.headers())
    key_ids = [k["id"] for k in listing.json()["data"]]
    for key in (account.key, other):  # the admin key verified first, so forgotten first
        assert (await client.get(f"{API}/leads", headers={"x-api-key": key})).status_code == 200
    await use_up_failures(client)
    for key_id in key_ids:  # what the key cache remembers is let through anyway
        services_of(client.app).key_cache.forget(key_id)
    assert (await client.get(f"{API}/leads", headers={"x-api-key": other})).status_code == 200
    assert_limited(await client.get(f"{API}/leads", headers=account.headers()))
