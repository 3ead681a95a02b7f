"""The rules of a key's life: what a key may revoke and create, how long the keys it creates
may live, how many active keys an account holds, and how GET /keys pages."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from buena_server.accounts.repository import AccountRepository
from buena_server.auth.permissions import ALL_PERMISSIONS, Permission
from buena_server.kit.clock import utcnow
from buena_server.services import services_of
from buena_server.tables import api_keys

from backends import ON_POSTGRES
from server_testing import API, Account, InProcessClient, assert_error


async def create_key(
    client: InProcessClient, account: Account, key: str | None = None, **body: Any
) -> Any:
    body.setdefault("name", "lifecycle key")
    body.setdefault("permissions", ["leads:read"])
    return await client.post(f"{API}/keys", json=body, headers=account.headers(key))


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class TestRevokeOnlyWhatItHolds:
    async def test_cannot_revoke_a_key_holding_more(
        self, client: InProcessClient, account: Account
    ) -> None:
        writer = await account.key_with(Permission.API_KEYS_WRITE)
        response = await client.delete(
            f"{API}/keys/{account.key_id}", headers=account.headers(writer)
        )
        body = assert_error(response, 403, "PERMISSION_DENIED")
        assert body["details"]["required"] == sorted(
            set(ALL_PERMISSIONS) - {Permission.API_KEYS_WRITE.value}
        )
        assert body["details"]["granted"] == [Permission.API_KEYS_WRITE.value]
        assert body["details"]["key_id"] == account.key_id
        # Nothing changed: the admin key still works.
        assert (await client.get(f"{API}/keys", headers=account.headers())).status_code == 200

    async def test_revokes_a_key_holding_no_more(
        self, client: InProcessClient, account: Account
    ) -> None:
        writer = await account.key_with(Permission.API_KEYS_WRITE, Permission.LEADS_READ)
        created = (await create_key(client, account, permissions=["leads:read"])).json()
        response = await client.delete(
            f"{API}/keys/{created['id']}", headers=account.headers(writer)
        )
        assert response.status_code == 200, response.text
        refused = await client.get(f"{API}/leads", headers={"x-api-key": created["key"]})
        assert_error(refused, 401, "UNAUTHORIZED")

    async def test_another_accounts_key_is_still_not_found(
        self, client: InProcessClient, account: Account, other_account: Account
    ) -> None:
        writer = await account.key_with(Permission.API_KEYS_WRITE)
        response = await client.delete(
            f"{API}/keys/{other_account.key_id}", headers=account.headers(writer)
        )
        assert_error(response, 404, "API_KEY_NOT_FOUND")


class TestCreateOnlyWhatItHolds:
    async def test_each_permission_beyond_the_callers_is_named(
        self, client: InProcessClient, account: Account
    ) -> None:
        writer = await account.key_with(Permission.API_KEYS_WRITE)
        response = await create_key(
            client, account, writer, permissions=["api_keys:write", "leads:read", "leads:delete"]
        )
        body = assert_error(response, 403, "PERMISSION_DENIED")
        assert body["details"]["required"] == ["leads:read", "leads:delete"]


class TestNeverOutlivesItsCreator:
    @pytest.fixture
    def parent_expiry(self) -> datetime:
        return utcnow() + timedelta(minutes=5)

    @pytest.fixture
    async def parent(self, account: Account, parent_expiry: datetime) -> str:
        return await account.key_with(
            Permission.API_KEYS_WRITE, Permission.LEADS_READ, expires_at=parent_expiry
        )

    @pytest.mark.parametrize("later", [None, timedelta(seconds=1), timedelta(days=365)])
    async def test_refused(
        self,
        client: InProcessClient,
        account: Account,
        parent: str,
        parent_expiry: datetime,
        later: timedelta | None,
    ) -> None:
        body: dict[str, Any] = {}
        if later is not None:
            body["expires_at"] = _z(parent_expiry + later)
        response = await create_key(client, account, parent, **body)
        error = assert_error(response, 422, "API_KEY_OUTLIVES_CALLER")
        assert error["details"]["max_expires_at"] == _z(parent_expiry)
        assert error["details"]["errors"][0]["field"] == "expires_at"
        listing = (await client.get(f"{API}/keys", headers=account.headers())).json()
        assert listing["total"] == 2  # the admin key and the parent: nothing was created

    @pytest.mark.parametrize("earlier", [timedelta(0), timedelta(minutes=1)])
    async def test_accepted_up_to_the_parents_expiry(
        self,
        client: InProcessClient,
        account: Account,
        parent: str,
        parent_expiry: datetime,
        earlier: timedelta,
    ) -> None:
        expires_at = parent_expiry - earlier
        response = await create_key(client, account, parent, expires_at=_z(expires_at))
        assert response.status_code == 201, response.text
        assert datetime.fromisoformat(response.json()["expires_at"]) == expires_at

    async def test_a_key_that_never_expires_may_create_one_that_never_expires(
        self, client: InProcessClient, account: Account
    ) -> None:
        writer = await account.key_with(Permission.API_KEYS_WRITE, Permission.LEADS_READ)
        response = await create_key(client, account, writer)
        assert response.status_code == 201, response.text
        assert response.json()["expires_at"] is None


class TestActiveKeyCap:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"max_active_keys_per_account": 3}

    async def test_refused_beyond_the_cap(self, client: InProcessClient, account: Account) -> None:
        first = (await create_key(client, account)).json()
        assert (await create_key(client, account)).status_code == 201
        body = assert_error(await create_key(client, account), 422, "API_KEY_LIMIT_REACHED")
        assert body["details"] == {"limit": 3, "active": 3}
        # A revoked key frees its place.
        revoked = await client.delete(f"{API}/keys/{first['id']}", headers=account.headers())
        assert revoked.status_code == 200
        assert (await create_key(client, account)).status_code == 201

    async def test_expired_keys_do_not_count(
        self, client: InProcessClient, account: Account
    ) -> None:
        for _ in range(3):
            await account.key_with(
                Permission.LEADS_READ, expires_at=utcnow() - timedelta(seconds=1)
            )
        assert (await create_key(client, account)).status_code == 201
        assert (await create_key(client, account)).status_code == 201
        assert_error(await create_key(client, account), 422, "API_KEY_LIMIT_REACHED")

    async def test_each_account_has_its_own_cap(
        self, client: InProcessClient, account: Account, other_account: Account
    ) -> None:
        for _ in range(2):
            assert (await create_key(client, account)).status_code == 201
        assert (await create_key(client, other_account)).status_code == 201

    async def test_concurrent_creates_never_pass_the_cap(
        self, client: InProcessClient, account: Account
    ) -> None:
        responses = await asyncio.gather(*(create_key(client, account) for _ in range(16)))
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201, 201] + [422] * 14, [r.text for r in responses]
        async with services_of(client.app).database.transaction(write=False) as conn:
            active = await conn.execute(
                select(func.count())
                .select_from(api_keys)
                .where(api_keys.c.account_id == account.id, api_keys.c.is_active.is_(True))
            )
            assert active.scalar_one() == 3

    @pytest.mark.skipif(not ON_POSTGRES, reason="row locks: SQLite's writes are serial anyway")
    async def test_the_cap_lock_does_not_hold_up_the_accounts_other_writes(
        self, client: InProcessClient, account: Account
    ) -> None:
        # FOR UPDATE would make the lead's foreign-key check wait for this transaction (and,
        # bounded by BUENA_DATABASE_TIMEOUT_SECONDS, answer 503); FOR NO KEY UPDATE does not.
        async with services_of(client.app).database.transaction(write=True) as conn:
            await AccountRepository(conn).lock(account.id)
            lead = await account.create_lead()
        assert lead["id"].startswith("lead_")


class TestListPaging:
    async def test_pages_cover_every_key_once(
        self, client: InProcessClient, account: Account
    ) -> None:
        for index in range(4):
            await account.key_with(Permission.LEADS_READ, name=f"key {index}")
        seen: list[str] = []
        for offset in (0, 2, 4):
            response = await client.get(
                f"{API}/keys", params={"limit": 2, "offset": offset}, headers=account.headers()
            )
            assert response.status_code == 200, response.text
            body = response.json()
            assert (body["total"], body["limit"], body["offset"]) == (5, 2, offset)
            assert len(body["data"]) == (2 if offset < 4 else 1)
            seen += [key["id"] for key in body["data"]]
        assert len(set(seen)) == 5
        everything = (await client.get(f"{API}/keys", headers=account.headers())).json()
        assert [key["id"] for key in everything["data"]] == seen  # newest first, stable

    async def test_defaults_and_clamp(self, client: InProcessClient, account: Account) -> None:
        body = (await client.get(f"{API}/keys", headers=account.headers())).json()
        assert (body["limit"], body["offset"]) == (50, 0)
        body = (
            await client.get(f"{API}/keys", params={"limit": 500}, headers=account.headers())
        ).json()
        assert body["limit"] == 100

    @pytest.mark.parametrize("params", [{"limit": 0}, {"limit": -1}, {"offset": -1}])
    async def test_out_of_range(
        self, client: InProcessClient, account: Account, params: dict[str, int]
    ) -> None:
        response = await client.get(f"{API}/keys", params=params, headers=account.headers())
        body = assert_error(response, 422, "VALIDATION_ERROR")
        assert body["details"]["errors"][0]["field"] == next(iter(params))
