"""A Clearbit-like service for the HTTP enrichment provider's tests: what it answers, the
provider's settings for it, and how the tests answer and wait."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from buena_server.enrichment.http_config import HttpProviderConfig
from buena_server.enrichment.model import LeadInput

from webhook_receivers import Answer

ADA = LeadInput(email="ada@analytical-engines.co.uk", full_name="Ada Lovelace")

# A Clearbit-like answer: a person and their company.
PERSON = {
    "person": {
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "employment": {"title": "Chief Analyst"},
        "location": "London, UK",
        "github": {"handle": "ada-l"},
        "emails": ["ada@analytical-engines.co.uk", "countess@lovelace.org"],
    },
    "company": {
        "name": "Analytical Engines",
        "domain": "analytical-engines.co.uk",
        "metrics": {"employees": 250},
        "category": {"industry": "Computing"},
    },
}
MAPPING = {
    "person.employment.title": "title",
    "person.location": "location",
    "person.github.handle": "social_profiles.github",
    "person.emails.1": "alternative_emails",
    "company.name": "company_info.name",
    "company.domain": "company_info.domain",
    "company.metrics.employees": "company_info.employee_count",
    "company.category.industry": "company_info.industry",
}
FOUND = {
    "title": "Chief Analyst",
    "location": "London, UK",
    "social_profiles": {"github": "ada-l"},
    "alternative_emails": ["countess@lovelace.org"],
    "company_info": {
        "name": "Analytical Engines",
        "domain": "analytical-engines.co.uk",
        "employee_count": 250,
        "industry": "Computing",
    },
}


def config_values(url: str, **overrides: Any) -> dict[str, Any]:
    """One provider's entry of BUENA_ENRICHMENT_HTTP_PROVIDERS, for this service at ``url``."""
    values: dict[str, Any] = {
        "name": "people",
        "url": url,
        "auth_header": {"name": "Authorization", "prefix": "Bearer ", "value": "sk_test_123"},
        "options": ["include_personal_info", "include_company_info"],
        "request_fields": {"email": "email", "full_name": "person.name"},
        "request_constants": {"reveal": False},
        "requires_any": ["email"],
        "response_fields": MAPPING,
        "retries": 2,
        "backoff_seconds": 0.5,
        "breaker_failures": 3,
        "breaker_cool_down_seconds": 30,
    }
    values.update(overrides)
    return values


def config(url: str, **overrides: Any) -> HttpProviderConfig:
    return HttpProviderConfig.model_validate(config_values(url, **overrides))


class Sleeps:
    """The provider's waits between attempts, recorded instead of waited."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def answer_json(body: Any, code: int = 200, headers: dict[str, str] | None = None) -> Answer:
    async def answer(_request: web.Request) -> web.StreamResponse:
        return web.json_response(body, status=code, headers=headers)

    return answer
