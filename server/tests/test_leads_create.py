"""POST /leads."""

from __future__ import annotations

from datetime import datetime

import pytest

from buena_server.app import create_app
from buena_server.auth.permissions import Permission
from buena_server.config import Settings

from server_testing import API, Account, InProcessClient, assert_error, running

REFERENCE_LEAD = {
    "first_name": "John",
    "last_name": "Doe",
    "email": "john.doe@example.com",
    "company": "Example Corp",
    "phone": "+1-555-123-4567",
    "linkedin_url": "https://linkedin.com/in/johndoe",
    "job_title": "Software Engineer",
    "location": "San Francisco, CA",
    "notes": "Met at tech conference 2024",
    "tags": ["conference", "engineer", "potential"],
    "custom_fields": {"lead_source": "conference", "priority": "high", "budget": 50000},
}


class TestCreateLead:
    async def test_valid(self, client: InProcessClient, account: Account) -> None:
        response = await client.post(f"{API}/leads", json=REFERENCE_LEAD, headers=account.headers())
        assert response.status_code == 201, response.text
        lead = response.json()
        assert lead["id"].startswith("lead_")
        for name, value in REFERENCE_LEAD.items():
            assert lead[name] == value
        assert lead["status"] == "active"
        created = datetime.fromisoformat(lead["created_at"])
        assert created.utcoffset() is not None
        assert lead["updated_at"] == lead["created_at"]
        # Persisted: read back through the API.
        again = await client.get(f"{API}/leads/{lead['id']}", headers=account.headers())
        assert again.json() == lead

    @pytest.mark.parametrize("hot_paths", [True, False], ids=["hot-paths", "litestar-only"])
    async def test_location_names_the_new_lead(
        self, settings: Settings, account: Account, hot_paths: bool
    ) -> None:
        app = create_app(settings.model_copy(update={"hot_paths": hot_paths}))
        async with running(app) as client:
            response = await client.post(
                f"{API}/leads", json=REFERENCE_LEAD, headers=account.headers()
            )
            assert response.status_code == 201, response.text
            location = response.headers["location"]
            assert location == f"{API}/leads/{response.json()['id']}"
            again = await client.get(location, headers=account.headers())
            assert again.json() == response.json()

    async def test_defaults(self, client: InProcessClient, account: Account) -> None:
        lead = await account.create_lead(first_name="Min", last_name="Imal")
        assert lead["tags"] == []
        assert lead["custom_fields"] == {}
        assert lead["status"] == "active"
        for name in ("company", "phone", "linkedin_url", "job_title", "location", "notes"):
            assert lead[name] is None

    async def test_status_may_be_given(self, account: Account) -> None:
        lead = await account.create_lead(status="contacted")
        assert lead["status"] == "contacted"

    async def test_trims_and_deduplicates(self, account: Account) -> None:
        lead = await account.create_lead(
            first_name="  Ann ", email=" ann@example.com ", tags=["a", " b", "a"]
        )
        assert lead["first_name"] == "Ann"
        assert lead["email"] == "ann@example.com"
        assert lead["tags"] == ["a", "b"]

    async def test_the_length_counts_as_sent(self, account: Account) -> None:
        """maxLength (100 for a first name) counts the value as sent, as the schema does:
        blanks that trimming would remove do not let a longer value in."""
        body = {**REFERENCE_LEAD, "first_name": " " + "a" * 100}
        response = await account.client.post(f"{API}/leads", json=body, headers=account.headers())
        error = assert_error(response, 422, "VALIDATION_ERROR")
        assert error["details"]["errors"][0]["field"] == "first_name"
        fits = await account.create_lead(first_name=" " + "a" * 99)
        assert fits["first_name"] == "a" * 99

    async def test_anonymous(self, client: InProcessClient) -> None:
        response = await client.post(f"{API}/leads", json=REFERENCE_LEAD)
        assert_error(response, 401, "UNAUTHORIZED")

    async def test_missing_permission(self, client: InProcessClient, account: Account) -> None:
        key = await account.key_with(Permission.LEADS_READ)
        response = await client.post(
            f"{API}/leads", json=REFERENCE_LEAD, headers={"x-api-key": key}
        )
        body = assert_error(response, 403, "PERMISSION_DENIED")
        assert body["details"] == {"required": ["leads:write"], "granted": ["leads:read"]}
        listing = await client.get(f"{API}/leads", headers=account.headers())
        assert listing.json()["total"] == 0


class TestCreateLeadStructure:
    """400: the request does not have the expected structure."""

    async def test_malformed_json(self, client: InProcessClient, account: Account) -> None:
        response = await client.post(
            f"{API}/leads",
            content=b'{"first_name": "John",',
            headers={**account.headers(), "content-type": "application/json"},
        )
        assert_error(response, 400, "INVALID_JSON")

    @pytest.mark.parametrize("missing", ["first_name", "last_name", "email"])
    async def test_missing_required_field(
        self, client: InProcessClient, account: Account, missing: str
    ) -> None:
        body = {k: v for k, v in REFERENCE_LEAD.items() if k != missing}
        response = await client.post(f"{API}/leads", json=body, headers=account.headers())
        error = assert_error(response, 400, "INVALID_REQUEST")
        assert missing in response.text
        assert error["details"]["errors"]

    @pytest.mark.parametrize(
        ("name", "value"),
        [("first_name", 42), ("tags", "not-a-list"), ("custom_fields", [1, 2]), ("tags", [1])],
    )
    async def test_wrong_json_type(
        self, client: InProcessClient, account: Account, name: str, value: object
    ) -> None:
        body = {**REFERENCE_LEAD, name: value}
        response = await client.post(f"{API}/leads", json=body, headers=account.headers())
        error = assert_error(response, 400, "INVALID_REQUEST")
        assert error["details"]["errors"][0]["field"].startswith(name)

    async def test_every_structural_error_at_once(
        self, client: InProcessClient, account: Account
    ) -> None:
        # msgspec stops at the first error; the client is told of all of them in one answer.
        body = {"last_name": 7, "tags": ["ok", 3], "custom_fields": [], "favourite_color": "x"}
        response = await client.post(f"{API}/leads", json=body, headers=account.headers())
        error = assert_error(response, 400, "INVALID_REQUEST")
        assert [(e["field"], e["source"]) for e in error["details"]["errors"]] == [
            ("last_name", "body"),
            ("tags[1]", "body"),
            ("custom_fields", "body"),
            ("favourite_color", "body"),
            ("first_name", "body"),
            ("email", "body"),
        ]
        assert error["message"].endswith("(and 5 more errors)")

    async def test_not_an_object(self, client: InProcessClient, account: Account) -> None:
        response = await client.post(
            f"{API}/leads", json=[REFERENCE_LEAD], headers=account.headers()
        )
        assert_error(response, 400, "INVALID_REQUEST")

    @pytest.mark.parametrize("name", ["favourite_color", "id", "created_at", "account_id"])
    async def test_unknown_or_read_only_field(
        self, client: InProcessClient, account: Account, name: str
    ) -> None:
        body = {**REFERENCE_LEAD, name: "x"}
        response = await client.post(f"{API}/leads", json=body, headers=account.headers())
        assert_error(response, 400, "INVALID_REQUEST")
        assert name in response.text
        listing = await client.get(f"{API}/leads", headers=account.headers())
        assert listing.json()["total"] == 0

    async def test_wrong_content_type(self, client: InProcessClient, account: Account) -> None:
        response = await client.post(
            f"{API}/leads",
            content=b"first_name=John",
            headers={**account.headers(), "content-type": "application/x-www-form-urlencoded"},
        )
        assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")

    async def test_body_too_large(self, client: InProcessClient, account: Account) -> None:
        body = {**REFERENCE_LEAD, "notes": "x" * 1_100_000}
        response = await client.post(f"{API}/leads", json=body, headers=account.headers())
        assert_error(response, 413, "PAYLOAD_TOO_LARGE")


class TestCreateLeadValues:
    """422: well-formed, but a value is invalid."""

    @pytest.mark.parametrize(
        ("name", "value"),
        [
            ("email", "not-an-email"),
            ("email", "john@"),
            ("email", ""),
            ("phone", "12"),
            ("phone", "call me maybe"),
            ("phone", "555-123-4567"),  # no country code and no default region
            ("linkedin_url", "linkedin.com/in/x"),
            ("linkedin_url", "ftp://linkedin.com/in/x"),
            ("linkedin_url", "https://"),
            ("first_name", ""),
            ("first_name", "   "),
            ("last_name", "x" * 101),
            ("company", "x" * 201),
            ("notes", "x" * 10_001),
            ("status", "archived"),
            ("tags", ["x" * 51]),
            ("tags", [""]),
            ("tags", [str(i) for i in range(51)]),
            ("custom_fields", {str(i): i for i in range(101)}),
            ("custom_fields", {"big": "x" * 17_000}),
            ("custom_fields", {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}),
            ("custom_fields", {"": 1}),
            ("linkedin_url", "https://x.com/\u0000a"),
            ("linkedin_url", "https://x.com:99999/in/a"),
            ("phone", "+1-555-123-4567\u0000"),
            ("last_name", "Doe\u0000"),
            ("tags", ["a\u0000"]),
        ],
    )
    async def test_invalid_value(
        self, client: InProcessClient, account: Account, name: str, value: object
    ) -> None:
        body = {**REFERENCE_LEAD, name: value}
        response = await client.post(f"{API}/leads", json=body, headers=account.headers())
        error = assert_error(response, 422, "VALIDATION_ERROR")
        assert [e["field"] for e in error["details"]["errors"]] == [name]

    async def test_reports_every_invalid_field(
        self, client: InProcessClient, account: Account
    ) -> None:
        body = {**REFERENCE_LEAD, "email": "nope", "phone": "nope", "status": "nope"}
        response = await client.post(f"{API}/leads", json=body, headers=account.headers())
        error = assert_error(response, 422, "VALIDATION_ERROR")
        assert {e["field"] for e in error["details"]["errors"]} == {"email", "phone", "status"}

    @pytest.mark.parametrize(
        "phone", ["+1-555-123-4567", "+44 20 7946 0958", "+49 (30) 1234567", "+33612345678"]
    )
    async def test_accepts_phone_numbers_as_people_type_them(
        self, account: Account, phone: str
    ) -> None:
        lead = await account.create_lead(phone=phone)
        assert lead["phone"] == phone


class TestCreateLeadEdgeCases:
    async def test_empty_body(self, client: InProcessClient, account: Account) -> None:
        response = await client.post(
            f"{API}/leads",
            content=b"",
            headers={**account.headers(), "content-type": "application/json"},
        )
        body = assert_error(response, 400, "INVALID_JSON")
        assert body["message"] == "A JSON request body is required"

    async def test_absurdly_nested_json(self, client: InProcessClient, account: Account) -> None:
        nested = '{"first_name":"a","last_name":"b","email":"a@b.co","custom_fields":{"x":'
        content = (nested + "[" * 5000 + "]" * 5000 + "}}").encode()
        response = await client.post(
            f"{API}/leads",
            content=content,
            headers={**account.headers(), "content-type": "application/json"},
        )
        assert_error(response, 400, "INVALID_JSON")

    async def test_names_whose_lower_case_is_longer(self, account: Account) -> None:
        # "İ".lower() is two characters: the stored lower-cased copies must have room.
        lead = await account.create_lead(
            first_name="İ" * 100, last_name="İ" * 100, email="dotted@example.com"
        )
        assert lead["first_name"] == "İ" * 100


class TestCreateLeadDefaultPhoneRegion:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"default_phone_region": "US"}

    async def test_national_number_accepted_with_default_region(self, account: Account) -> None:
        lead = await account.create_lead(phone="(555) 123-4567")
        assert lead["phone"] == "(555) 123-4567"


class TestDuplicateEmail:
    async def test_conflict_names_existing_lead(
        self, client: InProcessClient, account: Account
    ) -> None:
        first = await account.create_lead(email="dup@example.com")
        response = await client.post(
            f"{API}/leads",
            json={"first_name": "B", "last_name": "C", "email": "DUP@Example.com"},
            headers=account.headers(),
        )
        error = assert_error(response, 409, "LEAD_EMAIL_EXISTS")
        assert error["details"]["existing_id"] == first["id"]
        listing = await client.get(f"{API}/leads", headers=account.headers())
        assert listing.json()["total"] == 1

    async def test_same_email_in_another_account_is_fine(
        self, account: Account, other_account: Account
    ) -> None:
        await account.create_lead(email="shared@example.com")
        await other_account.create_lead(email="shared@example.com")
