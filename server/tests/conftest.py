"""Fixtures: a real SQLite file per test (copied from a migrated template), the real app
in-process, and small factories for accounts, keys and leads."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from buena_server.accounts.service import create_account
from buena_server.app import create_app
from buena_server.config import Settings
from buena_server.db import create_engine, write_transaction
from buena_server.migrate import migrate

from server_testing import Account, AccountFactory


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrations applied once; each test gets a copy of the resulting file."""
    import asyncio

    path = tmp_path_factory.mktemp("template") / "template.db"

    async def build() -> None:
        engine = create_engine(f"sqlite:///{path}")
        await migrate(engine)
        await engine.dispose()

    asyncio.run(build())
    return path


@pytest.fixture
def database_url(template_database: Path, tmp_path: Path) -> str:
    path = tmp_path / "buena.db"
    shutil.copyfile(template_database, path)
    return f"sqlite:///{path}"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Tests override settings by redefining this fixture (or parametrising it)."""
    return {}


@pytest.fixture
def settings(database_url: str, settings_overrides: dict[str, Any]) -> Settings:
    values: dict[str, Any] = {"database_url": database_url, "rate_limits": "off", "env": "test"}
    values.update(settings_overrides)
    return Settings(**values)


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


@pytest.fixture
def make_account(client: AsyncTestClient[Litestar]) -> AccountFactory:
    async def make(name: str = "Test account") -> Account:
        engine = client.app.state.engine
        async with write_transaction(engine) as conn:
            created = await create_account(conn, name)
        return Account(client, created.account_id, created.key, created.key_id)

    return make


@pytest.fixture
async def account(make_account: AccountFactory) -> Account:
    return await make_account()


@pytest.fixture
async def other_account(make_account: AccountFactory) -> Account:
    return await make_account("Other account")
