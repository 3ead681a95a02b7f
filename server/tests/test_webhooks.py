"""GET/POST /webhooks, GET/PATCH/DELETE /webhooks/{id}, rotate-secret, and the deliveries
list: the wire contract (docs/api.md, "Webhooks")."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from buena_server.auth.permissions import Permission
from buena_server.services import services_of
from buena_server.tables import webhooks

from server_testing import API, Account, InProcessClient, assert_error
from webhook_receivers import REFUSED_ADDRESSES, PointingResolver, url_for

WEBHOOK_FIELDS = {
    "id",
    "url",
    "events",
    "description",
    "is_active",
    "secret_preview",
    "disabled_reason",
    "disabled_at",
    "created_at",
    "updated_at",
}
URL = "https://hooks.example.com/buena"


@pytest.fixture(autouse=True)
def offline_names(client: InProcessClient) -> None:
    """Names resolve without DNS: hooks.example.com to a public address."""
    resolver = PointingResolver({"hooks.example.com": "93.184.215.14"})
    services_of(client.app).webhook_sender.resolver.target = resolver


async def create_webhook(
    client: InProcessClient, account: Account, key: str | None = None, **body: Any
) -> Any:
    body.setdefault("url", URL)
    body.setdefault("events", ["lead.created"])
    return await client.post(f"{API}/webhooks", json=body, headers=account.headers(key))


async def created(client: InProcessClient, account: Account, **body: Any) -> dict[str, Any]:
    response = await create_webhook(client, account, **body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


class TestCreateWebhook:
    async def test_valid(self, client: InProcessClient, account: Account) -> None:
        response = await create_webhook(
            client, account, events=["lead.created", "lead.updated"], description="CRM sync"
        )
        assert response.status_code == 201, response.text
        hook = response.json()
        assert set(hook) == WEBHOOK_FIELDS | {"secret"}
        assert re.fullmatch(r"wh_[0-9a-f]{24}", hook["id"])
        assert re.fullmatch(r"whsec_[A-Za-z0-9_-]{43}", hook["secret"])
        assert hook["secret_preview"] == hook["secret"][:10] + "..."
        assert hook["url"] == URL
        assert hook["events"] == ["lead.created", "lead.updated"]
        assert hook["description"] == "CRM sync"
        assert hook["is_active"] is True
        assert hook["disabled_reason"] is None
        assert hook["disabled_at"] is None
        assert hook["created_at"].endswith("Z")

    async def test_secret_is_never_shown_again(
        self, client: InProcessClient, account: Account
    ) -> None:
        hook = await created(client, account)
        for response in (
            await client.get(f"{API}/webhooks", headers=account.headers()),
            await client.get(f"{API}/webhooks/{hook['id']}", headers=account.headers()),
            await client.patch(
                f"{API}/webhooks/{hook['id']}", json={"events": ["*"]}, headers=account.headers()
            ),
        ):
            assert response.status_code == 200
            assert hook["secret"] not in response.text

    async def test_anonymous(self, client: InProcessClient) -> None:
        response = await client.post(f"{API}/webhooks", json={"url": URL, "events": ["*"]})
        assert_error(response, 401, "UNAUTHORIZED")

    async def test_missing_permission(self, client: InProcessClient, account: Account) -> None:
        key = await account.key_with(Permission.WEBHOOKS_READ)
        assert_error(await create_webhook(client, account, key), 403, "PERMISSION_DENIED")

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"events": []}, "events"),
            ({"events": ["lead.exploded"]}, "events"),
            ({"url": "ftp://hooks.example.com/x"}, "url"),
            ({"url": "not a url"}, "url"),
            ({"description": "x" * 501}, "description"),
        ],
    )
    async def test_invalid_values(
        self, client: InProcessClient, account: Account, body: dict[str, Any], field: str
    ) -> None:
        response = await create_webhook(client, account, **body)
        error = assert_error(response, 422, "VALIDATION_ERROR")
        assert error["details"]["errors"][0]["field"] == field

    async def test_http_needs_private_receivers_allowed(
        self, client: InProcessClient, account: Account
    ) -> None:
        response = await create_webhook(client, account, url="http://hooks.example.com/x")
        error = assert_error(response, 422, "WEBHOOK_URL_REFUSED")
        assert "https" in error["message"]

    @pytest.mark.parametrize("value", [0, 1, "true", None])
    async def test_is_active_must_be_a_boolean(
        self, client: InProcessClient, account: Account, value: object
    ) -> None:
        response = await create_webhook(client, account, is_active=value)
        error = assert_error(response, 400, "INVALID_REQUEST")
        assert error["details"]["errors"][0]["field"] == "is_active"

    async def test_a_host_no_resolver_can_encode_is_accepted_for_later(
        self, client: InProcessClient, account: Account
    ) -> None:
        services_of(client.app).webhook_sender.resolver.target = None  # the real resolver
        await created(client, account, url=f"https://{'0' * 300}/hook")

    async def test_structural_errors_come_before_the_url_check(
        self, client: InProcessClient, account: Account
    ) -> None:
        response = await create_webhook(client, account, url="https://127.0.0.1/", events="*")
        assert_error(response, 400, "INVALID_REQUEST")

    async def test_limit_per_account(
        self, client: InProcessClient, account: Account, other_account: Account
    ) -> None:
        limit = services_of(client.app).settings.max_webhooks_per_account
        for _ in range(limit):
            await created(client, account)
        error = assert_error(await create_webhook(client, account), 422, "WEBHOOK_LIMIT_REACHED")
        assert error["details"] == {"limit": limit, "count": limit}
        await created(client, other_account)

    async def test_secrets_are_stored_to_sign(
        self, client: InProcessClient, account: Account
    ) -> None:
        hook = await created(client, account)
        async with services_of(client.app).database.transaction(write=False) as conn:
            stored = (
                await conn.execute(select(webhooks.c.secret).where(webhooks.c.id == hook["id"]))
            ).scalar_one()
        assert stored == hook["secret"]


class TestRefusedAddresses:
    """Every refused address class, as the URL's host and as what its name resolves to."""

    @pytest.mark.parametrize("address", REFUSED_ADDRESSES.values(), ids=REFUSED_ADDRESSES.keys())
    async def test_literal(self, client: InProcessClient, account: Account, address: str) -> None:
        response = await create_webhook(client, account, url=url_for(address))
        error = assert_error(response, 422, "WEBHOOK_URL_REFUSED")
        assert error["details"]["errors"][0]["field"] == "url"
        assert error["details"]["reason"]

    @pytest.mark.parametrize("address", REFUSED_ADDRESSES.values(), ids=REFUSED_ADDRESSES.keys())
    async def test_resolved(self, client: InProcessClient, account: Account, address: str) -> None:
        resolver = PointingResolver({"hooks.example.com": address})
        services_of(client.app).webhook_sender.resolver.target = resolver
        response = await create_webhook(client, account, url="https://hooks.example.com/x")
        error = assert_error(response, 422, "WEBHOOK_URL_REFUSED")
        assert address in error["details"]["reason"]

    @pytest.mark.parametrize("host", ["metadata.google.internal", "localhost", "app.localhost"])
    async def test_names(self, client: InProcessClient, account: Account, host: str) -> None:
        resolver = PointingResolver({host: "93.184.215.14"})
        services_of(client.app).webhook_sender.resolver.target = resolver
        response = await create_webhook(client, account, url=f"https://{host}/x")
        assert_error(response, 422, "WEBHOOK_URL_REFUSED")

    async def test_public_and_unresolvable_hosts_pass(
        self, client: InProcessClient, account: Account
    ) -> None:
        resolver = PointingResolver({"hooks.example.com": "93.184.215.14"})
        services_of(client.app).webhook_sender.resolver.target = resolver
        await created(client, account, url="https://hooks.example.com/x")
        # Judged again when a delivery resolves it (test_webhook_sender.py).
        await created(client, account, url="https://not-yet.example.com/x")


class TestPrivateAllowed:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"webhooks_allow_private": True}

    async def test_loopback_and_http_accepted(
        self, client: InProcessClient, account: Account
    ) -> None:
        hook = await created(client, account, url="http://127.0.0.1:9/hook")
        assert hook["url"] == "http://127.0.0.1:9/hook"


class TestListWebhooks:
    async def test_valid(
        self, client: InProcessClient, account: Account, other_account: Account
    ) -> None:
        first = await created(client, account)
        second = await created(client, account, events=["*"])
        await created(client, other_account)
        response = await client.get(f"{API}/webhooks?limit=1", headers=account.headers())
        assert response.status_code == 200
        body = response.json()
        assert body["total"] == 2
        assert body["limit"] == 1
        assert body["offset"] == 0
        assert [h["id"] for h in body["data"]] == [second["id"]]
        assert set(body["data"][0]) == WEBHOOK_FIELDS
        rest = await client.get(f"{API}/webhooks?offset=1", headers=account.headers())
        assert [h["id"] for h in rest.json()["data"]] == [first["id"]]

    async def test_anonymous(self, client: InProcessClient) -> None:
        assert_error(await client.get(f"{API}/webhooks"), 401, "UNAUTHORIZED")

    async def test_missing_permission(self, client: InProcessClient, account: Account) -> None:
        key = await account.key_with(Permission.WEBHOOKS_WRITE)
        response = await client.get(f"{API}/webhooks", headers=account.headers(key))
        assert_error(response, 403, "PERMISSION_DENIED")


class TestGetWebhook:
    async def test_valid(self, client: InProcessClient, account: Account) -> None:
        hook = await created(client, account)
        response = await client.get(f"{API}/webhooks/{hook['id']}", headers=account.headers())
        assert response.status_code == 200
        assert response.json() == {k: v for k, v in hook.items() if k != "secret"}

    async def test_not_found(
        self, client: InProcessClient, account: Account, other_account: Account
    ) -> None:
        theirs = await created(client, other_account)
        for webhook_id in (theirs["id"], "wh_missing", "x" * 300):
            response = await client.get(f"{API}/webhooks/{webhook_id}", headers=account.headers())
            assert_error(response, 404, "WEBHOOK_NOT_FOUND")


class TestUpdateWebhook:
    async def test_valid(self, client: InProcessClient, account: Account) -> None:
        hook = await created(client, account, description="old")
        response = await client.patch(
            f"{API}/webhooks/{hook['id']}",
            json={"events": ["*"], "description": None, "url": URL + "/v2", "is_active": False},
            headers=account.headers(),
        )
        assert response.status_code == 200, response.text
        updated = response.json()
        assert updated["events"] == ["*"]
        assert updated["description"] is None
        assert updated["url"] == URL + "/v2"
        assert updated["is_active"] is False
        assert updated["updated_at"] >= hook["updated_at"]
        assert updated["secret_preview"] == hook["secret_preview"]

    async def test_absent_is_unchanged_and_null_is_refused(
        self, client: InProcessClient, account: Account
    ) -> None:
        hook = await created(client, account)
        same = await client.patch(
            f"{API}/webhooks/{hook['id']}", json={}, headers=account.headers()
        )
        assert same.json()["updated_at"] == hook["updated_at"]
        for field in ("url", "events"):
            response = await client.patch(
                f"{API}/webhooks/{hook['id']}", json={field: None}, headers=account.headers()
            )
            assert_error(response, 422, "VALIDATION_ERROR")

    async def test_refused_url(self, client: InProcessClient, account: Account) -> None:
        hook = await created(client, account)
        response = await client.patch(
            f"{API}/webhooks/{hook['id']}",
            json={"url": "https://169.254.169.254/latest"},
            headers=account.headers(),
        )
        error = assert_error(response, 422, "WEBHOOK_URL_REFUSED")
        assert "metadata" in error["details"]["reason"]

    async def test_not_found(self, client: InProcessClient, account: Account) -> None:
        response = await client.patch(
            f"{API}/webhooks/wh_missing", json={"events": ["*"]}, headers=account.headers()
        )
        assert_error(response, 404, "WEBHOOK_NOT_FOUND")

    async def test_missing_permission(self, client: InProcessClient, account: Account) -> None:
        hook = await created(client, account)
        key = await account.key_with(Permission.WEBHOOKS_READ)
        response = await client.patch(
            f"{API}/webhooks/{hook['id']}", json={"events": ["*"]}, headers=account.headers(key)
        )
        assert_error(response, 403, "PERMISSION_DENIED")


class TestDeleteWebhook:
    async def test_valid(self, client: InProcessClient, account: Account) -> None:
        hook = await created(client, account)
        response = await client.delete(f"{API}/webhooks/{hook['id']}", headers=account.headers())
        assert response.status_code == 200
        assert response.json() == {
            "success": True,
            "message": f"Webhook {hook['id']} deleted",
            "deleted_id": hook["id"],
        }
        again = await client.delete(f"{API}/webhooks/{hook['id']}", headers=account.headers())
        assert_error(again, 404, "WEBHOOK_NOT_FOUND")

    async def test_missing_permission(self, client: InProcessClient, account: Account) -> None:
        hook = await created(client, account)
        key = await account.key_with(Permission.WEBHOOKS_READ)
        response = await client.delete(f"{API}/webhooks/{hook['id']}", headers=account.headers(key))
        assert_error(response, 403, "PERMISSION_DENIED")


class TestRotateSecret:
    async def test_valid(self, client: InProcessClient, account: Account) -> None:
        hook = await created(client, account)
        before = datetime.now(UTC)
        response = await client.post(
            f"{API}/webhooks/{hook['id']}/rotate-secret",
            json={"overlap_seconds": 3600},
            headers=account.headers(),
        )
        assert response.status_code == 200, response.text
        rotated = response.json()
        assert set(rotated) == WEBHOOK_FIELDS | {"secret", "previous_secret_expires_at"}
        assert rotated["secret"] != hook["secret"]
        assert rotated["secret"].startswith("whsec_")
        assert rotated["secret_preview"] == rotated["secret"][:10] + "..."
        expires = datetime.fromisoformat(rotated["previous_secret_expires_at"])
        assert before + timedelta(seconds=3599) <= expires <= before + timedelta(seconds=3700)

    async def test_without_a_body_the_default_overlap(
        self, client: InProcessClient, account: Account
    ) -> None:
        hook = await created(client, account)
        response = await client.post(
            f"{API}/webhooks/{hook['id']}/rotate-secret", headers=account.headers()
        )
        assert response.status_code == 200, response.text
        expires = datetime.fromisoformat(response.json()["previous_secret_expires_at"])
        overlap = services_of(client.app).settings.webhooks_secret_overlap_seconds
        assert expires - datetime.now(UTC) > timedelta(seconds=overlap - 60)

    async def test_no_overlap(self, client: InProcessClient, account: Account) -> None:
        hook = await created(client, account)
        response = await client.post(
            f"{API}/webhooks/{hook['id']}/rotate-secret",
            json={"overlap_seconds": 0},
            headers=account.headers(),
        )
        assert response.json()["previous_secret_expires_at"] is None

    @pytest.mark.parametrize("overlap", [-1, 604_801])
    async def test_overlap_out_of_range(
        self, client: InProcessClient, account: Account, overlap: int
    ) -> None:
        hook = await created(client, account)
        response = await client.post(
            f"{API}/webhooks/{hook['id']}/rotate-secret",
            json={"overlap_seconds": overlap},
            headers=account.headers(),
        )
        error = assert_error(response, 422, "VALIDATION_ERROR")
        assert error["details"]["errors"][0]["field"] == "overlap_seconds"

    async def test_overlap_written_as_a_whole_float(
        self, client: InProcessClient, account: Account
    ) -> None:
        hook = await created(client, account)
        response = await client.post(
            f"{API}/webhooks/{hook['id']}/rotate-secret",
            json={"overlap_seconds": 60.0},
            headers=account.headers(),
        )
        assert response.status_code == 200, response.text

    @pytest.mark.parametrize("overlap", ["60", 1.5, True])
    async def test_overlap_of_another_type(
        self, client: InProcessClient, account: Account, overlap: object
    ) -> None:
        hook = await created(client, account)
        response = await client.post(
            f"{API}/webhooks/{hook['id']}/rotate-secret",
            json={"overlap_seconds": overlap},
            headers=account.headers(),
        )
        assert_error(response, 400, "INVALID_REQUEST")

    async def test_missing_permission(self, client: InProcessClient, account: Account) -> None:
        hook = await created(client, account)
        key = await account.key_with(Permission.WEBHOOKS_READ)
        response = await client.post(
            f"{API}/webhooks/{hook['id']}/rotate-secret", headers=account.headers(key)
        )
        assert_error(response, 403, "PERMISSION_DENIED")

    async def test_not_found(self, client: InProcessClient, account: Account) -> None:
        response = await client.post(
            f"{API}/webhooks/wh_missing/rotate-secret", headers=account.headers()
        )
        assert_error(response, 404, "WEBHOOK_NOT_FOUND")


class TestListDeliveries:
    async def test_empty(self, client: InProcessClient, account: Account) -> None:
        hook = await created(client, account)
        response = await client.get(
            f"{API}/webhooks/{hook['id']}/deliveries", headers=account.headers()
        )
        assert response.status_code == 200
        assert response.json() == {"data": [], "total": 0, "limit": 50, "offset": 0}

    async def test_invalid_status(self, client: InProcessClient, account: Account) -> None:
        hook = await created(client, account)
        response = await client.get(
            f"{API}/webhooks/{hook['id']}/deliveries?status=lost", headers=account.headers()
        )
        assert_error(response, 422, "VALIDATION_ERROR")

    async def test_of_another_account(
        self, client: InProcessClient, account: Account, other_account: Account
    ) -> None:
        theirs = await created(client, other_account)
        response = await client.get(
            f"{API}/webhooks/{theirs['id']}/deliveries", headers=account.headers()
        )
        assert_error(response, 404, "WEBHOOK_NOT_FOUND")
