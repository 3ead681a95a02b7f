"""The job operations send the contract's requests and return its models, sync and async,
over the scripted transport (no sockets); get_job_result yields the result's items."""

from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

import buena_sdk
from buena_sdk import Job, ListJobsResponse

JOB: "dict[str, Any]" = {
    "id": "job_1",
    "type": "enrichment",
    "status": "running",
    "progress": 40,
    "total": 5,
    "processed": 2,
    "succeeded": 2,
    "failed": 0,
    "message": None,
    "result_url": "/api/v2/jobs/job_1/result",
    "created_at": "2026-12-05T10:00:00.123456Z",
    "started_at": "2026-12-05T10:00:01Z",
    "finished_at": None,
    "updated_at": "2026-12-05T10:00:02Z",
}
STATISTICS = {
    "total": 3, "pending": 0, "running": 1, "completed": 1, "failed": 1, "canceled": 0,
    "success_rate": 0.5,
}  # fmt: skip


async def test_list_jobs_sends_its_filters_and_reads_the_statistics(
    fake_api: Any, invoke: Any
) -> None:
    page = {"data": [JOB], "total": 1, "limit": 10, "offset": 0, "statistics": STATISTICS}
    fake_api.transport.reply(200, page)
    since = datetime(2026, 12, 1, tzinfo=timezone.utc)
    answer = await invoke(
        fake_api.api, "list_jobs", 10, status="running", type="enrichment", created_after=since
    )
    assert isinstance(answer, ListJobsResponse)
    assert isinstance(answer.data[0], Job)
    assert answer.data[0].progress == 40
    assert (answer.statistics.success_rate, answer.statistics.canceled) == (0.5, 0)
    sent = urlsplit(fake_api.last.url)
    assert sent.path == "/api/v2/jobs"
    assert dict(parse_qsl(sent.query)) == {
        "limit": "10", "status": "running", "type": "enrichment",
        "created_after": "2026-12-01T00:00:00+00:00",
    }  # fmt: skip


async def test_cancel_job_posts_without_a_body(fake_api: Any, invoke: Any) -> None:
    fake_api.transport.reply(200, {**JOB, "status": "canceled", "message": "Canceled by request"})
    job = await invoke(fake_api.api, "cancel_job", "job_1")
    assert (job.status, job.message) == ("canceled", "Canceled by request")
    assert (fake_api.last.method, urlsplit(fake_api.last.url).path) == (
        "POST", "/api/v2/jobs/job_1/cancel",
    )  # fmt: skip
    assert fake_api.last.body is None


async def test_cancel_of_a_finished_job_is_a_conflict(
    fake_api: Any, invoke: Any, error_body: Any
) -> None:
    fake_api.transport.reply(409, error_body(409, "JOB_ALREADY_FINISHED", "done", job_id="job_1"))
    with pytest.raises(buena_sdk.ConflictException) as caught:
        await invoke(fake_api.api, "cancel_job", "job_1")
    assert caught.value.code == "JOB_ALREADY_FINISHED"
    assert caught.value.details == {"job_id": "job_1"}


async def test_get_job_result_yields_each_item(fake_api: Any, mode: str) -> None:
    body = b'{"n": 1}\n{"n": 2, "error": "x"}\n'
    fake_api.transport.reply(200, raw=body, headers={"Content-Type": "application/x-ndjson"})
    if mode == "sync":
        items = list(fake_api.api.get_job_result("job_1"))
    else:
        items = [item async for item in fake_api.api.get_job_result_async("job_1")]
    assert items == [{"n": 1}, {"n": 2, "error": "x"}]
    assert urlsplit(fake_api.last.url).path == "/api/v2/jobs/job_1/result"
