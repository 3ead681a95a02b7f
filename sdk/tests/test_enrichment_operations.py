"""enrich and submit_enrichment_job over the scripted transport (no sockets): the job form
sends ``Prefer: respond-async`` and returns the 202's ``Job``; ``enrich`` refuses, before
sending, what only a job answers (a filter, more than 100 leads); the request models leave
out what is not given, None included (the server takes no null in them)."""

import json
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import urlsplit

import pydantic
import pytest

import buena_sdk
from buena_sdk import EnrichFilter, EnrichLeadInput, EnrichRequest, Job
from buena_sdk._codec import serialize_body

JOB: "dict[str, Any]" = {
    "id": "job_1",
    "type": "enrichment",
    "status": "pending",
    "progress": 0,
    "total": 150,
    "processed": 0,
    "succeeded": 0,
    "failed": 0,
    "message": None,
    "result_url": "/api/v2/jobs/job_1/result",
    "created_at": "2026-12-06T10:00:00Z",
    "started_at": None,
    "finished_at": None,
    "updated_at": "2026-12-06T10:00:00Z",
}
ANSWER = {"enriched": [], "failed": [], "credits_used": 0, "remaining_credits": 1000}


def leads(count: int) -> "list[dict[str, str]]":
    return [{"email": f"ada{n}@example.com"} for n in range(count)]


def _header(request: Any, name: str) -> "str | None":
    found = [value for key, value in request.headers.items() if key.lower() == name.lower()]
    return found[0] if found else None


async def test_submit_enrichment_job_prefers_a_job_and_returns_it(
    fake_api: Any, invoke: Any
) -> None:
    fake_api.transport.reply(202, JOB, headers={"Location": "/api/v2/jobs/job_1"})
    body = {"leads": leads(150), "options": {"include_social_profiles": False}}
    job = await invoke(fake_api.api, "submit_enrichment_job", body)
    assert isinstance(job, Job)
    assert (job.id, job.status, job.total) == ("job_1", "pending", 150)
    sent = fake_api.last
    assert (sent.method, urlsplit(sent.url).path) == ("POST", "/api/v2/enrich")
    assert _header(sent, "Prefer") == "respond-async"
    assert _header(sent, "Idempotency-Key")  # retried without submitting twice
    assert fake_api.last_json() == body


async def test_submit_enrichment_job_of_a_filter_with_update_leads(
    fake_api: Any, mode: str
) -> None:
    fake_api.transport.reply(202, JOB, headers={"Location": "/api/v2/jobs/job_1"})
    request = EnrichRequest(
        filter=EnrichFilter(status="active", tags=["webinar"], has_email=True),
        update_leads=True,
    )
    api = fake_api.api
    if mode == "sync":
        answer = api.submit_enrichment_job_with_http_info(request, _request_timeout=7)
    else:
        answer = await api.submit_enrichment_job_with_http_info_async(request, _request_timeout=7)
    assert (answer.status_code, answer.headers["location"]) == (202, "/api/v2/jobs/job_1")
    assert answer.data.id == "job_1"
    assert fake_api.last_json() == {
        "filter": {"status": "active", "tags": ["webinar"], "has_email": True},
        "update_leads": True,
    }
    assert fake_api.last.timeout == 7.0


async def test_the_callers_headers_go_over_the_prefer_header(fake_api: Any, invoke: Any) -> None:
    fake_api.transport.reply(202, JOB)
    await invoke(
        fake_api.api,
        "submit_enrichment_job",
        {"leads": leads(1)},
        _headers={"prefer": "respond-async, wait=10", "X-Trace": "t1"},
    )
    assert _header(fake_api.last, "Prefer") == "respond-async, wait=10"
    assert _header(fake_api.last, "X-Trace") == "t1"


async def test_a_job_the_balance_cannot_reserve_is_payment_required(
    fake_api: Any, invoke: Any, error_body: Any
) -> None:
    fake_api.transport.reply(
        402, error_body(402, "INSUFFICIENT_CREDITS", "No", required=750, balance=10)
    )
    with pytest.raises(buena_sdk.PaymentRequiredException) as refused:
        await invoke(fake_api.api, "submit_enrichment_job", {"leads": leads(150)})
    assert refused.value.details == {"required": 750, "balance": 10}


async def test_enrich_sends_100_leads_without_asking_for_a_job(fake_api: Any, invoke: Any) -> None:
    fake_api.transport.reply(200, ANSWER)
    answer = await invoke(fake_api.api, "enrich", {"leads": leads(100)})
    assert answer.remaining_credits == 1000
    assert _header(fake_api.last, "Prefer") is None
    assert len(fake_api.last_json()["leads"]) == 100


ENRICH_FORMS = [
    "enrich",
    "enrich_with_http_info",
    "enrich_without_preload_content",
    "enrich_async",
    "enrich_with_http_info_async",
    "enrich_without_preload_content_async",
]


@pytest.mark.parametrize("form", ENRICH_FORMS)
@pytest.mark.parametrize(
    ("body", "names"),
    [
        ({"leads": leads(101)}, ["at most 100 leads", "has 101", "submit_enrichment_job"]),
        ({"filter": {"status": "active"}}, ["filter", "submit_enrichment_job"]),
    ],
)
async def test_enrich_refuses_what_only_a_job_answers_before_sending(
    make_fake_api: Callable[..., Any], form: str, body: "dict[str, Any]", names: "list[str]"
) -> None:
    fake = make_fake_api()
    method = getattr(fake.api, form)

    async def call() -> Any:
        return (await method(body)) if form.endswith("_async") else method(body)

    with pytest.raises(ValueError, match="submit_enrichment_job") as refused:
        await call()
    for name in names:
        assert name in str(refused.value)
    assert fake.transport.requests == []


class TestRequestModels:
    def test_either_leads_or_filter(self) -> None:
        for given in ({}, {"leads": leads(1), "filter": {}}, {"leads": None, "filter": None}):
            with pytest.raises(pydantic.ValidationError, match="either leads or filter"):
                EnrichRequest.model_validate(given)

    def test_none_is_left_out_not_sent_as_null(self) -> None:
        request = EnrichRequest(
            leads=None,
            filter=EnrichFilter(search="ada", company=None, tags=None),
            options=None,
            update_leads=None,
        )
        assert json.loads(serialize_body(request)) == {"filter": {"search": "ada"}}
        assert request.to_dict() == {"filter": {"search": "ada"}}
        item = EnrichLeadInput(email="ada@example.com", phone=None)
        assert json.loads(serialize_body(item)) == {"email": "ada@example.com"}

    def test_an_empty_filter_selects_every_lead(self) -> None:
        assert json.loads(serialize_body(EnrichRequest(filter=EnrichFilter()))) == {"filter": {}}

    def test_filter_times_are_sent_with_an_offset(self) -> None:
        naive = datetime(2026, 12, 1, 9, 30)
        given = EnrichFilter(
            created_after=naive,
            updated_before=datetime(2026, 12, 2, tzinfo=timezone.utc),
            created_before="2026-12-03T00:00:00+02:00",  # type: ignore[arg-type]
        )
        sent = json.loads(serialize_body(given))
        # (fromisoformat of Python 3.9 reads no "Z")
        offset = sent["created_after"].replace("Z", "+00:00")
        assert datetime.fromisoformat(offset) == naive.astimezone()
        assert sent["updated_before"] == "2026-12-02T00:00:00Z"
        assert sent["created_before"] == "2026-12-03T00:00:00+02:00"

    def test_unknown_filter_fields_fail_locally(self) -> None:
        with pytest.raises(pydantic.ValidationError):
            EnrichFilter.model_validate({"sort": "created_at"})
