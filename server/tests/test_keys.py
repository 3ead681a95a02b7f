"""GET/POST /keys and DELETE /keys/{id}."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from buena_server.auth.permissions import ALL_PERMISSIONS, Permission

from server_testing import API, Account, InProcessClient, assert_error

KEY_FIELDS = {
    "id",
    "name",
    "description",
    "key_preview",
    "permissions",
    "last_used",
    "is_active",
    "created_at",
    "expires_at",
}


async def create_key(
    client: InProcessClient, account: Account, key: str | None = None, **body: Any
) -> Any:
    body.setdefault("name", "Integration API Key")
    body.setdefault("permissions", ["leads:read", "leads:write"])
    return await client.post(f"{API}/keys", json=body, headers=account.headers(key))


class TestCreateApiKey:
    async def test_valid(self, client: InProcessClient, account: Account) -> None:
        expires = (datetime.now(UTC) + timedelta(days=365)).isoformat()
        response = await create_key(
            client, account, description="For CRM integration", expires_at=expires
        )
        assert response.status_code == 201, response.text
        key = response.json()
        assert set(key) == KEY_FIELDS | {"key"}
        assert re.fullmatch(r"bna_[0-9a-f]{64}", key["key"])
        assert key["key_preview"] == key["key"][:8] + "..."
        assert key["permissions"] == ["leads:read", "leads:write"]
        assert key["is_active"] is True
        assert key["description"] == "For CRM integration"
        assert datetime.fromisoformat(key["expires_at"]) == datetime.fromisoformat(expires)
        # The new key works, with exactly its permissions.
        ok = await client.get(f"{API}/leads", headers={"x-api-key": key["key"]})
        assert ok.status_code == 200
        denied = await client.get(f"{API}/keys", headers={"x-api-key": key["key"]})
        assert_error(denied, 403, "PERMISSION_DENIED")

    async def test_key_is_never_shown_again(
        self, client: InProcessClient, account: Account
    ) -> None:
        created = (await create_key(client, account)).json()
        listing = await client.get(f"{API}/keys", headers=account.headers())
        assert created["key"] not in listing.text
        assert all("key" not in item for item in listing.json()["data"])

    async def test_cannot_grant_permissions_it_lacks(
        self, client: InProcessClient, account: Account
    ) -> None:
        limited = await account.key_with(Permission.API_KEYS_WRITE, Permission.LEADS_READ)
        response = await create_key(
            client, account, key=limited, permissions=["leads:read", "leads:delete"]
        )
        body = assert_error(response, 403, "PERMISSION_DENIED")
        assert body["details"]["required"] == ["leads:delete"]
        ok = await create_key(client, account, key=limited, permissions=["leads:read"])
        assert ok.status_code == 201

    @pytest.mark.parametrize(
        "body",
        [
            {"permissions": ["leads:fly"]},
            {"permissions": []},
            {"name": ""},
            {"name": "x" * 101},
            {"expires_at": "2001-01-01T00:00:00Z"},
            {"expires_at": "2999-01-01T00:00:00"},  # no time zone
            {"expires_at": "not a date"},
            {"expires_at": "2030-01-01"},
            {"expires_at": "9999-12-31T23:59:59-14:00"},  # past the end of time in UTC
        ],
    )
    async def test_invalid_value(
        self, client: InProcessClient, account: Account, body: dict[str, Any]
    ) -> None:
        assert_error(await create_key(client, account, **body), 422, "VALIDATION_ERROR")

    async def test_every_structural_error_at_once(
        self, client: InProcessClient, account: Account
    ) -> None:
        response = await client.post(
            f"{API}/keys", json={"description": 1, "scopes": []}, headers=account.headers()
        )
        error = assert_error(response, 400, "INVALID_REQUEST")
        assert [e["field"] for e in error["details"]["errors"]] == [
            "description",
            "scopes",
            "name",
            "permissions",
        ]

    @pytest.mark.parametrize("missing", ["name", "permissions"])
    async def test_missing_field(
        self, client: InProcessClient, account: Account, missing: str
    ) -> None:
        body = {"name": "n", "permissions": ["leads:read"]}
        del body[missing]
        response = await client.post(f"{API}/keys", json=body, headers=account.headers())
        assert_error(response, 400, "INVALID_REQUEST")

    async def test_anonymous(self, client: InProcessClient) -> None:
        response = await client.post(f"{API}/keys", json={"name": "x", "permissions": []})
        assert_error(response, 401, "UNAUTHORIZED")

    async def test_missing_permission(self, client: InProcessClient, account: Account) -> None:
        key = await account.key_with(Permission.API_KEYS_READ, Permission.LEADS_READ)
        response = await create_key(client, account, key=key, permissions=["leads:read"])
        body = assert_error(response, 403, "PERMISSION_DENIED")
        assert body["details"]["required"] == ["api_keys:write"]

    async def test_expiry_comes_back_in_utc(
        self, client: InProcessClient, account: Account
    ) -> None:
        response = await create_key(client, account, expires_at="2030-01-01T05:00:00+05:00")
        assert response.json()["expires_at"] == "2030-01-01T00:00:00Z"
        listing = (await client.get(f"{API}/keys", headers=account.headers())).json()
        assert listing["data"][0]["expires_at"] == "2030-01-01T00:00:00Z"


class TestListApiKeys:
    async def test_valid(self, client: InProcessClient, account: Account) -> None:
        await create_key(client, account, name="second")
        response = await client.get(f"{API}/keys", headers=account.headers())
        assert response.status_code == 200
        body = response.json()
        assert body["total"] == 2
        assert [k["name"] for k in body["data"]] == ["second", "Admin key"]
        admin = body["data"][1]
        assert set(admin) == KEY_FIELDS
        assert sorted(admin["permissions"]) == sorted(ALL_PERMISSIONS)
        # The admin key was just used for this very request.
        assert admin["last_used"] is not None

    async def test_only_own_account(
        self, client: InProcessClient, account: Account, other_account: Account
    ) -> None:
        body = (await client.get(f"{API}/keys", headers=other_account.headers())).json()
        assert body["total"] == 1

    async def test_missing_permission(self, client: InProcessClient, account: Account) -> None:
        key = await account.key_with(Permission.LEADS_READ)
        assert_error(
            await client.get(f"{API}/keys", headers={"x-api-key": key}), 403, "PERMISSION_DENIED"
        )

    async def test_anonymous(self, client: InProcessClient) -> None:
        assert_error(await client.get(f"{API}/keys"), 401, "UNAUTHORIZED")


class TestRevokeApiKey:
    async def test_revoked_key_is_refused_on_its_next_request(
        self, client: InProcessClient, account: Account
    ) -> None:
        created = (await create_key(client, account)).json()
        headers = {"x-api-key": created["key"]}
        assert (await client.get(f"{API}/leads", headers=headers)).status_code == 200
        response = await client.delete(f"{API}/keys/{created['id']}", headers=account.headers())
        assert response.status_code == 200
        assert response.json() == {
            "success": True,
            "message": f"API key {created['id']} revoked",
            "revoked_id": created["id"],
        }
        body = assert_error(await client.get(f"{API}/leads", headers=headers), 401, "UNAUTHORIZED")
        assert body["details"]["reason"] == "revoked"
        listing = (await client.get(f"{API}/keys", headers=account.headers())).json()
        revoked = next(k for k in listing["data"] if k["id"] == created["id"])
        assert revoked["is_active"] is False

    async def test_a_key_can_revoke_itself(self, client: InProcessClient, account: Account) -> None:
        keys = (await client.get(f"{API}/keys", headers=account.headers())).json()["data"]
        admin_id = keys[0]["id"]
        response = await client.delete(f"{API}/keys/{admin_id}", headers=account.headers())
        assert response.status_code == 200
        assert_error(
            await client.get(f"{API}/keys", headers=account.headers()), 401, "UNAUTHORIZED"
        )

    async def test_other_accounts_key_is_not_found(
        self, client: InProcessClient, account: Account, other_account: Account
    ) -> None:
        created = (await create_key(client, account)).json()
        response = await client.delete(
            f"{API}/keys/{created['id']}", headers=other_account.headers()
        )
        assert_error(response, 404, "API_KEY_NOT_FOUND")
        still = await client.get(f"{API}/leads", headers={"x-api-key": created["key"]})
        assert still.status_code == 200

    @pytest.mark.parametrize("key_id", ["key_nope", "key%00x"])
    async def test_missing(self, client: InProcessClient, account: Account, key_id: str) -> None:
        response = await client.delete(f"{API}/keys/{key_id}", headers=account.headers())
        assert_error(response, 404, "API_KEY_NOT_FOUND")

    async def test_missing_permission(self, client: InProcessClient, account: Account) -> None:
        key = await account.key_with(Permission.API_KEYS_READ)
        response = await client.delete(f"{API}/keys/key_nope", headers={"x-api-key": key})
        assert_error(response, 403, "PERMISSION_DENIED")
