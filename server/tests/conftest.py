"""Fixtures: a real SQLite file per test (copied from a migrated template), the real app
in-process, and small factories for accounts, keys and leads."""

from __future__ import annotations

import asyncio
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from sqlalchemy.engine import make_url

from buena_server.accounts.service import create_account
from buena_server.app import create_app
from buena_server.config import Settings
from buena_server.kit import clock
from buena_server.kit.db import create_engine
from buena_server.migrate import migrate
from buena_server.services import services_of
from buena_server.tables import metadata

from backends import ON_POSTGRES, REDIS_URL, create_postgres_database, drop_postgres_database
from private_services import PrivatePostgres, PrivateRedis, private_postgres, private_redis
from server_testing import Account, AccountFactory, InProcessClient, MovedClock, running

# The fixtures that start a PostgreSQL or a redis-server of the test's own.
PRIVATE_SERVICES = frozenset({"own_postgres", "own_redis", "fresh_redis"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``make test``: ``-n 2 --dist loadgroup``), the tests that stop,
    freeze and restart services of their own run in one worker, one after another: never
    two such services starting or frozen at once, and the session's own PostgreSQL is
    initialised once. (Without xdist the mark does nothing.)

    The ``long`` tests start first, then those services' tests: handed out last, either
    would end a pass with one worker busy and the other idle."""
    private: set[pytest.Item] = set()
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if item.get_closest_marker("faults") or fixtures & PRIVATE_SERVICES:
            item.add_marker(pytest.mark.xdist_group("private-services"))
            private.add(item)
    items.sort(key=lambda item: (item.get_closest_marker("long") is None, item not in private))


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Migrations applied once per session.

    SQLite: a migrated file that each test copies. PostgreSQL: a fresh database for the
    session, emptied before each test.
    """
    if ON_POSTGRES:
        url = create_postgres_database()
        asyncio.run(_migrate(url))
        yield url
        drop_postgres_database(url)
        return
    path = tmp_path_factory.mktemp("template") / "template.db"
    asyncio.run(_migrate(f"sqlite:///{path}"))
    yield str(path)


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    await migrate(engine)
    await engine.dispose()


async def _empty_tables(url: str) -> None:
    # Every table of the schema, so that a new one never keeps rows between tests; dependents
    # first. DELETE, not TRUNCATE: a test leaves a few rows, which DELETE empties in ~7 ms,
    # where TRUNCATE's new files for twenty tables took ~65 ms (a minute of the pass).
    dsn = make_url(url).set(drivername="postgresql").render_as_string(False)
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        await conn.execute(
            ";".join(f"DELETE FROM {table.name}" for table in reversed(metadata.sorted_tables))
        )
    finally:
        await conn.close()


@pytest.fixture
def database_url(template_database: str, tmp_path: Path) -> str:
    if ON_POSTGRES:
        asyncio.run(_empty_tables(template_database))
        return template_database
    path = tmp_path / "buena.db"
    shutil.copyfile(template_database, path)
    return f"sqlite:///{path}"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Tests override settings by redefining this fixture (or parametrising it)."""
    return {}


@pytest.fixture
def settings(database_url: str, settings_overrides: dict[str, Any], tmp_path: Path) -> Settings:
    values: dict[str, Any] = {"database_url": database_url, "rate_limits": "off", "env": "test"}
    # Blobs (voice samples) in the test's own directory, never the working directory's var/.
    values["storage_url"] = f"file:{tmp_path / 'blobs'}"
    # No queue worker in the app unless a test asks for one (test_worker_process.py,
    # test_events.py): its claims and commits would run beside every test's requests, and
    # the tests that deliver run the worker themselves, one pass at a time.
    values["worker_in_serve"] = False
    if ON_POSTGRES:
        # A prefix of its own, so that no test sees another's rate-limit counters.
        values.update(redis_url=REDIS_URL, redis_key_prefix=f"buena-test-{secrets.token_hex(6)}")
    values.update(settings_overrides)
    return Settings(**values)


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[InProcessClient]:
    async with running(app) as test_client:
        yield test_client


@pytest.fixture
def make_account(client: InProcessClient) -> AccountFactory:
    async def make(name: str = "Test account") -> Account:
        async with services_of(client.app).database.transaction(write=True) as conn:
            created = await create_account(conn, name)
        return Account(client, created.account_id, created.key, created.key_id)

    return make


@pytest.fixture
async def account(make_account: AccountFactory) -> Account:
    return await make_account()


@pytest.fixture
async def other_account(make_account: AccountFactory) -> Account:
    return await make_account("Other account")


@pytest.fixture
def moved_clock(monkeypatch: pytest.MonkeyPatch) -> MovedClock:
    """The project clock, moved only by the test."""
    moved = MovedClock()
    monkeypatch.setattr(clock, "source", moved.now)
    return moved


@pytest.fixture(scope="session")
def own_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL instance of the session's own, for tests that stop or freeze it; each
    such test leaves it running (``private_services``)."""
    with private_postgres() as server:
        yield server


@pytest.fixture(scope="session")
def own_redis() -> Iterator[PrivateRedis]:
    with private_redis() as server:
        yield server


@pytest.fixture
def fresh_redis() -> Iterator[PrivateRedis]:
    """A redis-server of the test's own, which it may stop and start."""
    with private_redis() as server:
        yield server
