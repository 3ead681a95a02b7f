"""``buena-server keys list`` and ``keys revoke``, run as the installed console script on the
test's database: listing every key, revoking while Redis is down (and saying so), and the
revocation's effect on the API and in Redis."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from buena_server.auth.cache import version_key
from buena_server.config import Settings

from backends import ON_POSTGRES, REDIS_URL
from live_server import clean_environment
from server_testing import API, Account, InProcessClient, assert_error

_SCRIPT = Path(sys.executable).with_name("buena-server")


def buena_server(database_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    command = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "buena_server.cli"]
    return subprocess.run(
        [*command, *args],
        env=clean_environment(BUENA_DATABASE_URL=database_url, **env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def run(database_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # Off the event loop: the app under test keeps serving meanwhile.
    return await asyncio.to_thread(buena_server, database_url, *args, **env)


async def test_keys_list_shows_every_key(
    database_url: str, account: Account, other_account: Account
) -> None:
    reader = await account.key_with("leads:read", name="Reader key")
    del reader
    result = await run(database_url, "keys", "list")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:4] == ["ID", "ACCOUNT", "NAME", "PREVIEW"]
    assert account.key_id in result.stdout
    assert other_account.key_id in result.stdout
    assert "Reader key" in result.stdout
    assert "active" in result.stdout
    assert account.key not in result.stdout  # never the key itself
    only = await run(database_url, "keys", "list", "--account", other_account.id)
    assert only.returncode == 0, only.stderr
    assert other_account.key_id in only.stdout
    assert account.key_id not in only.stdout
    none = await run(database_url, "keys", "list", "--account", "acct_none")
    assert none.stdout.strip() == "No API keys in account acct_none."


async def test_revoke_while_redis_is_down(
    database_url: str, client: InProcessClient, account: Account
) -> None:
    key = await account.key_with("leads:read", name="Leaked")
    listed = await client.get(f"{API}/keys", headers=account.headers())
    key_id = next(k["id"] for k in listed.json()["data"] if k["name"] == "Leaked")
    result = await run(
        database_url, "keys", "revoke", key_id, BUENA_REDIS_URL="redis://127.0.0.1:1/0"
    )
    assert result.returncode == 0, result.stderr
    assert f"API key {key_id} (Leaked, account {account.id}) revoked." in result.stdout
    assert "Redis is unreachable" in result.stderr
    assert "Traceback" not in result.stderr
    assert_error(await client.get(f"{API}/leads", headers={"x-api-key": key}), 401, "UNAUTHORIZED")
    events = await client.get(
        f"{API}/events", params={"type": "api_key.revoked"}, headers=account.headers()
    )
    assert [e["data"]["object"]["id"] for e in events.json()["data"]] == [key_id]
    again = await run(database_url, "keys", "revoke", key_id)
    assert again.returncode == 0, again.stderr
    assert "was already revoked" in again.stdout
    assert "Redis is not configured" in again.stdout
    # Revoked once: one event.
    events = await client.get(
        f"{API}/events", params={"type": "api_key.revoked"}, headers=account.headers()
    )
    assert len(events.json()["data"]) == 1


async def test_revoke_unknown_key(database_url: str, account: Account) -> None:
    result = await run(database_url, "keys", "revoke", "key_nope")
    assert result.returncode == 2
    assert result.stderr.strip() == "buena-server: no API key key_nope"


@pytest.mark.skipif(not ON_POSTGRES, reason="Redis runs beside PostgreSQL in the tests")
async def test_revoke_tells_redis(database_url: str, settings: Settings, account: Account) -> None:
    key = await account.key_with("leads:read", name="To revoke")
    del key
    result = await run(database_url, "keys", "list")
    key_id = next(line.split()[0] for line in result.stdout.splitlines() if "To revoke" in line)
    prefix = "buena-cli-test"
    store = redis.Redis.from_url(REDIS_URL)
    try:
        store.delete(version_key(prefix, key_id))
        revoked = await run(
            database_url,
            "keys",
            "revoke",
            key_id,
            BUENA_REDIS_URL=REDIS_URL,
            BUENA_REDIS_KEY_PREFIX=prefix,
        )
        assert revoked.returncode == 0, revoked.stderr
        assert "Redis told" in revoked.stdout
        assert store.get(version_key(prefix, key_id)) == b"1"
    finally:
        store.delete(version_key(prefix, key_id))
        store.close()
