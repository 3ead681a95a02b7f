"""POST /enrich and GET /leads/{id}/enrichment against the app: the answer's shape, the
charge (402 takes and writes nothing; concurrent calls never overdraw), the write-back that
never overwrites, its provenance and events."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest

from buena_server.enrichment import examples
from buena_server.enrichment.model import Finding, LeadInput
from buena_server.enrichment.registry import ProviderRegistry
from buena_server.services import SERVICES_KEY, services_of

from server_testing import API, Account, InProcessClient, assert_error

ADA = {"email": "ada@analytical-engines.co.uk", "phone": "+44 20 7946 0958"}


async def enrich(
    client: InProcessClient, account: Account, body: dict[str, Any], key: str | None = None
) -> Any:
    return await client.post(f"{API}/enrich", json=body, headers=account.headers(key))


async def enriched(client: InProcessClient, account: Account, *leads: Any, **body: Any) -> Any:
    response = await enrich(client, account, {"leads": list(leads), **body})
    assert response.status_code == 200, response.text
    return response.json()


async def balance(client: InProcessClient, account: Account) -> int:
    response = await client.get(f"{API}/credits", headers=account.headers())
    assert response.status_code == 200, response.text
    value: int = response.json()["balance"]
    return value


async def events_of(client: InProcessClient, account: Account, type: str) -> list[Any]:
    response = await client.get(f"{API}/events", params={"type": type}, headers=account.headers())
    assert response.status_code == 200, response.text
    data: list[Any] = response.json()["data"]
    return data


class TestEnrich:
    async def test_the_documented_example_is_what_the_server_answers(
        self, client: InProcessClient, account: Account
    ) -> None:
        response = await enrich(client, account, examples.REQUEST)
        assert response.status_code == 200, response.text
        assert response.json() == examples.RESPONSE
        # A disposable email's validity is 0.5, a valid phone's 1.
        assert examples.DISPOSABLE["confidence"] == (0.5 + 1) / 2

    async def test_credits_are_charged_and_listed(
        self, client: InProcessClient, account: Account
    ) -> None:
        body = await enriched(client, account, ADA, {"email": "x@gmail.com"})
        # ada: email, phone, company (3); x: email (1).
        assert (body["credits_used"], body["remaining_credits"]) == (4, 996)
        assert await balance(client, account) == 996
        response = await client.get(f"{API}/credits", headers=account.headers())
        charge = response.json()["data"][0]
        assert (charge["kind"], charge["amount"]) == ("enrichment", -4)
        assert charge["description"] == "POST /enrich: 2 of 2 leads enriched"
        assert charge["request_id"] == body_request_id(response, charge)

    async def test_a_repeated_idempotency_key_is_charged_once(
        self, client: InProcessClient, account: Account
    ) -> None:
        headers = {**account.headers(), "Idempotency-Key": "enrich-once"}
        first = await client.post(f"{API}/enrich", json={"leads": [ADA]}, headers=headers)
        again = await client.post(f"{API}/enrich", json={"leads": [ADA]}, headers=headers)
        assert first.status_code == again.status_code == 200
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()
        assert await balance(client, account) == 997  # 3 credits, once

    async def test_options_choose_what_is_found(
        self, client: InProcessClient, account: Account
    ) -> None:
        options = {
            "include_personal_info": False,
            "include_company_info": False,
            "include_social_profiles": False,
            "include_contact_info": True,
        }
        body = await enriched(
            client, account, {**ADA, "full_name": "Ada Lovelace"}, options=options
        )
        item = body["enriched"][0]
        assert item["sources"] == ["email", "phone"]
        assert item["enriched_data"]["company_info"] is None
        assert item["enriched_data"]["name_info"] is None

    async def test_every_option_off_finds_nothing(
        self, client: InProcessClient, account: Account
    ) -> None:
        off = dict.fromkeys(examples.REQUEST["options"], False)
        body = await enriched(client, account, ADA, options=off)
        assert [f["code"] for f in body["failed"]] == ["NOTHING_FOUND"]
        assert body["credits_used"] == 0

    async def test_invalid_contact_details_are_not_offered_as_enriched(
        self, client: InProcessClient, account: Account
    ) -> None:
        """An email, phone or LinkedIn URL the providers find invalid stays out of
        enriched_data (its *_info says why): what enriched_data holds can be written back."""
        body = await enriched(
            client,
            account,
            {"email": "a@gmail.com", "phone": "+1 555 123 4567", "linkedin_url": "x.com/in/a"},
        )
        data = body["enriched"][0]["enriched_data"]
        assert data["phone"] is None
        assert data["phone_info"]["valid"] is False
        assert data["linkedin_url"] is None
        assert data["email"] == "a@gmail.com"

    async def test_failed_inputs(
        self, client: InProcessClient, account: Account, other_account: Account
    ) -> None:
        theirs = await other_account.create_lead(email="theirs@example.com")
        body = await enriched(
            client,
            account,
            {},
            {"lead_id": "lead_000000000000000000000000"},
            {"lead_id": theirs["id"]},
            {"lead_id": theirs["id"], "email": "a@b.com"},
            {"linkedin_url": "https://www.linkedin.com/company/acme/"},
        )
        assert body["enriched"] == []
        assert [f["code"] for f in body["failed"]] == [
            "INVALID_INPUT",
            "LEAD_NOT_FOUND",
            "LEAD_NOT_FOUND",  # another account's lead, exactly as a missing one
            "INVALID_INPUT",
            "NOTHING_FOUND",
        ]
        assert body["failed"][1]["input"] == {"lead_id": "lead_000000000000000000000000"}
        assert (body["credits_used"], body["remaining_credits"]) == (0, 1000)
        listed = await client.get(f"{API}/credits", headers=account.headers())
        assert listed.json()["total"] == 0  # nothing charged, nothing recorded

    async def test_value_and_structure_errors(
        self, client: InProcessClient, account: Account
    ) -> None:
        response = await enrich(client, account, {"leads": [{"email": "a" * 321}]})
        body = assert_error(response, 422, "VALIDATION_ERROR")
        assert body["details"]["errors"][0]["field"] == "leads[0].email"
        response = await enrich(client, account, {"leads": [{"nickname": "x"}]})
        assert_error(response, 400, "INVALID_REQUEST")
        response = await enrich(client, account, {"leads": []})
        assert response.status_code in (400, 422)
        response = await enrich(client, account, {"leads": [ADA], "filter": {"nickname": "x"}})
        assert_error(response, 400, "INVALID_REQUEST")
        assert_error(await enrich(client, account, {"lead": [ADA]}), 400, "INVALID_REQUEST")
        # Strict JSON types: 0 is not false, "yes" not true (no lax conversion).
        for body in (
            {"leads": [ADA], "update_leads": 0},
            {"leads": [ADA], "options": {"include_contact_info": "yes"}},
            {"leads": [{"email": 5}]},
            {"leads": [{"email": None}]},  # a field not known is left out, not null
        ):
            assert_error(await enrich(client, account, body), 400, "INVALID_REQUEST")

    async def test_needs_leads_enrich(self, client: InProcessClient, account: Account) -> None:
        writer = await account.key_with("leads:read", "leads:write")
        response = await enrich(client, account, {"leads": [ADA]}, key=writer)
        assert assert_error(response, 403, "PERMISSION_DENIED")["details"]["required"] == [
            "leads:enrich"
        ]
        enricher = await account.key_with("leads:enrich")
        assert (await enrich(client, account, {"leads": [ADA]}, key=enricher)).status_code == 200

    async def test_anonymous(self, client: InProcessClient) -> None:
        response = await client.post(f"{API}/enrich", json={"leads": [ADA]})
        assert_error(response, 401, "UNAUTHORIZED")


def body_request_id(response: Any, charge: dict[str, Any]) -> str:
    """The charge's request id: a request id the server made (``req_`` + hex)."""
    value: str = charge["request_id"]
    assert value.startswith("req_")
    return value


class TestCredits:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"default_credits": 10}

    async def test_insufficient_credits_charge_and_write_nothing(
        self, client: InProcessClient, account: Account
    ) -> None:
        lead = await account.create_lead(email="grace@navy-labs.com", phone="+1 650 253 0000")
        # Four providers find something: 4 credits a call; 10 pay for two.
        for _ in range(2):
            await enriched(client, account, {"lead_id": lead["id"]})
        response = await enrich(
            client, account, {"leads": [{"lead_id": lead["id"]}], "update_leads": True}
        )
        body = assert_error(response, 402, "INSUFFICIENT_CREDITS")
        assert body["details"] == {"required": 4, "balance": 2}
        assert await balance(client, account) == 2
        stored = await client.get(f"{API}/leads/{lead['id']}", headers=account.headers())
        assert stored.json()["company"] is None  # nothing written back
        assert await events_of(client, account, "lead.enriched") == []

    async def test_concurrent_requests_never_overdraw(
        self, client: InProcessClient, account: Account
    ) -> None:
        """Ten concurrent requests of 3 credits each (email, phone, company) against 10:
        three are answered 200, the rest 402, and the balance ends at 1."""
        responses = await asyncio.gather(
            *(enrich(client, account, {"leads": [ADA]}) for _ in range(10))
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] * 3 + [402] * 7, [r.text for r in responses]
        assert await balance(client, account) == 1


class TestWriteBack:
    async def test_fills_empty_fields_only_and_records_provenance(
        self, client: InProcessClient, account: Account
    ) -> None:
        lead = await account.create_lead(
            email="grace@navy-labs.com", phone="+1 650 253 0000", job_title="Rear Admiral"
        )
        kept = await account.create_lead(
            email="ada@analytical-engines.co.uk", company="Babbage & Co", location="London"
        )
        body = await enriched(
            client,
            account,
            {"lead_id": lead["id"]},
            {"lead_id": kept["id"]},
            update_leads=True,
        )
        first, second = body["enriched"]
        assert first["updated_fields"] == ["company", "location"]
        assert second["updated_fields"] == []  # both set by the user: never overwritten
        stored = (await client.get(f"{API}/leads/{lead['id']}", headers=account.headers())).json()
        assert (stored["company"], stored["location"]) == ("Navy Labs", "Mountain View, CA")
        assert stored["phone"] == "+1 650 253 0000"  # as typed: a value is never replaced
        assert stored["job_title"] == "Rear Admiral"
        other = (await client.get(f"{API}/leads/{kept['id']}", headers=account.headers())).json()
        assert (other["company"], other["location"]) == ("Babbage & Co", "London")

        provenance = await client.get(
            f"{API}/leads/{lead['id']}/enrichment", headers=account.headers()
        )
        assert provenance.status_code == 200, provenance.text
        record = provenance.json()
        assert record["lead_id"] == lead["id"]
        assert record["sources"] == ["name", "email", "phone", "company"]
        assert record["fields"]["company"]["value"] == "Navy Labs"
        assert record["fields"]["company"]["sources"] == ["company"]
        assert record["fields"]["location"]["sources"] == ["phone"]
        assert record["enriched_at"] == record["fields"]["company"]["enriched_at"]

        updated = await events_of(client, account, "lead.updated")
        assert len(updated) == 1
        assert updated[0]["data"]["previous_attributes"]["company"] is None
        marked = await events_of(client, account, "lead.enriched")
        assert len(marked) == 2
        by_lead = {e["data"]["object"]["id"]: e["data"] for e in marked}
        assert by_lead[lead["id"]]["enrichment"]["updated_fields"] == ["company", "location"]
        assert by_lead[kept["id"]]["enrichment"]["updated_fields"] == []

    async def test_a_second_run_keeps_the_first_fields_provenance(
        self, client: InProcessClient, account: Account
    ) -> None:
        lead = await account.create_lead(email="grace@navy-labs.com")
        await enriched(client, account, {"lead_id": lead["id"]}, update_leads=True)
        await client.patch(
            f"{API}/leads/{lead['id']}",
            json={"phone": "+1 650 253 0000"},
            headers=account.headers(),
        )
        body = await enriched(client, account, {"lead_id": lead["id"]}, update_leads=True)
        assert body["enriched"][0]["updated_fields"] == ["location"]
        fields = (
            await client.get(f"{API}/leads/{lead['id']}/enrichment", headers=account.headers())
        ).json()["fields"]
        assert set(fields) == {"company", "location"}

    async def test_without_update_leads_nothing_is_written(
        self, client: InProcessClient, account: Account
    ) -> None:
        lead = await account.create_lead(email="grace@navy-labs.com")
        await enriched(client, account, {"lead_id": lead["id"]})
        stored = (await client.get(f"{API}/leads/{lead['id']}", headers=account.headers())).json()
        assert stored["company"] is None
        assert await events_of(client, account, "lead.enriched") == []
        provenance = await client.get(
            f"{API}/leads/{lead['id']}/enrichment", headers=account.headers()
        )
        assert provenance.json() == {
            "lead_id": lead["id"],
            "enriched_at": None,
            "sources": [],
            "confidence": None,
            "fields": {},
        }

    async def test_provenance_of_an_unknown_or_foreign_lead_is_404(
        self, client: InProcessClient, account: Account, other_account: Account
    ) -> None:
        theirs = await other_account.create_lead(email="theirs@example.com")
        for lead_id in ("lead_000000000000000000000000", theirs["id"]):
            response = await client.get(
                f"{API}/leads/{lead_id}/enrichment", headers=account.headers()
            )
            assert_error(response, 404, "LEAD_NOT_FOUND")

    async def test_provenance_goes_with_its_lead(
        self, client: InProcessClient, account: Account
    ) -> None:
        lead = await account.create_lead(email="grace@navy-labs.com")
        await enriched(client, account, {"lead_id": lead["id"]}, update_leads=True)
        deleted = await client.delete(f"{API}/leads/{lead['id']}", headers=account.headers())
        assert deleted.status_code == 200
        response = await client.get(
            f"{API}/leads/{lead['id']}/enrichment", headers=account.headers()
        )
        assert_error(response, 404, "LEAD_NOT_FOUND")


class TestConfiguredCosts:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"enrichment_costs": {"email": 0, "phone": 2}, "default_phone_region": "GB"}

    async def test_costs_and_default_region_reach_the_providers(
        self, client: InProcessClient, account: Account
    ) -> None:
        body = await enriched(client, account, {"email": "a@gmail.com", "phone": "020 7946 0958"})
        item = body["enriched"][0]
        assert item["enriched_data"]["phone_info"]["e164"] == "+442079460958"  # national, GB
        assert body["credits_used"] == 2  # email free, phone 2


def test_costs_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from buena_server.config import Settings

    monkeypatch.setenv("BUENA_ENRICHMENT_COSTS", '{"phone": 0, "email": 2}')
    monkeypatch.setenv("BUENA_ENRICHMENT_DNS", "on")
    monkeypatch.setenv("BUENA_DEFAULT_CREDITS", "50")
    settings = Settings()
    assert settings.enrichment_costs == {"phone": 0, "email": 2}
    assert settings.enrichment_dns is True
    assert settings.default_credits == 50


class _Scripted:
    """A plug-in-like provider answering what the test scripts, per company name."""

    name = "scripted"
    cost = 1
    options = frozenset({"include_company_info"})

    async def enrich(self, lead: LeadInput) -> Finding | None:
        if lead.company == "Wrong Types":
            return Finding({"company_info": {"employee_count": "many"}})
        if lead.company == "Down":
            raise ConnectionError("the service is down")
        if lead.company == "Unknown":
            return None
        return Finding({"location": "L" * 300, "title": "Chief Scientist"})


@pytest.fixture
def scripted_providers(client: InProcessClient) -> None:
    services = services_of(client.app)
    client.app.state[SERVICES_KEY] = dataclasses.replace(
        services, enrichment_providers=ProviderRegistry([_Scripted()])
    )


@pytest.mark.usefixtures("scripted_providers")
class TestPluginAnswers:
    async def test_a_value_of_the_wrong_type_fails_that_lead_only(
        self, client: InProcessClient, account: Account
    ) -> None:
        body = await enriched(client, account, {"company": "Wrong Types"}, {"company": "Fine"})
        assert [f["code"] for f in body["failed"]] == ["PROVIDER_ERROR"]
        assert body["enriched"][0]["enriched_data"]["title"] == "Chief Scientist"
        assert body["credits_used"] == 1

    async def test_a_provider_that_failed_is_not_nothing_found(
        self, client: InProcessClient, account: Account
    ) -> None:
        """A lead no provider found anything for is NOTHING_FOUND only when none failed:
        when one did, it is PROVIDER_UNAVAILABLE, naming the failure (and costs nothing)."""
        body = await enriched(client, account, {"company": "Down"}, {"company": "Unknown"})
        failed = {f["input"]["company"]: f for f in body["failed"]}
        assert failed["Down"]["code"] == "PROVIDER_UNAVAILABLE"
        assert "scripted: ConnectionError: the service is down" in failed["Down"]["message"]
        assert failed["Unknown"]["code"] == "NOTHING_FOUND"
        assert body["credits_used"] == 0

    async def test_a_value_the_lead_refuses_is_not_written_back(
        self, client: InProcessClient, account: Account
    ) -> None:
        lead = await account.create_lead(email="grace@navy-labs.com", company="Navy")
        body = await enriched(client, account, {"lead_id": lead["id"]}, update_leads=True)
        # location (300 characters) is over a lead's 200: left out; job_title written.
        assert body["enriched"][0]["updated_fields"] == ["job_title"]
        stored = (await client.get(f"{API}/leads/{lead['id']}", headers=account.headers())).json()
        assert (stored["job_title"], stored["location"]) == ("Chief Scientist", None)


class _WritesMeanwhile:
    """A provider during whose call a user sets the lead's location (through the API): it
    could not while the request held SQLite's write lock or the lead's row."""

    name = "meanwhile"
    cost = 1
    options = frozenset({"include_contact_info"})

    def __init__(self, client: InProcessClient, account: Account, lead_id: str) -> None:
        self.client, self.account, self.lead_id = client, account, lead_id

    async def enrich(self, lead: LeadInput) -> Finding | None:
        response = await self.client.patch(
            f"{API}/leads/{self.lead_id}",
            json={"location": "Set by the user meanwhile"},
            headers=self.account.headers(),
        )
        assert response.status_code == 200, response.text
        return Finding({"location": "Found by the provider", "title": "Engineer"})


async def test_providers_run_outside_the_transaction_and_a_value_set_meanwhile_stays(
    client: InProcessClient, account: Account
) -> None:
    lead = await account.create_lead(email="grace@navy-labs.com")
    services = services_of(client.app)
    provider = _WritesMeanwhile(client, account, lead["id"])
    client.app.state[SERVICES_KEY] = dataclasses.replace(
        services, enrichment_providers=ProviderRegistry([provider])
    )
    body = await enriched(client, account, {"lead_id": lead["id"]}, update_leads=True)
    assert body["enriched"][0]["updated_fields"] == ["job_title"]
    stored = (await client.get(f"{API}/leads/{lead['id']}", headers=account.headers())).json()
    assert (stored["location"], stored["job_title"]) == ("Set by the user meanwhile", "Engineer")
