"""GET, PATCH and DELETE /leads/{id}."""

from __future__ import annotations

from typing import Any

import pytest

from buena_server.auth.permissions import Permission

from server_testing import API, Account, InProcessClient, assert_error


@pytest.fixture
async def lead(account: Account) -> dict[str, Any]:
    return await account.create_lead(
        email="lead@example.com",
        company="Acme",
        phone="+1-555-123-4567",
        tags=["one", "two"],
        custom_fields={"priority": "high", "budget": 50000, "nested": {"a": 1, "b": 2}},
    )


async def patch(
    client: InProcessClient, account: Account, lead_id: str, body: dict[str, Any]
) -> Any:
    return await client.patch(f"{API}/leads/{lead_id}", json=body, headers=account.headers())


class TestGetLead:
    async def test_valid(
        self, client: InProcessClient, account: Account, lead: dict[str, Any]
    ) -> None:
        response = await client.get(f"{API}/leads/{lead['id']}", headers=account.headers())
        assert response.status_code == 200
        assert response.json() == lead

    async def test_missing(self, client: InProcessClient, account: Account) -> None:
        response = await client.get(f"{API}/leads/lead_doesnotexist", headers=account.headers())
        body = assert_error(response, 404, "LEAD_NOT_FOUND")
        assert body["details"]["lead_id"] == "lead_doesnotexist"

    async def test_other_accounts_lead_is_not_found(
        self, client: InProcessClient, other_account: Account, lead: dict[str, Any]
    ) -> None:
        response = await client.get(f"{API}/leads/{lead['id']}", headers=other_account.headers())
        assert_error(response, 404, "LEAD_NOT_FOUND")

    async def test_anonymous(self, client: InProcessClient, lead: dict[str, Any]) -> None:
        assert_error(await client.get(f"{API}/leads/{lead['id']}"), 401, "UNAUTHORIZED")

    async def test_missing_permission(
        self, client: InProcessClient, account: Account, lead: dict[str, Any]
    ) -> None:
        key = await account.key_with(Permission.LEADS_DELETE)
        response = await client.get(f"{API}/leads/{lead['id']}", headers={"x-api-key": key})
        assert_error(response, 403, "PERMISSION_DENIED")


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
async def test_ids_that_cannot_exist_are_not_found(
    client: InProcessClient, account: Account, method: str
) -> None:
    kwargs = {"json": {"company": "x"}} if method == "patch" else {}
    for lead_id in ("a%00b", "x" * 300, "lead_%E2%98%83"):
        response = await getattr(client, method)(
            f"{API}/leads/{lead_id}", headers=account.headers(), **kwargs
        )
        assert_error(response, 404, "LEAD_NOT_FOUND")


class TestUpdateLead:
    async def test_reference_example(
        self, client: InProcessClient, account: Account, lead: dict[str, Any]
    ) -> None:
        body = {
            "company": "New Company Inc",
            "job_title": "Senior Software Engineer",
            "status": "contacted",
            "tags": ["contacted", "promoted", "hot-lead"],
            "notes": "Promoted to senior role, very interested in our product",
            "custom_fields": {
                "priority": "very_high",
                "last_contacted": "2024-06-29",
                "budget": 75000,
            },
        }
        response = await patch(client, account, lead["id"], body)
        assert response.status_code == 200, response.text
        updated = response.json()
        for name in ("company", "job_title", "status", "tags", "notes"):
            assert updated[name] == body[name]
        assert updated["custom_fields"] == {
            "priority": "very_high",
            "last_contacted": "2024-06-29",
            "budget": 75000,
            "nested": {"a": 1, "b": 2},
        }
        # Fields not sent are unchanged.
        for name in ("first_name", "last_name", "email", "phone", "created_at", "id"):
            assert updated[name] == lead[name]
        assert updated["updated_at"] > lead["updated_at"]
        stored = await client.get(f"{API}/leads/{lead['id']}", headers=account.headers())
        assert stored.json() == updated

    async def test_null_clears_optional_field(
        self, client: InProcessClient, account: Account, lead: dict[str, Any]
    ) -> None:
        response = await patch(client, account, lead["id"], {"company": None, "phone": None})
        assert response.status_code == 200
        assert response.json()["company"] is None
        assert response.json()["phone"] is None

    async def test_null_tags_and_custom_fields_empty_them(
        self, client: InProcessClient, account: Account, lead: dict[str, Any]
    ) -> None:
        response = await patch(client, account, lead["id"], {"tags": None, "custom_fields": None})
        assert response.json()["tags"] == []
        assert response.json()["custom_fields"] == {}

    async def test_nul_at_any_depth_of_custom_fields_is_refused(
        self, client: InProcessClient, account: Account, lead: dict[str, Any]
    ) -> None:
        # PostgreSQL's jsonb cannot store it: a 422 on both databases, never a 500 on one.
        for custom in ({"a": {"b\x00": 1}}, {"a": [{"b": "c\x00"}]}, {"a": "\x00"}):
            response = await patch(client, account, lead["id"], {"custom_fields": custom})
            assert response.status_code == 422, response.text
            assert response.json()["details"]["errors"][0]["field"] == "custom_fields"

    async def test_custom_fields_merge_patch(
        self, client: InProcessClient, account: Account, lead: dict[str, Any]
    ) -> None:
        response = await patch(
            client,
            account,
            lead["id"],
            {"custom_fields": {"priority": None, "new": [1, 2], "nested": {"a": None, "c": 3}}},
        )
        assert response.json()["custom_fields"] == {
            "budget": 50000,
            "new": [1, 2],
            "nested": {"b": 2, "c": 3},
        }

    async def test_tags_replace(
        self, client: InProcessClient, account: Account, lead: dict[str, Any]
    ) -> None:
        response = await patch(client, account, lead["id"], {"tags": ["three"]})
        assert response.json()["tags"] == ["three"]

    async def test_empty_patch_changes_nothing(
        self, client: InProcessClient, account: Account, lead: dict[str, Any]
    ) -> None:
        response = await patch(client, account, lead["id"], {})
        assert response.status_code == 200
        assert response.json() == lead

    @pytest.mark.parametrize("name", ["first_name", "last_name", "email", "status"])
    async def test_required_field_cannot_be_cleared(
        self, client: InProcessClient, account: Account, lead: dict[str, Any], name: str
    ) -> None:
        response = await patch(client, account, lead["id"], {name: None})
        body = assert_error(response, 422, "VALIDATION_ERROR")
        assert body["details"]["errors"][0]["field"] == name

    async def test_every_invalid_field_is_reported(
        self, client: InProcessClient, account: Account, lead: dict[str, Any]
    ) -> None:
        response = await patch(client, account, lead["id"], {"first_name": None, "status": "x"})
        body = assert_error(response, 422, "VALIDATION_ERROR")
        assert {e["field"] for e in body["details"]["errors"]} == {"first_name", "status"}

    @pytest.mark.parametrize(
        ("name", "value"),
        [("email", "bad"), ("status", "archived"), ("phone", "1"), ("linkedin_url", "nope")],
    )
    async def test_invalid_value(
        self,
        client: InProcessClient,
        account: Account,
        lead: dict[str, Any],
        name: str,
        value: str,
    ) -> None:
        assert_error(
            await patch(client, account, lead["id"], {name: value}), 422, "VALIDATION_ERROR"
        )
        stored = await client.get(f"{API}/leads/{lead['id']}", headers=account.headers())
        assert stored.json() == lead

    async def test_merged_custom_fields_must_stay_within_limits(
        self, client: InProcessClient, account: Account, lead: dict[str, Any]
    ) -> None:
        for i in range(2):
            response = await patch(
                client, account, lead["id"], {"custom_fields": {f"k{i}": "x" * 9000}}
            )
        assert_error(response, 422, "VALIDATION_ERROR")

    @pytest.mark.parametrize(
        "body",
        [
            {"id": "lead_x"},
            {"created_at": "2020-01-01T00:00:00Z"},
            {"first_name": 5},
            {"tags": "x"},
        ],
    )
    async def test_structure(
        self,
        client: InProcessClient,
        account: Account,
        lead: dict[str, Any],
        body: dict[str, Any],
    ) -> None:
        assert_error(await patch(client, account, lead["id"], body), 400, "INVALID_REQUEST")

    async def test_every_structural_error_at_once(
        self, client: InProcessClient, account: Account, lead: dict[str, Any]
    ) -> None:
        body = {"first_name": 5, "tags": "x", "id": "lead_x", "company": "Not applied"}
        response = await patch(client, account, lead["id"], body)
        error = assert_error(response, 400, "INVALID_REQUEST")
        assert [e["field"] for e in error["details"]["errors"]] == ["first_name", "tags", "id"]
        unchanged = await client.get(f"{API}/leads/{lead['id']}", headers=account.headers())
        assert unchanged.json() == lead

    async def test_email_conflict(
        self, client: InProcessClient, account: Account, lead: dict[str, Any]
    ) -> None:
        other = await account.create_lead(email="other@example.com")
        response = await patch(client, account, other["id"], {"email": "LEAD@example.com"})
        body = assert_error(response, 409, "LEAD_EMAIL_EXISTS")
        assert body["details"]["existing_id"] == lead["id"]
        stored = await client.get(f"{API}/leads/{other['id']}", headers=account.headers())
        assert stored.json()["email"] == "other@example.com"

    async def test_changing_case_of_own_email(
        self, client: InProcessClient, account: Account, lead: dict[str, Any]
    ) -> None:
        response = await patch(client, account, lead["id"], {"email": "Lead@Example.com"})
        assert response.status_code == 200
        assert response.json()["email"] == "Lead@Example.com"

    async def test_other_accounts_lead_is_not_found(
        self, client: InProcessClient, other_account: Account, lead: dict[str, Any]
    ) -> None:
        response = await patch(client, other_account, lead["id"], {"company": "Hijack"})
        assert_error(response, 404, "LEAD_NOT_FOUND")

    async def test_missing_permission(
        self, client: InProcessClient, account: Account, lead: dict[str, Any]
    ) -> None:
        key = await account.key_with(Permission.LEADS_READ)
        response = await client.patch(
            f"{API}/leads/{lead['id']}", json={"company": "X"}, headers={"x-api-key": key}
        )
        assert_error(response, 403, "PERMISSION_DENIED")


class TestDeleteLead:
    async def test_valid(
        self, client: InProcessClient, account: Account, lead: dict[str, Any]
    ) -> None:
        response = await client.delete(f"{API}/leads/{lead['id']}", headers=account.headers())
        assert response.status_code == 200
        body = response.json()
        assert body["success"] is True
        assert body["deleted_id"] == lead["id"]
        assert body["message"]
        gone = await client.get(f"{API}/leads/{lead['id']}", headers=account.headers())
        assert_error(gone, 404, "LEAD_NOT_FOUND")
        again = await client.delete(f"{API}/leads/{lead['id']}", headers=account.headers())
        assert_error(again, 404, "LEAD_NOT_FOUND")

    async def test_email_is_free_again_after_delete(
        self, client: InProcessClient, account: Account, lead: dict[str, Any]
    ) -> None:
        await client.delete(f"{API}/leads/{lead['id']}", headers=account.headers())
        await account.create_lead(email=lead["email"])

    async def test_other_accounts_lead_is_not_found(
        self,
        client: InProcessClient,
        account: Account,
        other_account: Account,
        lead: dict[str, Any],
    ) -> None:
        response = await client.delete(f"{API}/leads/{lead['id']}", headers=other_account.headers())
        assert_error(response, 404, "LEAD_NOT_FOUND")
        still = await client.get(f"{API}/leads/{lead['id']}", headers=account.headers())
        assert still.status_code == 200

    async def test_missing_permission(
        self, client: InProcessClient, account: Account, lead: dict[str, Any]
    ) -> None:
        key = await account.key_with(Permission.LEADS_READ, Permission.LEADS_WRITE)
        response = await client.delete(f"{API}/leads/{lead['id']}", headers={"x-api-key": key})
        body = assert_error(response, 403, "PERMISSION_DENIED")
        assert body["details"]["required"] == ["leads:delete"]

    async def test_anonymous(self, client: InProcessClient, lead: dict[str, Any]) -> None:
        assert_error(await client.delete(f"{API}/leads/{lead['id']}"), 401, "UNAUTHORIZED")
