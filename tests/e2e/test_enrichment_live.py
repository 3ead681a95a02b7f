"""Enrichment through the SDK against the live server: enrich (sync and async), the
write-back and its provenance, credits, and 402 as ``PaymentRequiredException``; enrichment
jobs (``submit_enrichment_job``), run by the server's own worker, followed with ``get_job``
and read with ``get_job_result``, their reservation refunded."""

import asyncio
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

import pytest

import buena_sdk
from buena_sdk import DefaultApi, EnrichmentApi, Job

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


# How long a job may take the live server's worker (it runs one in seconds).
JOB_DEADLINE_SECONDS = 60
# name, email, phone and company find something for each of INPUTS: 4 credits a lead; a job
# reserves the cost of every provider the options turn on (linkedin too): 5 a lead.
PER_LEAD = 4
RESERVED = 5


def _inputs(count: int) -> "list[dict[str, str]]":
    return [
        {"full_name": f"ada lovelace {n}", "email": f"ada{n}@analytical-engines.co.uk",
         "phone": "+44 20 7946 0958"}
        for n in range(count)
    ]  # fmt: skip


def _finished(api: DefaultApi, job_id: str) -> Job:
    deadline = time.monotonic() + JOB_DEADLINE_SECONDS
    while True:
        job = api.get_job(job_id)
        if job.status not in ("pending", "running"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.1)


async def _finished_async(api: DefaultApi, job_id: str) -> Job:
    deadline = time.monotonic() + JOB_DEADLINE_SECONDS
    while True:
        job = await api.get_job_async(job_id)
        if job.status not in ("pending", "running"):
            return job
        assert time.monotonic() < deadline, job
        await asyncio.sleep(0.1)


def test_an_enrichment_job_of_150_leads_reserves_then_refunds(account: Account) -> None:
    given = _inputs(150)
    with _api(account) as client:
        api = DefaultApi(client)
        job = api.submit_enrichment_job(buena_sdk.EnrichRequest(leads=given))
        assert (job.type, job.status, job.total, job.processed) == ("enrichment", "pending", 150, 0)
        done = _finished(api, job.id)
        used = 150 * PER_LEAD
        assert (done.status, done.progress, done.succeeded, done.failed) == (
            "completed", 100, 150, 0,
        )  # fmt: skip
        assert done.message == f"Enriched 150 of 150 leads; {used} credits used"

        lines = list(api.get_job_result(job.id))
        assert [line["input"] for line in lines] == given  # one line a lead, in order
        first = lines[0]
        assert set(first) == {
            "status", "input", "enriched_data", "confidence", "sources", "updated_fields",
            "credits",
        }  # fmt: skip
        assert (first["status"], first["credits"], first["updated_fields"]) == (
            "enriched", PER_LEAD, [],
        )  # fmt: skip
        data = buena_sdk.EnrichedData.model_validate(first["enriched_data"])
        assert data.company_info is not None
        assert data.company_info.domain == "analytical-engines.co.uk"

        # Newest first: the reservation at submission, then what was not used given back.
        credits = api.get_credits(limit=10)
        reserved = 150 * RESERVED
        assert [(e.kind, e.amount) for e in credits.data] == [
            ("refund", reserved - used), ("enrichment", -reserved), ("grant", 1000),
        ]  # fmt: skip
        assert credits.balance == 1000 - used


async def test_an_enrichment_job_of_a_filter_writes_back(account: Account) -> None:
    async with _api(account) as client:
        api = DefaultApi(client)
        chosen = [
            await api.create_lead_async(
                buena_sdk.CreateLeadRequest(
                    first_name="Grace", last_name=f"Hopper{n}", email=f"grace{n}@navy-labs.com",
                    tags=["webinar"],
                )
            )
            for n in range(3)
        ]  # fmt: skip
        other = await api.create_lead_async(
            buena_sdk.CreateLeadRequest(first_name="Not", last_name="Chosen", email="x@navy.com")
        )
        request = buena_sdk.EnrichRequest(
            filter=buena_sdk.EnrichFilter(tags=["webinar"], has_email=True), update_leads=True
        )
        job = await api.submit_enrichment_job_async(request)
        assert job.total == 3
        done = await _finished_async(api, job.id)
        assert (done.status, done.succeeded) == ("completed", 3)

        lines = [line async for line in api.get_job_result_async(job.id)]
        # The stored leads in the order they were created, each by its id.
        assert [line["input"] for line in lines] == [{"lead_id": lead.id} for lead in chosen]
        assert {line["status"] for line in lines} == {"enriched"}
        assert lines[0]["updated_fields"] == ["company"]
        stored = await api.get_lead_async(chosen[0].id)
        assert (stored.company, stored.first_name) == ("Navy Labs", "Grace")
        assert (await api.get_lead_async(other.id)).company is None
        provenance = await api.get_lead_enrichment_async(chosen[0].id)
        assert provenance.fields["company"].sources == ["company"]
        ledger = await api.get_credits_async()
        assert [e.kind for e in ledger.data][:2] == ["refund", "enrichment"]


async def test_a_small_enrichment_job_is_asked_for_with_prefer(account: Account) -> None:
    async with _api(account) as client:
        api = DefaultApi(client)
        answer = await api.submit_enrichment_job_with_http_info_async({"leads": _inputs(3)})
        # 3 leads would be answered at once (200): the Prefer header made it a job.
        assert answer.status_code == 202
        assert answer.headers["preference-applied"] == "respond-async"
        assert answer.headers["location"] == f"/api/v2/jobs/{answer.data.id}"
        raw = api.submit_enrichment_job_without_preload_content({"leads": _inputs(3)})
        assert (raw.status, raw.headers["preference-applied"]) == (202, "respond-async")
        raw.release_conn()
        done = await _finished_async(api, answer.data.id)
        assert (done.status, done.total, done.succeeded) == ("completed", 3, 3)


async def test_enrich_refuses_more_than_100_leads_without_sending(account: Account) -> None:
    async with _api(account) as client:
        api = DefaultApi(client)
        with pytest.raises(ValueError, match="submit_enrichment_job"):
            api.enrich({"leads": _inputs(101)})
        with pytest.raises(ValueError, match="submit_enrichment_job"):
            await api.enrich_async(buena_sdk.EnrichRequest(filter=buena_sdk.EnrichFilter()))
        # Nothing reached the server: no job, nothing charged (not even the opening grant).
        assert (await api.list_jobs_async()).total == 0
        credits = await api.get_credits_async()
        assert (credits.balance, credits.total) == (1000, 0)
