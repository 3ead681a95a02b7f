"""The HTTP enrichment provider as an operator sets it up: BUENA_ENRICHMENT_HTTP_PROVIDERS
refused at start-up with a message naming each mistake (and never a secret), its place
and cost in the registry, its session closed with the app, and POST /enrich through the
app against a fake provider server."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import ValidationError

from buena_server.app import create_app
from buena_server.config import Settings
from buena_server.enrichment.http_provider import HttpProvider
from buena_server.enrichment.registry import ProviderError, ProviderRegistry, ProviderSettings
from buena_server.services import services_of

from http_provider_fakes import ADA, PERSON, answer_json, config, config_values
from server_testing import API, Account, InProcessClient, running
from webhook_receivers import Receiver, receiving, status

URL = "https://api.people.example/v2/find"


@pytest.fixture
def no_developer_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the variables a test sets count, whatever the developer's shell holds."""
    for name in list(os.environ):
        if name.startswith("BUENA_"):
            monkeypatch.delenv(name)


def refusal(monkeypatch: pytest.MonkeyPatch, value: str) -> str:
    monkeypatch.setenv("BUENA_ENRICHMENT_HTTP_PROVIDERS", value)
    with pytest.raises(ValidationError) as refused:
        Settings()
    return str(refused.value)


def providers(*entries: dict[str, Any]) -> str:
    return json.dumps(list(entries))


@pytest.mark.usefixtures("no_developer_settings")
class TestSettings:
    def test_a_full_entry_is_taken(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PEOPLE_API_KEY", "sk_from_env")
        auth = {"name": "Authorization", "prefix": "Bearer ", "value_env": "PEOPLE_API_KEY"}
        monkeypatch.setenv(
            "BUENA_ENRICHMENT_HTTP_PROVIDERS",
            providers(config_values(URL, auth_header=auth, rate_limit="10/second")),
        )
        (people,) = Settings().enrichment_http_providers
        assert (people.name, people.method, people.url) == ("people", "POST", URL)
        assert people.auth_header is not None
        assert people.auth_header.header_value() == "Bearer sk_from_env"
        assert [(rate.amount, rate.get_expiry()) for rate in people.rates] == [(10, 1)]

    def test_none_by_default(self, monkeypatch: pytest.MonkeyPatch) -> None:
        assert Settings().enrichment_http_providers == []
        monkeypatch.setenv("BUENA_ENRICHMENT_HTTP_PROVIDERS", "")
        assert Settings().enrichment_http_providers == []

    def test_bad_json(self, monkeypatch: pytest.MonkeyPatch) -> None:
        message = refusal(monkeypatch, '[{"name": "people",')
        assert "BUENA_ENRICHMENT_HTTP_PROVIDERS is not valid JSON" in message
        assert "line 1, column 20" in message

    def test_not_a_list(self, monkeypatch: pytest.MonkeyPatch) -> None:
        message = refusal(monkeypatch, json.dumps(config_values(URL)))
        assert "must be a JSON list of objects" in message

    @pytest.mark.parametrize(
        ("change", "expected"),
        [
            ({"url": None}, "[0] (people) url: Field required"),
            ({"url": "ftp://files.example/x"}, "url: must be an http:// or https:// URL"),
            (
                {"options": ["include_everything"]},
                "[0] (people) options.0: Input should be 'include_personal_info'",
            ),
            ({"retry": 3}, "[0] (people) retry: Extra inputs are not permitted"),
            ({"request_fields": {"mail": "email"}}, "unknown lead fields ['mail']"),
            (
                {"response_fields": {"person.title": "job"}},
                "response_fields fills unknown enriched_data keys ['job']",
            ),
            ({"requires_any": ["phone"]}, "requires_any names lead fields it does not send"),
            ({"rate_limit": "10 a second"}, "rate_limit: invalid rate limits '10 a second'"),
            ({"retries": -1}, "retries: Input should be greater than or equal to 0"),
            (
                {"connect_timeout_seconds": 20},
                "connect_timeout_seconds is longer than total_timeout_seconds",
            ),
            (
                {"method": "GET", "request_constants": {"filter": {"a": 1}}},
                "a GET sends query parameters",
            ),
            (
                {"auth_header": {"name": "X-Api-Key", "value": "a", "value_env": "B"}},
                "auth_header needs exactly one of value and value_env",
            ),
            (
                {"auth_header": {"name": "X-Api-Key", "value_env": "PEOPLE_KEY_NOT_SET"}},
                "the environment variable PEOPLE_KEY_NOT_SET, which is not set",
            ),
        ],
        ids=lambda value: str(value)[:40],
    )
    def test_mistakes_are_named(
        self, monkeypatch: pytest.MonkeyPatch, change: dict[str, Any], expected: str
    ) -> None:
        entry = {k: v for k, v in {**config_values(URL), **change}.items() if v is not None}
        assert expected in refusal(monkeypatch, providers(entry))

    def test_every_mistake_of_every_entry_at_once(self, monkeypatch: pytest.MonkeyPatch) -> None:
        second = config_values(URL, name="other", options=["include_everything"])
        message = refusal(monkeypatch, providers({"name": "people"}, second))
        for line in (
            "[0] (people) url: Field required",
            "[0] (people) response_fields: Field required",
            "[1] (other) options.0: Input should be",
        ):
            assert line in message

    def test_a_name_twice(self, monkeypatch: pytest.MonkeyPatch) -> None:
        message = refusal(monkeypatch, providers(config_values(URL), config_values(URL)))
        assert "names ['people'] more than once" in message

    def test_a_secret_is_never_echoed(self, monkeypatch: pytest.MonkeyPatch) -> None:
        auth = {"name": "Authorization", "value": "sk_live_DO_NOT_PRINT"}
        entry = config_values(f"{URL}?api_key=sk_query_DO_NOT_PRINT", auth_header=auth)
        for mistake in ({"retries": "many"}, {"url": "ftp://x?api_key=sk_query_DO_NOT_PRINT"}):
            message = refusal(monkeypatch, providers({**entry, **mistake}))
            assert "DO_NOT_PRINT" not in message
        assert "DO_NOT_PRINT" not in refusal(monkeypatch, providers(entry)[:-5])


class TestRegistry:
    def test_after_the_built_ins_with_a_configurable_cost(self) -> None:
        settings = ProviderSettings(http_providers=(config(URL, cost=5),))
        registry = ProviderRegistry.load(settings)
        assert registry.names() == ["name", "email", "phone", "company", "linkedin", "people"]
        assert registry.cost_of("people") == 5
        assert ProviderRegistry.load(settings, {"people": 0}).cost_of("people") == 0
        provider = registry.registered[-1].provider
        assert provider.options == frozenset({"include_personal_info", "include_company_info"})

    def test_a_built_in_name_is_refused(self) -> None:
        settings = ProviderSettings(http_providers=(config(URL, name="email"),))
        with pytest.raises(ProviderError, match="two enrichment providers are named 'email'"):
            ProviderRegistry.load(settings)


@pytest.fixture
async def fake() -> AsyncIterator[Receiver]:
    async with receiving(Receiver(default=answer_json(PERSON))) as receiver:
        yield receiver


@pytest.fixture
def settings_overrides(fake: Receiver) -> dict[str, Any]:
    return {"enrichment_http_providers": [config_values(fake.url, cost=5, retries=0)]}


def people_of(services_owner: Any) -> HttpProvider:
    provider = services_of(services_owner).enrichment_providers.registered[-1].provider
    assert isinstance(provider, HttpProvider)
    return provider


async def test_the_app_closes_the_session_when_it_stops(settings: Settings) -> None:
    app = create_app(settings)
    async with running(app):
        people = people_of(app)
        assert await people.enrich(ADA) is not None
        session = people._session
        assert session is not None
        assert not session.closed
        assert await people.enrich(ADA) is not None
        assert people._session is session  # one session, not one per call
    assert session.closed


async def test_post_enrich_uses_the_service_and_charges_its_cost(
    client: InProcessClient, account: Account, fake: Receiver
) -> None:
    # The first lead's call finds the person; the second's meets an outage.
    fake.answers.extend([answer_json(PERSON), status(500)])
    body = {
        "leads": [
            {"email": "ada@analytical-engines.co.uk", "full_name": "Ada Lovelace"},
            {"email": "grace@navy-labs.com"},
        ]
    }
    response = await client.post(f"{API}/enrich", json=body, headers=account.headers())
    assert response.status_code == 200, response.text
    ada, grace = response.json()["enriched"]
    data = ada["enriched_data"]
    assert data["title"] == "Chief Analyst"
    assert data["location"] == "London, UK"
    assert data["alternative_emails"] == ["countess@lovelace.org"]
    assert data["social_profiles"]["github"] == "ada-l"
    assert (data["company_info"]["employee_count"], data["company_info"]["industry"]) == (
        250,
        "Computing",
    )
    assert ada["sources"] == ["name", "email", "company", "people"]
    # The outage costs the second lead the service's findings only.
    assert grace["sources"] == ["email", "company"]
    assert "title" not in {k for k, v in grace["enriched_data"].items() if v}
    assert response.json()["failed"] == []
    # name, email, company: 1 each; people: 5. Then email and company.
    assert (response.json()["credits_used"], response.json()["remaining_credits"]) == (10, 990)
    assert len(fake.received) == 2


async def test_a_value_of_the_wrong_type_costs_that_value_only(
    client: InProcessClient, account: Account, fake: Receiver
) -> None:
    title = {"employment": {"title": "CTO"}}
    fake.answers.append(answer_json({"person": title, "company": {"metrics": {"employees": "x"}}}))
    body = {"leads": [{"email": "ada@analytical-engines.co.uk"}]}
    response = await client.post(f"{API}/enrich", json=body, headers=account.headers())
    assert response.status_code == 200, response.text
    (ada,) = response.json()["enriched"]
    assert ada["enriched_data"]["title"] == "CTO"
    assert ada["enriched_data"]["company_info"]["employee_count"] is None
    assert "people" in ada["sources"]
    assert response.json()["failed"] == []
