"""Enrichment through the SDK against the live server: enrich (sync and async), the
write-back and its provenance, credits, and 402 as ``PaymentRequiredException``."""

import re
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import pytest

import buena_sdk
from buena_sdk import DefaultApi, EnrichmentApi

from live_server import clean_environment


@dataclass
class Account:
    id: str
    key: str
    host: str


def _server_command(server: Any, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "buena_server.cli", *args],
        env=clean_environment(BUENA_DATABASE_URL=server.database_url),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


@pytest.fixture
def account(server: Any) -> Account:
    """An account of the test's own (its credits untouched by other tests)."""
    printed = _server_command(server, "accounts", "create", "--name", "enrichment test")
    account_id = re.search(r"Created account (acct_\w+)", printed)
    key = re.search(r"KEY=(bna_[0-9a-f]{64})", printed)
    assert account_id, printed
    assert key, printed
    return Account(account_id.group(1), key.group(1), server.host)


def _api(account: Account) -> buena_sdk.ApiClient:
    configuration = buena_sdk.Configuration(host=account.host, api_key={"ApiKeyAuth": account.key})
    return buena_sdk.ApiClient(configuration)


def test_enrich_write_back_and_credits(account: Account) -> None:
    with _api(account) as client:
        api = DefaultApi(client)
        lead = api.create_lead(
            buena_sdk.CreateLeadRequest(
                first_name="grace",
                last_name="HOPPER",
                email="grace@navy-labs.com",
                phone="+1 650 253 0000",
            )
        )
        answer = api.enrich(
            buena_sdk.EnrichRequest(
                leads=[
                    buena_sdk.EnrichLeadInput(lead_id=lead.id),
                    buena_sdk.EnrichLeadInput(full_name="van der Berg, Anna"),
                ],
                update_leads=True,
            )
        )
        assert answer.failed == []
        first, second = answer.enriched
        assert first.enriched_data.first_name == "Grace"
        assert first.enriched_data.company_info is not None
        assert first.enriched_data.company_info.domain == "navy-labs.com"
        assert first.enriched_data.phone_info is not None
        assert first.enriched_data.phone_info.e164 == "+16502530000"
        assert first.updated_fields == ["company", "location"]
        assert second.enriched_data.last_name == "van der Berg"
        assert answer.credits_used == 5  # name, email, phone, company; name
        assert answer.remaining_credits == 995

        stored = api.get_lead(lead.id)
        assert (stored.company, stored.location) == ("Navy Labs", "Mountain View, CA")
        assert (stored.first_name, stored.last_name) == ("grace", "HOPPER")  # never overwritten
        provenance = api.get_lead_enrichment(lead.id)
        assert set(provenance.fields) == {"company", "location"}
        assert provenance.fields["company"].sources == ["company"]

        credits = EnrichmentApi(client).get_credits(limit=10)
        assert credits.balance == 995
        assert [e.kind for e in credits.data] == ["enrichment", "grant"]


async def test_enrich_async_and_insufficient_credits(server: Any, account: Account) -> None:
    async with _api(account) as client:
        api = DefaultApi(client)
        answer = await api.enrich_async({"leads": [{"email": "ops@acme.io"}]})
        assert answer.enriched[0].enriched_data.email_info is not None
        assert answer.enriched[0].enriched_data.email_info.is_role is True
        credits = await api.get_credits_async()
        assert credits.balance == answer.remaining_credits == 998  # email, company
        taken = _server_command(
            server, "accounts", "credits", "--account", account.id, "--add", "-998"
        )
        assert taken.strip() == f"Account {account.id} now has 0 credits."
        with pytest.raises(buena_sdk.PaymentRequiredException) as refused:
            await api.enrich_async({"leads": [{"email": "ops@acme.io"}]})
        assert refused.value.code == "INSUFFICIENT_CREDITS"
        # A lead never written back has no provenance yet (the async form).
        lead = await api.create_lead_async(
            buena_sdk.CreateLeadRequest(first_name="Ops", last_name="Team", email="ops@acme.io")
        )
        provenance = await api.get_lead_enrichment_async(lead.id)
        assert (provenance.enriched_at, provenance.fields) == (None, {})
        assert refused.value.details == {"required": 2, "balance": 0}
