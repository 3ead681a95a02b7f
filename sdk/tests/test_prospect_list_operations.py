"""The prospect-list operations over the scripted transport: what each sends and returns,
and the request models' local checks."""

from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pydantic
import pytest

from buena_sdk import (
    ConvertProspectListResponse,
    CreateProspectListRequest,
    ListProspectsResponse,
    ProspectInput,
    ProspectList,
    ScheduleProspectListRequest,
    ScheduleProspectListResponse,
)

LIST: "dict[str, Any]" = {
    "id": "pl_1",
    "name": "Founders",
    "prospect_count": 2,
    "created_at": "2026-12-06T10:00:00Z",
}


async def test_create_sends_only_what_was_given(fake_api: Any, invoke: Any) -> None:
    fake_api.transport.reply(201, LIST)
    request = CreateProspectListRequest(
        name="Founders",
        prospects=[
            ProspectInput(first_name="Ada", email="ada@example.com", company=None),
            ProspectInput(linkedin_url="linkedin.com/in/grace-hopper"),
        ],
    )
    made = await invoke(fake_api.api, "create_prospect_list", request)
    assert isinstance(made, ProspectList)
    assert (made.id, made.prospect_count) == ("pl_1", 2)
    assert (fake_api.last.method, urlsplit(fake_api.last.url).path) == (
        "POST",
        "/api/v2/prospect-lists",
    )
    assert fake_api.last_json() == {
        "name": "Founders",
        "prospects": [
            {"first_name": "Ada", "email": "ada@example.com"},
            {"linkedin_url": "linkedin.com/in/grace-hopper"},
        ],
    }


def test_unknown_fields_fail_locally() -> None:
    with pytest.raises(pydantic.ValidationError, match="emial"):
        ProspectInput(emial="typo")  # type: ignore[call-arg]


async def test_prospects_are_paged_and_matched(fake_api: Any, invoke: Any) -> None:
    prospect = {"id": "pr_1", "position": 3, "email": "ada@example.com", "match": "lead",
                "lead_id": "lead_1", "matched_by": "email"}  # fmt: skip
    fake_api.transport.reply(200, {"data": [prospect], "total": 4, "limit": 1, "offset": 3})
    page = await invoke(fake_api.api, "list_prospects", "pl_1", limit=1, offset=3)
    assert isinstance(page, ListProspectsResponse)
    assert [(p.match, p.lead_id, p.matched_by) for p in page.data] == [("lead", "lead_1", "email")]
    assert urlsplit(fake_api.last.url).path == "/api/v2/prospect-lists/pl_1/prospects"
    assert parse_qs(urlsplit(fake_api.last.url).query) == {"limit": ["1"], "offset": ["3"]}


async def test_convert_reports_each_prospect(fake_api: Any, invoke: Any) -> None:
    fake_api.transport.reply(
        200,
        {
            "results": [
                {"prospect_id": "pr_1", "position": 0, "outcome": "created",
                 "lead_id": "lead_1", "error": None},
                {"prospect_id": "pr_2", "position": 1, "outcome": "error", "lead_id": None,
                 "error": {"status": 409, "code": "LEAD_EMAIL_EXISTS", "message": "taken",
                           "field": "email"}},
            ],
            "created": 1, "existing": 0, "errors": 1,
        },
    )  # fmt: skip
    answer = await invoke(fake_api.api, "convert_prospect_list", "pl_1")
    assert isinstance(answer, ConvertProspectListResponse)
    assert [r.outcome for r in answer.results] == ["created", "error"]
    error = answer.results[1].error
    assert error is not None
    assert (error.code, error.field) == ("LEAD_EMAIL_EXISTS", "email")
    assert fake_api.last.method == "POST"
    assert urlsplit(fake_api.last.url).path == "/api/v2/prospect-lists/pl_1/convert"


async def test_schedule_sends_the_action_and_reports_each(fake_api: Any, invoke: Any) -> None:
    fake_api.transport.reply(
        200,
        {
            "results": [
                {"prospect_id": "pr_1", "position": 0, "outcome": "scheduled",
                 "action_id": "lia_1", "scheduled_for": "2026-12-07T08:00:00Z",
                 "lead_id": None, "error": None},
                {"prospect_id": "pr_2", "position": 1, "outcome": "refused",
                 "error": {"status": 409, "code": "LINKEDIN_DUPLICATE_ACTION", "message": "dup"}},
            ],
            "scheduled": 1, "refused": 1,
        },
    )  # fmt: skip
    request = ScheduleProspectListRequest(action_type="send_connection_request", message="Hi")
    answer = await invoke(fake_api.api, "schedule_prospect_list", "pl_1", request)
    assert isinstance(answer, ScheduleProspectListResponse)
    first, second = answer.results
    assert first.scheduled_for == datetime(2026, 12, 7, 8, 0, tzinfo=timezone.utc)
    assert second.error is not None
    assert second.error.code == "LINKEDIN_DUPLICATE_ACTION"
    assert urlsplit(fake_api.last.url).path == "/api/v2/prospect-lists/pl_1/schedule"
    assert fake_api.last_json() == {"action_type": "send_connection_request", "message": "Hi"}


@pytest.mark.parametrize(
    "csv", ["email,LinkedIn URL\nada@example.com,\n", b"email\nada@example.com\n"]
)
async def test_import_sends_the_csv_as_it_is(fake_api: Any, invoke: Any, csv: Any) -> None:
    fake_api.transport.reply(201, LIST)
    made = await invoke(fake_api.api, "import_prospect_list", "Founders", csv)
    assert isinstance(made, ProspectList)
    sent = fake_api.last
    assert (sent.method, urlsplit(sent.url).path) == ("POST", "/api/v2/prospect-lists/import")
    assert parse_qs(urlsplit(sent.url).query) == {"name": ["Founders"]}
    assert {k.lower(): v for k, v in sent.headers.items()}["content-type"] == "text/csv"
    assert sent.body == (csv.encode() if isinstance(csv, str) else csv)
