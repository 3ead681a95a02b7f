"""Authentication: headers, bad keys, expiry, last_used bookkeeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from buena_server.auth.permissions import Permission
from buena_server.auth.tokens import generate_key
from buena_server.services import services_of
from buena_server.tables import api_keys

from server_testing import API, Account, InProcessClient, assert_error


async def test_bearer_token_is_accepted(client: InProcessClient, account: Account) -> None:
    response = await client.get(f"{API}/leads", headers={"Authorization": f"Bearer {account.key}"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing"),
        ({"x-api-key": ""}, "missing"),
        ({"x-api-key": "not-a-key"}, "invalid"),
        ({"x-api-key": generate_key()}, "invalid"),  # well-formed but unknown
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "missing"),
    ],
)
async def test_refused_keys(client: InProcessClient, headers: dict[str, str], reason: str) -> None:
    body = assert_error(await client.get(f"{API}/leads", headers=headers), 401, "UNAUTHORIZED")
    assert body["details"]["reason"] == reason


async def test_expired_key(client: InProcessClient, account: Account) -> None:
    key = await account.key_with(
        Permission.LEADS_READ, expires_at=datetime.now(UTC) + timedelta(seconds=60)
    )
    assert (await client.get(f"{API}/leads", headers={"x-api-key": key})).status_code == 200
    async with services_of(client.app).database.transaction(write=True) as conn:
        await conn.execute(
            update(api_keys)
            .where(api_keys.c.key_preview == key[:8] + "...")
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    body = assert_error(
        await client.get(f"{API}/leads", headers={"x-api-key": key}), 401, "UNAUTHORIZED"
    )
    assert body["details"]["reason"] == "expired"


async def test_keys_are_stored_only_as_digests(client: InProcessClient, account: Account) -> None:
    async with services_of(client.app).database.transaction(write=False) as conn:
        rows = (await conn.execute(select(api_keys))).mappings().all()
    for row in rows:
        assert account.key not in {str(value) for value in row.values()}


async def test_last_used_is_written_in_batches(client: InProcessClient, account: Account) -> None:
    database = services_of(client.app).database

    async def stored_last_used() -> datetime | None:
        async with database.transaction(write=False) as conn:
            result = await conn.execute(select(api_keys.c.last_used))
            value: datetime | None = result.scalar_one()
            return value

    before = datetime.now(UTC)
    assert (await client.get(f"{API}/leads", headers=account.headers())).status_code == 200
    # Not written on the request path...
    assert await stored_last_used() is None
    # ...but by the flush, which the server runs periodically and at shutdown.
    await services_of(client.app).key_usage.flush(database)
    stored = await stored_last_used()
    assert stored is not None
    assert stored >= before


async def test_health_needs_no_key(client: InProcessClient) -> None:
    response = await client.get(f"{API}/health")
    assert response.status_code == 200
    assert "x-ratelimit-limit" not in response.headers
