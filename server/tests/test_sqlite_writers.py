"""SQLite runs in the event loop (driver.py): a writer in another process is waited for
without stalling the loop, and a writer that never lets go gives 503, never a hang."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from typing import Any

import pytest

from backends import ON_POSTGRES
from server_testing import API, Account, InProcessClient, assert_error

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="SQLite's write lock")


def _hold_write_lock(database_url: str) -> sqlite3.Connection:
    other = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"database_timeout_seconds": 2.0}


async def test_a_writer_waits_for_another_process_without_stalling_reads(
    client: InProcessClient, account: Account, database_url: str
) -> None:
    other = _hold_write_lock(database_url)
    body = {"first_name": "Wait", "last_name": "Turn", "email": "wait@example.com"}
    create = asyncio.create_task(client.post(f"{API}/leads", json=body, headers=account.headers()))
    await asyncio.sleep(0.2)
    assert not create.done()
    # Meanwhile the loop answers reads.
    started = time.monotonic()
    listed = await client.get(f"{API}/leads", headers=account.headers())
    assert listed.status_code == 200
    assert time.monotonic() - started < 0.5
    other.rollback()
    other.close()
    created = await create
    assert created.status_code == 201, created.text


async def test_a_writer_that_never_lets_go_gives_503(
    client: InProcessClient, account: Account, database_url: str
) -> None:
    other = _hold_write_lock(database_url)
    try:
        body = {"first_name": "Never", "last_name": "Mind", "email": "never@example.com"}
        response = await client.post(f"{API}/leads", json=body, headers=account.headers())
        assert_error(response, 503, "SERVICE_UNAVAILABLE")
        assert response.headers["retry-after"] == "1"
    finally:
        other.rollback()
        other.close()
    listed = (await client.get(f"{API}/leads", headers=account.headers())).json()
    assert listed["total"] == 0
