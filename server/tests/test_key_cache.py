"""Keys remembered between requests (auth/cache.py): trusted only while their version in Redis
is unchanged, so a revocation through any process refuses the key everywhere at once."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import pytest

from buena_server.app import create_app
from buena_server.auth.cache import KeyCache
from buena_server.auth.permissions import Permission
from buena_server.config import Settings
from buena_server.keys.repository import ApiKeyRecord, ApiKeyRepository
from buena_server.kit.clock import utcnow
from buena_server.services import services_of

from backends import ON_POSTGRES
from server_testing import API, Account, InProcessClient, assert_error, running


class LoadCounter:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.loads = 0
        original = ApiKeyRepository.find_by_digest

        async def counting(repository: ApiKeyRepository, digest: str) -> Any:
            self.loads += 1
            return await original(repository, digest)

        monkeypatch.setattr(ApiKeyRepository, "find_by_digest", counting)


async def revoke(client: InProcessClient, account: Account, key: str) -> None:
    listing = (await client.get(f"{API}/keys", headers=account.headers())).json()["data"]
    key_id = next(k["id"] for k in listing if k["key_preview"] == key[:8] + "...")
    revoked = await client.delete(f"{API}/keys/{key_id}", headers=account.headers())
    assert revoked.status_code == 200


async def assert_revoked(client: InProcessClient, headers: dict[str, str]) -> None:
    body = assert_error(await client.get(f"{API}/leads", headers=headers), 401, "UNAUTHORIZED")
    assert body["details"]["reason"] == "revoked"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # No queue worker: on SQLite its own commits (the jobs it claims and completes) would
    # count as changes too, at times these tests do not control.
    return {"rate_limits": "1000/minute", "worker_in_serve": False}


sqlite_only = pytest.mark.skipif(ON_POSTGRES, reason="SQLite's own change counter")


@sqlite_only
async def test_on_sqlite_a_key_is_trusted_until_anything_commits(
    client: InProcessClient, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = LoadCounter(monkeypatch)
    for _ in range(5):
        assert (await client.get(f"{API}/leads", headers=account.headers())).status_code == 200
    assert counter.loads == 1
    # A write (here a new lead) changes the database: the next request reads the key again,
    # once.
    await account.create_lead()
    assert counter.loads == 1
    for _ in range(3):
        assert (await client.get(f"{API}/leads", headers=account.headers())).status_code == 200
    assert counter.loads == 2


@sqlite_only
async def test_on_sqlite_revocation_reaches_another_process_at_once(
    client: InProcessClient, account: Account, settings: Settings
) -> None:
    key = await account.key_with(Permission.LEADS_READ)
    headers = {"x-api-key": key}
    # Another server process on the same database file.
    async with running(create_app(settings)) as other:
        for _ in range(3):
            assert (await other.get(f"{API}/leads", headers=headers)).status_code == 200
        await revoke(client, account, key)
        await assert_revoked(other, headers)


redis_only = pytest.mark.skipif(
    not ON_POSTGRES, reason="needs Redis: runs in the BUENA_TEST_BACKEND=postgres pass"
)


@redis_only
async def test_a_key_is_trusted_from_its_second_use(
    client: InProcessClient, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = LoadCounter(monkeypatch)
    for _ in range(6):
        assert (await client.get(f"{API}/leads", headers=account.headers())).status_code == 200
    # Read once (before its version was known), again after it, then trusted.
    assert counter.loads == 2


@redis_only
async def test_revocation_reaches_another_process_at_once(
    client: InProcessClient, account: Account, settings: Settings
) -> None:
    key = await account.key_with(Permission.LEADS_READ)
    headers = {"x-api-key": key}
    # Another server process: same database, same Redis.
    async with running(create_app(settings)) as other:
        for _ in range(3):  # now trusted by both
            assert (await client.get(f"{API}/leads", headers=headers)).status_code == 200
            assert (await other.get(f"{API}/leads", headers=headers)).status_code == 200
        await revoke(client, account, key)
        for server in (other, client):
            await assert_revoked(server, headers)


@redis_only
async def test_revocation_without_redis_changes_nothing(
    settings: Settings, account: Account
) -> None:
    key = await account.key_with(Permission.LEADS_READ)
    unreachable = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    async with running(create_app(unreachable)) as cut_off:
        listing = (await cut_off.get(f"{API}/keys", headers=account.headers())).json()
        key_id = next(k["id"] for k in listing["data"] if k["key_preview"] == key[:8] + "...")
        refused = await cut_off.delete(f"{API}/keys/{key_id}", headers=account.headers())
        body = assert_error(refused, 503, "SERVICE_UNAVAILABLE")
        assert "Redis" in body["message"]
        # The key still works: the revocation did not commit.
        assert (await cut_off.get(f"{API}/leads", headers={"x-api-key": key})).status_code == 200


@sqlite_only
async def test_on_sqlite_the_change_counter_is_read_once_per_pass_of_the_loop(
    client: InProcessClient, account: Account
) -> None:
    """Requests run in one pass of the event loop share one data_version read (they all
    arrived before it); the next pass reads again, so a commit made meanwhile shows."""
    database = services_of(client.app).database
    before = database.change_marker()
    assert before is not None
    other = sqlite3.connect(database.path)
    try:
        with other:
            other.execute("UPDATE accounts SET name = name || '!'")
        assert database.change_marker() == before  # same pass: the shared read
        await asyncio.sleep(0)  # the loop turns
        assert database.change_marker() != before
    finally:
        other.close()


def _record(key_id: str) -> ApiKeyRecord:
    return ApiKeyRecord(
        id=key_id,
        account_id="acct_1",
        name=key_id,
        description=None,
        key_preview="bna_0000...",
        permissions=[Permission.LEADS_READ],
        is_active=True,
        created_at=utcnow(),
        expires_at=None,
        last_used=None,
    )


def _fill(cache: KeyCache, *key_ids: str) -> None:
    for key_id in key_ids:
        cache.put(f"digest-{key_id}", _record(key_id), version="1")


def _cached(cache: KeyCache, *key_ids: str) -> list[str]:
    return [key_id for key_id in key_ids if cache.get(f"digest-{key_id}") is not None]


def test_a_full_cache_forgets_its_oldest_key() -> None:
    cache = KeyCache(max_entries=3)
    _fill(cache, "a", "b", "c", "d")
    assert _cached(cache, "a", "b", "c", "d") == ["b", "c", "d"]
    _fill(cache, "e", "f")
    assert _cached(cache, "a", "b", "c", "d", "e", "f") == ["d", "e", "f"]


def test_a_key_read_again_from_the_database_is_the_newest() -> None:
    """Age is counted from the last read from the database (``put``), not from the last use:
    a key reloaded (its version changed, say) outlives the keys put before it."""
    cache = KeyCache(max_entries=3)
    _fill(cache, "a", "b", "c", "b")
    assert _cached(cache, "a", "b", "c") == ["a", "b", "c"]  # a key put again takes no room
    _fill(cache, "d", "e")
    assert _cached(cache, "a", "b", "c", "d", "e") == ["b", "d", "e"]
    entry = cache.get("digest-b")
    assert entry is not None
    assert entry.principal.key_id == "b"
    assert entry.principal.permissions == frozenset({Permission.LEADS_READ})


def test_forget_drops_every_entry_of_the_key() -> None:
    cache = KeyCache(max_entries=3)
    _fill(cache, "a", "b")
    cache.put("another-digest-of-a", _record("a"), version="1")
    cache.forget("a")
    assert _cached(cache, "a", "b") == ["b"]
    assert cache.get("another-digest-of-a") is None
