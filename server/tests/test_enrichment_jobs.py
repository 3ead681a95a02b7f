"""POST /enrich answered by a job (202): more than 100 leads, a filter over the stored leads,
or ``Prefer: respond-async``. The credits it may cost are reserved at once (402 takes and
submits nothing), each chunk's leads are enriched in order and written back like the answer
at once, and what the job did not use is refunded when it ends: completed or canceled. A
job written by one server process is finished by another's worker (a restart)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
from typing import Any

import pytest

from buena_server.app import create_app
from buena_server.enrichment.job import EnrichmentJob
from buena_server.enrichment.model import OPTIONS, LeadInput
from buena_server.enrichment.registry import ProviderRegistry
from buena_server.jobs.repository import BackgroundJobRepository
from buena_server.jobs.runner import JobRunner
from buena_server.jobs.service import RUN_TASK
from buena_server.kit.clock import utcnow
from buena_server.queue import SYSTEM_CLOCK, Job, JobContext, Worker
from buena_server.services import SERVICES_KEY, Services, services_of
from buena_server.tasks import job_kinds, task_registry

from server_testing import API, Account, InProcessClient, assert_error, running

# name, email, phone and company find something for each: 4 credits a lead; a job reserves
# the cost of every provider the options turn on (linkedin too): 5 a lead.
PER_LEAD = 4
RESERVED = 5


def inputs(count: int) -> list[dict[str, Any]]:
    return [
        {"full_name": f"ada lovelace {n}", "email": f"ada{n}@analytical-engines.co.uk",
         "phone": "+44 20 7946 0958"}
        for n in range(count)
    ]  # fmt: skip


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"worker_in_serve": False, "default_credits": 5000}  # the test runs the worker


def worker_of(services: Services) -> Worker:
    return Worker(services.database, task_registry(), services, rng=random.Random(7))


@pytest.fixture
def worker(client: InProcessClient) -> Worker:
    return worker_of(services_of(client.app))


async def submit(account: Account, body: dict[str, Any], **headers: str) -> dict[str, Any]:
    response = await account.client.post(
        f"{API}/enrich", json=body, headers={**account.headers(), **headers}
    )
    assert response.status_code == 202, response.text
    job: dict[str, Any] = response.json()
    assert response.headers["location"] == f"{API}/jobs/{job['id']}"
    assert (job["type"], job["status"], job["processed"]) == ("enrichment", "pending", 0)
    return job


async def get(account: Account, path: str, **params: Any) -> Any:
    response = await account.client.get(f"{API}{path}", params=params, headers=account.headers())
    assert response.status_code == 200, response.text
    return response.json()


async def lines_of(account: Account, job_id: str) -> list[dict[str, Any]]:
    response = await account.client.get(f"{API}/jobs/{job_id}/result", headers=account.headers())
    assert response.status_code == 200, response.text
    return [json.loads(line) for line in response.text.splitlines()]


async def ledger(account: Account) -> list[tuple[str, int]]:
    """The account's ledger, oldest first: (kind, amount)."""
    body = await get(account, "/credits", limit=100)
    return [(entry["kind"], entry["amount"]) for entry in reversed(body["data"])]


async def test_more_than_100_leads_run_as_a_job_with_credits_reserved_then_refunded(
    account: Account, worker: Worker
) -> None:
    given = inputs(250)
    given[7] = {"lead_id": "lead_00000000000000000000ffff"}  # no such lead: a failed line
    job = await submit(account, {"leads": given})
    assert job["total"] == 250
    reserved = 250 * RESERVED
    assert (await get(account, "/credits"))["balance"] == 5000 - reserved
    assert await worker.run_pending() == 3  # 100 leads a chunk
    done = await get(account, f"/jobs/{job['id']}")
    counts = {k: done[k] for k in ("status", "progress", "processed", "succeeded", "failed")}
    assert counts == {
        "status": "completed", "progress": 100, "processed": 250, "succeeded": 249, "failed": 1,
    }  # fmt: skip
    used = 249 * PER_LEAD
    assert done["message"] == f"Enriched 249 of 250 leads; {used} credits used"
    lines = await lines_of(account, job["id"])
    assert [line["input"] for line in lines] == given  # one line a lead, in order
    assert lines[7] == {
        "status": "failed", "input": given[7], "code": "LEAD_NOT_FOUND",
        "message": "Lead 'lead_00000000000000000000ffff' not found",
    }  # fmt: skip
    first = lines[0]
    assert (first["status"], first["credits"], first["sources"]) == (
        "enriched", PER_LEAD, ["name", "email", "phone", "company"],
    )  # fmt: skip
    assert first["enriched_data"]["company_info"]["domain"] == "analytical-engines.co.uk"
    # The reservation, then the refund of what was not used: the balance pays what was.
    assert (await ledger(account))[-2:] == [("enrichment", -reserved), ("refund", reserved - used)]
    assert (await get(account, "/credits"))["balance"] == 5000 - used
    [event] = (await get(account, "/events", type="job.completed"))["data"]
    assert event["data"]["object"] == done


async def test_the_answer_at_once_and_by_a_job_agree(account: Account, worker: Worker) -> None:
    given = inputs(3)
    at_once = await account.client.post(
        f"{API}/enrich", json={"leads": given}, headers=account.headers()
    )
    assert at_once.status_code == 200, at_once.text
    response = await account.client.post(
        f"{API}/enrich",
        json={"leads": given},
        headers={**account.headers(), "prefer": "wait=5, respond-async"},
    )
    assert response.status_code == 202, response.text
    assert response.headers["preference-applied"] == "respond-async"
    await worker.run_pending()
    lines = await lines_of(account, response.json()["id"])
    expected = [
        {"status": "enriched", **item, "credits": PER_LEAD} for item in at_once.json()["enriched"]
    ]
    assert lines == expected


async def test_a_filter_enriches_the_stored_leads_it_selected_and_writes_back(
    account: Account, other_account: Account, worker: Worker
) -> None:
    chosen = [
        await account.create_lead(
            first_name="Grace", last_name=f"Hopper{n}", email=f"grace{n}@navy-labs.com",
            phone="+1 650 253 0000", status="active", tags=["webinar"],
        )
        for n in range(3)
    ]  # fmt: skip
    mine = await account.create_lead(
        first_name="Kept", last_name="Values", email="kept@navy-labs.com",
        phone="+1 650 253 0000", company="Set By User", status="active", tags=["webinar"],
    )  # fmt: skip
    chosen.append(mine)
    await account.create_lead(email="other@navy-labs.com", status="inactive", tags=["webinar"])
    await other_account.create_lead(email="x@navy-labs.com", status="active", tags=["webinar"])
    body = {"filter": {"status": "active", "tags": ["webinar"]}, "update_leads": True}
    job = await submit(account, body)
    assert job["total"] == 4
    # A lead created after the submission is not the filter's.
    late = await account.create_lead(email="late@navy-labs.com", status="active", tags=["webinar"])
    await worker.run_pending()
    lines = await lines_of(account, job["id"])
    assert [line["input"] for line in lines] == [{"lead_id": lead["id"]} for lead in chosen]
    assert {line["status"] for line in lines} == {"enriched"}
    stored = await get(account, f"/leads/{chosen[0]['id']}")
    assert (stored["company"], stored["location"]) == ("Navy Labs", "Mountain View, CA")
    assert lines[0]["updated_fields"] == ["company", "location"]
    kept = await get(account, f"/leads/{mine['id']}")
    assert kept["company"] == "Set By User"  # never overwritten
    assert lines[3]["updated_fields"] == ["location"]
    assert (await get(account, f"/leads/{late['id']}"))["company"] is None
    provenance = await get(account, f"/leads/{chosen[0]['id']}/enrichment")
    assert provenance["fields"]["company"]["sources"] == ["company"]
    events = (await get(account, "/events", type="lead.enriched"))["data"]
    assert {e["data"]["object"]["id"] for e in events} == {lead["id"] for lead in chosen}


async def test_an_empty_filter_selects_every_lead_and_none_makes_an_empty_job(
    account: Account, worker: Worker
) -> None:
    empty = await submit(account, {"filter": {"status": "contacted"}})
    assert empty["total"] == 0
    await worker.run_pending()
    done = await get(account, f"/jobs/{empty['id']}")
    assert (done["status"], done["processed"]) == ("completed", 0)
    assert await lines_of(account, empty["id"]) == []
    for n in range(3):
        await account.create_lead(email=f"lead{n}@example.com")
    every = await submit(account, {"filter": {}})
    assert every["total"] == 3


async def test_a_job_the_balance_cannot_reserve_is_402_and_nothing_is_submitted(
    account: Account,
) -> None:
    response = await account.client.post(
        f"{API}/enrich", json={"leads": inputs(1001)}, headers=account.headers()
    )
    body = assert_error(response, 402, "INSUFFICIENT_CREDITS")
    assert body["details"] == {"required": 1001 * RESERVED, "balance": 5000}
    assert (await get(account, "/jobs"))["total"] == 0
    assert (await get(account, "/credits"))["balance"] == 5000


async def test_concurrent_submissions_never_overdraw(account: Account) -> None:
    """Five submissions reserving 1,000 credits each (200 leads) against 4,996: four are
    202, one is 402, and the balance ends at what is left."""
    await account.client.post(  # 4 credits spent: 4,996 left
        f"{API}/enrich", json={"leads": inputs(1)}, headers=account.headers()
    )
    responses = await asyncio.gather(
        *(
            account.client.post(
                f"{API}/enrich", json={"leads": inputs(200)}, headers=account.headers()
            )
            for _ in range(5)
        )
    )
    assert sorted(r.status_code for r in responses) == [202] * 4 + [402]
    assert (await get(account, "/credits"))["balance"] == 4996 - 4000
    assert (await get(account, "/jobs"))["total"] == 4


async def test_cancel_refunds_what_the_job_did_not_use(
    client: InProcessClient, account: Account
) -> None:
    job = await submit(account, {"leads": inputs(250)})
    services = services_of(client.app)
    # One chunk runs; then the job is canceled, and its queued chunks do nothing.
    chunk = Job(
        id="job_first_chunk", task=RUN_TASK, created_at=utcnow(), attempts=1, failures=0,
        max_attempts=25, payload={"account_id": account.id, "job_id": job["id"], "chunk": 0},
    )  # fmt: skip
    context = JobContext(services.database, services, SYSTEM_CLOCK, chunk, "wkr_test")
    await JobRunner(job_kinds())(chunk, context)
    assert (await get(account, f"/jobs/{job['id']}"))["processed"] == 100
    response = await account.client.post(
        f"{API}/jobs/{job['id']}/cancel", headers=account.headers()
    )
    assert response.status_code == 200, response.text
    await worker_of(services).run_pending()
    canceled = await get(account, f"/jobs/{job['id']}")
    assert (canceled["status"], canceled["processed"]) == ("canceled", 100)
    used = 100 * PER_LEAD
    assert (await ledger(account))[-1] == ("refund", 250 * RESERVED - used)
    assert (await get(account, "/credits"))["balance"] == 5000 - used
    assert len(await lines_of(account, job["id"])) == 100


async def test_a_job_outlives_its_server_process(client: InProcessClient, account: Account) -> None:
    """Submitted to one app, finished by the worker of another on the same database."""
    job = await submit(account, {"leads": inputs(150)})
    settings = services_of(client.app).settings
    async with running(create_app(settings)) as restarted:
        assert await worker_of(services_of(restarted.app)).run_pending() == 2
    done = await get(account, f"/jobs/{job['id']}")
    assert (done["status"], done["succeeded"]) == ("completed", 150)


async def test_costs_raised_after_the_submission_are_charged_or_stop_the_job(
    client: InProcessClient, account: Account
) -> None:
    job = await submit(account, {"leads": inputs(150)})  # 750 reserved, 4,250 left
    services = services_of(client.app)
    dearer = ProviderRegistry(
        [r.provider for r in services.enrichment_providers.registered], {"phone": 40}
    )
    changed = dataclasses.replace(services, enrichment_providers=dearer)
    client.app.state[SERVICES_KEY] = changed
    await worker_of(changed).run_pending()
    failed = await get(account, f"/jobs/{job['id']}")
    # Chunk 1 costs 100 x 43 = 4,300: 750 reserved + 3,550 charged; chunk 2 (50 x 43 =
    # 2,150) finds 700 left: the job stops there, and nothing reserved is left to refund.
    assert (failed["status"], failed["processed"]) == ("failed", 100)
    assert failed["message"].startswith("INSUFFICIENT_CREDITS: This call costs 2150 credits")
    assert (await get(account, "/credits"))["balance"] == 700
    assert (await ledger(account))[-1] == ("enrichment", -3550)


class TestRefused:
    async def test_request_shape(self, account: Account) -> None:
        async def refused(body: dict[str, Any]) -> dict[str, Any]:
            response = await account.client.post(
                f"{API}/enrich", json=body, headers=account.headers()
            )
            return assert_error(response, 422, "VALIDATION_ERROR")

        body = await refused({"leads": [{"email": "a@b.com"}] * 10_001})
        assert "at most 10000" in body["message"]
        assert "Give either leads or filter" in (await refused({}))["message"]
        both = {"leads": inputs(1), "filter": {}}
        assert "Give either leads or filter" in (await refused(both))["message"]
        bad = await refused({"filter": {"status": "gone", "created_after": "yesterday"}})
        assert [e["field"] for e in bad["details"]["errors"]] == [
            "filter.status", "filter.created_after",
        ]  # fmt: skip
        for tags in (["a,b"], ["x" * 51], [f"t{n}" for n in range(51)], ["nul\x00"]):
            bad = await refused({"filter": {"tags": tags}})
            assert [e["field"] for e in bad["details"]["errors"]] == ["filter.tags"], tags
        # Each input is checked before any job exists.
        many = inputs(150)
        many[120] = {"email": "a" * 321}
        bad = await refused({"leads": many})
        assert bad["details"]["errors"][0]["field"] == "leads[120].email"
        assert (await get(account, "/jobs"))["total"] == 0

    async def test_needs_leads_enrich(self, account: Account) -> None:
        reader = await account.key_with("leads:read", "jobs:read")
        response = await account.client.post(
            f"{API}/enrich", json={"filter": {}}, headers=account.headers(reader)
        )
        assert_error(response, 403, "PERMISSION_DENIED")


async def test_a_repeated_idempotency_key_submits_and_reserves_once(account: Account) -> None:
    headers = {**account.headers(), "idempotency-key": "enrich-job-1"}
    first, again = [
        await account.client.post(f"{API}/enrich", json={"leads": inputs(120)}, headers=headers)
        for _ in range(2)
    ]
    assert (first.status_code, again.status_code) == (202, 202), again.text
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert (await get(account, "/jobs"))["total"] == 1
    assert (await get(account, "/credits"))["balance"] == 5000 - 120 * RESERVED


async def test_the_next_chunk_is_prepared_while_one_is_written(
    client: InProcessClient, account: Account
) -> None:
    """A chunk's preparation starts the next one's; the next chunk takes it when the job is
    where it was started, and prepares afresh when it is not."""
    services = services_of(client.app)
    calls: list[str] = []
    reached = {200: asyncio.Event(), 350: asyncio.Event()}

    class Counting:
        name = "counting"
        cost = 0
        options = frozenset(OPTIONS)

        async def enrich(self, lead: LeadInput) -> None:
            calls.append(lead.email or "")
            if len(calls) in reached:
                reached[len(calls)].set()

    providers = [r.provider for r in services.enrichment_providers.registered]
    counted = dataclasses.replace(
        services, enrichment_providers=ProviderRegistry([*providers, Counting()])
    )
    submitted = await submit(account, {"leads": inputs(250)})
    async with services.database.transaction(write=False) as conn:
        record = await BackgroundJobRepository(conn).get(account.id, submitted["id"])
    assert record is not None
    kind = EnrichmentJob()
    first = await kind.prepare(services.database, counted, record)
    assert len(calls) == 100
    await reached[200].wait()  # the event loop runs the next chunk's preparation
    assert calls[100:] == [item["email"] for item in inputs(250)[100:200]]
    second_record = dataclasses.replace(record, state=first.state)
    second = await kind.prepare(services.database, counted, second_record)
    assert len(calls) == 200  # taken as prepared ahead, not prepared again
    assert [o.item.email for o in second.outcomes] == calls[100:200]  # type: ignore[union-attr]
    # The job is not where the chunk prepared ahead starts (chunk 3): prepared afresh.
    again = await kind.prepare(services.database, counted, second_record)
    assert len(calls) == 300
    assert again.state == second.state
    await reached[350].wait()  # the last chunk, prepared ahead again, ends before the test
