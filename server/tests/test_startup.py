"""``buena-server serve`` before its database is ready (startup.py): it serves meanwhile
(health ``down``, the API's JSON 503), retries with a capped backoff, says in one line what
it cannot reach, and becomes whole once the database answers. And the first account's admin
key: printed once in development, never printed in production."""

from __future__ import annotations

import asyncio
import re
import secrets
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from buena_server.accounts.service import create_account
from buena_server.auth.tokens import generate_key
from buena_server.config import Settings
from buena_server.kit.db import open_database
from buena_server.kit.startup import Startup, backoff_delays

from backends import ON_POSTGRES
from live_server import clean_environment, free_port, live_server
from private_services import PrivatePostgres
from server_testing import assert_error

KEY_PATTERN = re.compile(r"bna_[0-9a-f]{64}")
GUARD = 60.0  # seconds: only against hanging
on_sqlite_pass = pytest.mark.skipif(
    ON_POSTGRES, reason="uses a PostgreSQL of its own: runs once, in the SQLite pass"
)


def test_backoff_doubles_up_to_a_cap() -> None:
    delays = backoff_delays(first=1, cap=30)
    assert [next(delays) for _ in range(8)] == [1, 2, 4, 8, 16, 30, 30, 30]


@pytest.fixture
def empty_database(own_postgres: PrivatePostgres) -> Iterator[str]:
    """A new database in the private instance; the instance is left running afterwards."""
    name = f"buena_startup_{secrets.token_hex(4)}"
    _admin(own_postgres, f'CREATE DATABASE "{name}"')
    yield own_postgres.url(name)
    if not own_postgres.running:
        own_postgres.start()


def _admin(server: PrivatePostgres, statement: str) -> None:
    asyncio.run(_admin_async(server, statement))


async def _admin_async(server: PrivatePostgres, statement: str) -> None:
    conn = await asyncpg.connect(server.url(), timeout=10)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@on_sqlite_pass
@pytest.mark.faults
async def test_retries_with_backoff_until_the_database_answers(
    own_postgres: PrivatePostgres, empty_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    own_postgres.stop()
    slept: list[float] = []

    async def sleep(delay: float) -> None:  # the schedule, without waiting it out
        slept.append(delay)
        if len(slept) == 3:
            own_postgres.start()

    settings = Settings(database_url=empty_database, env="test", database_timeout_seconds=0.5)
    startup = Startup(settings, "http://127.0.0.1:8000/api/v2", sleep=sleep)
    database = open_database(empty_database, timeout=0.5)
    try:
        async with asyncio.timeout(GUARD):
            await startup.run(database)
    finally:
        await database.close()
    assert slept == [1, 2, 4]
    assert startup.ready
    assert startup.failure is None
    printed = capsys.readouterr().out
    assert len(KEY_PATTERN.findall(printed)) == 1  # the new admin key, once


@on_sqlite_pass
@pytest.mark.faults
async def test_waits_for_its_database_to_be_created(own_postgres: PrivatePostgres) -> None:
    name = f"buena_later_{secrets.token_hex(4)}"
    slept: list[float] = []

    async def sleep(delay: float) -> None:
        slept.append(delay)
        await _admin_async(own_postgres, f'CREATE DATABASE "{name}"')  # a provisioning job

    url = own_postgres.url(name)
    startup = Startup(Settings(database_url=url, env="test"), "http://x/api/v2", sleep=sleep)
    database = open_database(url)
    try:
        async with asyncio.timeout(GUARD):
            await startup.run(database)
    finally:
        await database.close()
    assert slept == [1]
    assert startup.ready


async def test_an_error_waiting_cannot_cure_stops_the_start(database_url: str) -> None:
    # The database already has an account, and the bootstrap key belongs to none of it.
    settings = Settings(database_url=database_url, env="test", bootstrap_key=generate_key())
    database = open_database(database_url)
    async with database.transaction(write=True) as conn:
        await create_account(conn, "Existing")
    stopped: list[bool] = []
    startup = Startup(settings, "http://x/api/v2")
    startup.when_failed(lambda: stopped.append(True))
    try:
        await startup.run(database)
    finally:
        await database.close()
    assert stopped == [True]
    assert not startup.ready
    assert startup.failure is not None
    assert "BUENA_BOOTSTRAP_KEY is not known to this database" in str(startup.failure)


@on_sqlite_pass
@pytest.mark.faults
def test_serves_while_the_database_is_down(
    own_postgres: PrivatePostgres, empty_database: str, tmp_path: Path
) -> None:
    key = generate_key()
    own_postgres.stop()
    env = {"BUENA_BOOTSTRAP_KEY": key, "BUENA_DATABASE_TIMEOUT_SECONDS": "0.5"}
    with live_server(empty_database, tmp_path, env, until_healthy=False) as server:
        health = httpx.get(f"{server.base_url}/health")
        body = assert_error(
            health, 503, "SERVICE_UNAVAILABLE", extra_fields={"status", "services", "response_time"}
        )
        assert body["status"] == "down"
        headers = {"x-api-key": key}
        for response in (
            httpx.get(f"{server.base_url}/leads", headers=headers),
            httpx.get(f"{server.base_url}/leads/lead_abc", headers=headers),  # a hot path
            httpx.post(f"{server.base_url}/leads", json={"first_name": "A"}, headers=headers),
        ):
            assert_error(response, 503, "SERVICE_UNAVAILABLE")
            assert response.headers["retry-after"] == "1"

        own_postgres.start()
        deadline = time.monotonic() + GUARD
        while httpx.get(f"{server.base_url}/health").status_code != 200:
            assert time.monotonic() < deadline, server.output()
            time.sleep(0.2)
        lead = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}
        created = httpx.post(f"{server.base_url}/leads", json=lead, headers=headers)
        assert created.status_code == 201, created.text
        read = httpx.get(f"{server.base_url}/leads/{created.json()['id']}", headers=headers)
        assert read.status_code == 200
        output = server.output()
    assert "Traceback" not in output
    unreachable = [line for line in output.splitlines() if "cannot reach the database" in line]
    assert unreachable, output
    # One line per attempt, naming what it could not reach (and never a password).
    assert all(f"127.0.0.1:{own_postgres.port}" in line for line in unreachable)
    assert all("retrying in" in line for line in unreachable)
    assert f"reached the database {empty_database}: serving" in output


def test_a_new_database_starts_without_a_warning(tmp_path: Path) -> None:
    """The background work that needs the tables (the purges, the worker) waits for the
    migrations: a first start used to warn that a table did not exist."""
    with live_server(f"sqlite:///{tmp_path / 'new.db'}", tmp_path, {}) as server:
        output = server.output()
    assert "Running upgrade" in output
    assert "WARNING" not in output, output


def _production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"BUENA_ENV": "production", "BUENA_HOST": "127.0.0.1", **extra}


def test_production_never_prints_a_new_admin_key(tmp_path: Path) -> None:
    key_file = tmp_path / "secrets" / "admin-key"
    env = _production_env(tmp_path, BUENA_BOOTSTRAP_KEY_FILE=str(key_file))
    with live_server(f"sqlite:///{tmp_path / 'prod.db'}", tmp_path, env) as server:
        output = server.output()
        assert not KEY_PATTERN.search(output)
        assert str(key_file) in output
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        key = key_file.read_text().strip()
        assert KEY_PATTERN.fullmatch(key)
        response = httpx.get(f"{server.base_url}/keys", headers={"x-api-key": key})
        assert response.status_code == 200


def test_production_takes_the_bootstrap_key_without_a_file(tmp_path: Path) -> None:
    key = generate_key()
    key_file = tmp_path / "admin-key"
    env = _production_env(tmp_path, BUENA_BOOTSTRAP_KEY=key, BUENA_BOOTSTRAP_KEY_FILE=str(key_file))
    with live_server(f"sqlite:///{tmp_path / 'prod.db'}", tmp_path, env) as server:
        assert not KEY_PATTERN.search(server.output())
        assert not key_file.exists()
        response = httpx.get(f"{server.base_url}/keys", headers={"x-api-key": key})
        assert response.status_code == 200


def test_an_admin_key_that_cannot_be_delivered_stops_the_server(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    database = tmp_path / "prod.db"
    env = clean_environment(
        BUENA_DATABASE_URL=f"sqlite:///{database}",
        **_production_env(tmp_path, BUENA_BOOTSTRAP_KEY_FILE=str(blocker / "admin-key")),
    )
    result = subprocess.run(
        [sys.executable, "-m", "buena_server.cli", "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=GUARD,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "cannot write the admin key" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not KEY_PATTERN.search(result.stderr + result.stdout)
    # Nothing was created with a key nobody has: the next start bootstraps again.
    key_file = tmp_path / "admin-key"
    env["BUENA_BOOTSTRAP_KEY_FILE"] = str(key_file)
    with live_server(f"sqlite:///{database}", tmp_path, env) as server:
        key = key_file.read_text().strip()
        response = httpx.get(f"{server.base_url}/keys", headers={"x-api-key": key})
        assert response.status_code == 200
        assert response.json()["total"] == 1


async def test_stopping_lets_a_migration_under_way_end(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A server stopped while it migrates (its port was taken) cancels the start-up but
    lets the migration's transaction end, so no driver thread outlives the event loop."""
    from buena_server.kit import startup as startup_module

    began = asyncio.Event()
    release = asyncio.Event()
    finished: list[str] = []

    async def migrate_slowly(settings: Settings) -> None:
        began.set()
        await release.wait()
        finished.append("migrated")

    monkeypatch.setattr(startup_module, "migrate_database", migrate_slowly)
    url = f"sqlite:///{tmp_path / 'stop.db'}"
    startup = Startup(Settings(database_url=url, env="test"), "http://127.0.0.1:8000/api/v2")
    database = open_database(url)
    try:
        running = asyncio.create_task(startup.run(database))
        await began.wait()
        stopping = asyncio.create_task(startup.stop(running))
        await asyncio.sleep(0)  # stop() has cancelled the start-up and waits on the migration
        await asyncio.sleep(0)
        assert running.cancelled() or running.done()
        assert not stopping.done()
        release.set()
        async with asyncio.timeout(GUARD):
            await stopping
    finally:
        await database.close()
    assert finished == ["migrated"]
    assert not startup.ready


async def test_a_migration_that_outlasts_the_shutdown_timeout_is_cancelled(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from buena_server.kit import startup as startup_module

    began = asyncio.Event()
    cancelled: list[bool] = []

    async def migrate_forever(settings: Settings) -> None:
        began.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    monkeypatch.setattr(startup_module, "migrate_database", migrate_forever)
    url = f"sqlite:///{tmp_path / 'stop.db'}"
    settings = Settings(database_url=url, env="test", shutdown_timeout_seconds=0)
    startup = Startup(settings, "http://127.0.0.1:8000/api/v2")
    database = open_database(url)
    try:
        running = asyncio.create_task(startup.run(database))
        await began.wait()
        async with asyncio.timeout(GUARD):
            await startup.stop(running)
    finally:
        await database.close()
    assert cancelled == [True]
