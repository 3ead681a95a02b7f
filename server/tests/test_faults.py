"""Faults of the services the server depends on: PostgreSQL refusing connections (stopped),
PostgreSQL hung (every process SIGSTOPped, connections left open), Redis down, and SQLite's
write lock held. Whatever answers a request, the hot paths or the Litestar routes, the answer
is the same: the JSON 503 with Retry-After and X-Request-ID when the database cannot be used,
a success when only Redis is gone; never a plain-text 500, and never a wait much past
``BUENA_DATABASE_TIMEOUT_SECONDS``.

PostgreSQL and Redis here are instances of the tests' own (private_services.py), never the
shared ones. ``GUARD`` only keeps a broken build from hanging the suite; the bound itself is
asserted through the answers (a wait past the timeout would not have been a 503).
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.exc import OperationalError

from buena_server.accounts.service import create_account
from buena_server.app import create_app
from buena_server.auth.permissions import Permission
from buena_server.config import Settings
from buena_server.keys.repository import ApiKeyRepository
from buena_server.keys.service import issue_key
from buena_server.kit.db import create_engine
from buena_server.kit.driver import Database
from buena_server.leads.service import LeadService
from buena_server.migrate import migrate
from buena_server.services import services_of

from backends import ON_POSTGRES
from private_services import PrivatePostgres, PrivateRedis
from server_testing import API, Account, InProcessClient, assert_error, running

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(
        ON_POSTGRES, reason="uses services of its own: runs once, in the SQLite pass"
    ),
]

TIMEOUT = 0.5  # BUENA_DATABASE_TIMEOUT_SECONDS under test
GUARD = 60.0  # seconds: only against hanging (see the module docstring)
VOLATILE_FIELDS = {"id", "created_at", "updated_at", "timestamp", "request_id", "email"}
VOLATILE_FIELDS |= {"last_used"}  # flushed per process
VOLATILE_HEADERS = {"date", "x-request-id", "x-ratelimit-remaining", "x-ratelimit-reset"}
VOLATILE_HEADERS |= {"content-length", "location"}  # location names the lead's id


@pytest.fixture(scope="module")
def fault_database(own_postgres: PrivatePostgres) -> str:
    """A migrated database in the private instance, for this module."""
    name = f"buena_faults_{secrets.token_hex(4)}"

    async def create() -> None:
        await _admin_on(own_postgres, f'CREATE DATABASE "{name}"')
        engine = create_engine(own_postgres.url(name))
        await migrate(engine)
        await engine.dispose()

    asyncio.run(create())
    return own_postgres.url(name)


async def _admin_on(server: PrivatePostgres, statement: str) -> None:
    conn = await asyncpg.connect(server.url(), timeout=10)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture
def services_restored(own_postgres: PrivatePostgres, own_redis: PrivateRedis) -> Iterator[None]:
    """Whatever a test did to the private services, the next one finds them up."""
    yield
    own_postgres.resume()
    if not own_postgres.running:
        own_postgres.start()
    if not own_redis.running:
        own_redis.start()


@dataclass
class Pair:
    """The same configuration twice, on one database: hot paths on, and off."""

    hot: InProcessClient
    plain: InProcessClient
    key: str  # the admin key; both processes remember it
    fresh_key: str  # a key neither has seen: it must be looked up in the database
    lead_id: str  # read by the requests
    patched_id: str  # changed by them

    @property
    def database(self) -> Database:
        database: Database = services_of(self.hot.app).database
        return database


def fault_settings(database_url: str, redis: PrivateRedis) -> Settings:
    return Settings(
        database_url=database_url,
        redis_url=redis.url,
        redis_key_prefix=f"buena-faults-{secrets.token_hex(4)}",
        rate_limits="1000/minute",  # limits on: remembered keys are checked through Redis
        env="test",
        database_timeout_seconds=TIMEOUT,
        health_timeout_seconds=GUARD,  # the database's own timeouts must answer first
    )


@pytest.fixture
async def pair(
    fault_database: str, own_redis: PrivateRedis, services_restored: None
) -> AsyncIterator[Pair]:
    settings = fault_settings(fault_database, own_redis)
    async with (
        running(create_app(settings)) as hot,
        running(create_app(settings.model_copy(update={"hot_paths": False}))) as plain,
    ):
        yield await _seed(hot, plain)


async def _seed(hot: InProcessClient, plain: InProcessClient) -> Pair:
    database: Database = services_of(hot.app).database
    async with database.transaction(write=True) as conn:
        created = await create_account(conn, "Faults")
        _record, fresh_key = await issue_key(
            ApiKeyRepository(conn),
            account_id=created.account_id,
            name="never used",
            permissions=[Permission.LEADS_READ, Permission.LEADS_WRITE],
        )
    headers = {"x-api-key": created.key}
    body = {"first_name": "Seeded", "last_name": "Lead", "email": "seeded@example.com"}
    seeded = await hot.post(f"{API}/leads", json=body, headers=headers)
    assert seeded.status_code == 201, seeded.text
    lead_id = seeded.json()["id"]
    body = {"first_name": "Patched", "last_name": "Lead", "email": "patched@example.com"}
    patched = await hot.post(f"{API}/leads", json=body, headers=headers)
    assert patched.status_code == 201, patched.text
    for client in (hot, plain):  # each process remembers the admin key, pools a connection
        for _ in range(2):
            response = await client.get(f"{API}/leads/{lead_id}", headers=headers)
            assert response.status_code == 200, response.text
    return Pair(hot, plain, created.key, fresh_key, lead_id, patched.json()["id"])


Request = Callable[[InProcessClient], Awaitable[httpx.Response]]
_emails = itertools.count()


def requests_of(pair: Pair) -> dict[str, Request]:
    """Every kind of request: both hot ones (with a remembered key and with one that must be
    looked up) and ordinary routes."""
    key, fresh = {"x-api-key": pair.key}, {"x-api-key": pair.fresh_key}
    lead = f"{API}/leads/{pair.lead_id}"

    def create(headers: dict[str, str]) -> Request:
        def send(client: InProcessClient) -> Awaitable[httpx.Response]:
            email = f"new{next(_emails)}@example.com"
            body = {"first_name": "New", "last_name": "Lead", "email": email, "tags": ["x"]}
            return client.post(f"{API}/leads", json=body, headers=headers)

        return send

    return {
        "GET lead": lambda client: client.get(lead, headers=key),
        "GET lead, key to look up": lambda client: client.get(lead, headers=fresh),
        "POST lead": create(key),
        "POST lead, key to look up": create(fresh),
        "list leads": lambda client: client.get(
            f"{API}/leads", params={"search": "seeded"}, headers=key
        ),
        "PATCH lead": lambda client: client.patch(
            f"{API}/leads/{pair.patched_id}", json={"company": "Acme"}, headers=key
        ),
        "list keys": lambda client: client.get(f"{API}/keys", headers=key),
    }


async def answers(pair: Pair) -> dict[str, tuple[httpx.Response, httpx.Response]]:
    """Every request, sent at once to each app; (hot paths on, off) by request."""
    requests = requests_of(pair)
    async with asyncio.timeout(GUARD):
        hot = await asyncio.gather(*(send(pair.hot) for send in requests.values()))
        plain = await asyncio.gather(*(send(pair.plain) for send in requests.values()))
    return dict(zip(requests, zip(hot, plain, strict=True), strict=True))


def comparable(response: httpx.Response) -> tuple[int, Any, dict[str, str]]:
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in VOLATILE_FIELDS}
        if isinstance(value, list):
            return [strip(item) for item in value]
        return value

    headers = {k: v for k, v in response.headers.items() if k not in VOLATILE_HEADERS}
    return response.status_code, strip(response.json()), headers


def assert_unavailable(name: str, hot: httpx.Response, plain: httpx.Response) -> None:
    for response in (hot, plain):
        assert response.headers["content-type"].startswith("application/json"), name
        assert_error(response, 503, "SERVICE_UNAVAILABLE")
        assert response.headers["retry-after"] == "1", name
    assert comparable(hot) == comparable(plain), name


async def assert_serving(pair: Pair) -> None:
    """Everything answers as usual (on fresh connections where the old ones were lost)."""
    for name, (hot, plain) in (await answers(pair)).items():
        assert hot.status_code in {200, 201}, (name, hot.text)
        assert comparable(hot) == comparable(plain), name


async def assert_health_down(pair: Pair) -> None:
    for client in (pair.hot, pair.plain):
        async with asyncio.timeout(GUARD):
            response = await client.get(f"{API}/health")
        body = assert_error(
            response,
            503,
            "SERVICE_UNAVAILABLE",
            extra_fields={"status", "services", "response_time"},
        )
        assert body["status"] == "down"
        assert body["services"]["database"] == "down"


async def test_database_refusing_connections(pair: Pair, own_postgres: PrivatePostgres) -> None:
    own_postgres.stop()
    for name, (hot, plain) in (await answers(pair)).items():
        assert_unavailable(name, hot, plain)
    await assert_health_down(pair)
    own_postgres.start()
    await assert_serving(pair)


async def test_database_hung(pair: Pair, own_postgres: PrivatePostgres) -> None:
    own_postgres.freeze()
    try:
        # Pooled connections time out on their statement; new ones on connecting.
        for name, (hot, plain) in (await answers(pair)).items():
            assert_unavailable(name, hot, plain)
        # A burst of creates: their statement groups stall, and every create still answers.
        async with asyncio.timeout(GUARD):
            create = requests_of(pair)["POST lead"]
            burst = await asyncio.gather(*(create(c) for c in [pair.hot, pair.plain] * 12))
        for response in burst:
            assert_error(response, 503, "SERVICE_UNAVAILABLE")
        await assert_health_down(pair)
    finally:
        own_postgres.resume()
    # No connection that timed out is used again: each would still be waiting for its
    # cancelled statement's answer.
    await assert_serving(pair)


async def test_shutting_down_while_the_database_is_hung(
    fault_database: str,
    own_postgres: PrivatePostgres,
    own_redis: PrivateRedis,
    services_restored: None,
) -> None:
    app = create_app(fault_settings(fault_database, own_redis))
    try:
        async with asyncio.timeout(GUARD), running(app) as client:
            await _seed(client, client)  # pooled connections, and key usage left to flush
            own_postgres.freeze()
        # Closing gave up on the idle connections' goodbyes and on the last usage flush.
        assert services_of(app).database.pool.size == 0
    finally:
        own_postgres.resume()


async def test_redis_down(pair: Pair, own_redis: PrivateRedis) -> None:
    own_redis.stop()
    await assert_serving(pair)  # limited per process meanwhile (test_redis_resilience.py)
    for client in (pair.hot, pair.plain):
        health = await client.get(f"{API}/health")
        assert health.status_code == 200
        assert health.json()["status"] == "degraded"


async def test_redis_down_and_database_stopped(
    pair: Pair, own_postgres: PrivatePostgres, own_redis: PrivateRedis
) -> None:
    own_redis.stop()
    own_postgres.stop()
    for name, (hot, plain) in (await answers(pair)).items():
        assert_unavailable(name, hot, plain)


class TestSqliteWriteLockHeld:
    """SQLite: a write waits for the write lock (held in this process, or in another) at most
    the database timeout, then answers 503."""

    @pytest.fixture
    async def sqlite_pair(self, tmp_path: Path, template_database: str) -> AsyncIterator[Pair]:
        path = tmp_path / "locked.db"
        shutil.copyfile(template_database, path)
        settings = Settings(
            database_url=f"sqlite:///{path}",
            rate_limits="off",
            env="test",
            database_timeout_seconds=TIMEOUT,
        )
        async with (
            running(create_app(settings)) as hot,
            running(create_app(settings.model_copy(update={"hot_paths": False}))) as plain,
        ):
            yield await _seed(hot, plain)

    async def test_writes_answer_503(self, sqlite_pair: Pair) -> None:
        pair = sqlite_pair
        holding, release = asyncio.Event(), asyncio.Event()

        async def hold_the_write_lock() -> None:
            # A write transaction of the hot app's own process: its next writer waits on
            # the process's lock; the other app's, on SQLite's file lock.
            async with pair.database.transaction(write=True):
                holding.set()
                await release.wait()

        holder = asyncio.create_task(hold_the_write_lock())
        await holding.wait()
        try:
            writes = {
                name: request
                for name, request in requests_of(pair).items()
                if name.startswith(("POST", "PATCH"))
            }
            async with asyncio.timeout(GUARD):
                for name, send in writes.items():
                    assert_unavailable(name, await send(pair.hot), await send(pair.plain))
        finally:
            release.set()
            await holder
        await assert_serving(pair)


async def test_a_deadlock_on_the_hot_path_is_run_again_by_litestar(
    client: InProcessClient, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not an outage: the hot path hands the create over to be run again, as before, rather
    than answering 503 (a deadlock between concurrent creates clears at once)."""
    create = LeadService.create
    calls = 0

    async def deadlocked_once(self: LeadService, *args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            deadlock = asyncpg.exceptions.DeadlockDetectedError("deadlock detected")
            raise OperationalError("INSERT INTO leads ...", None, deadlock)
        return await create(self, *args, **kwargs)

    monkeypatch.setattr(LeadService, "create", deadlocked_once)
    body = {"first_name": "Dead", "last_name": "Lock", "email": "dead@lock.io"}
    response = await client.post(f"{API}/leads", json=body, headers=account.headers())
    assert response.status_code == 201, response.text
    assert calls == 2
