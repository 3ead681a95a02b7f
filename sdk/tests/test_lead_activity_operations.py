"""list_lead_activities over the scripted transport: what it sends and what it returns."""

from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from buena_sdk import LeadActivity, LinkedInAction, ListLeadActivitiesResponse, NotFoundException

ACTION: "dict[str, Any]" = {
    "id": "lia_1",
    "action_type": "send_connection_request",
    "status": "completed",
    "profile_url": "https://www.linkedin.com/in/ada-lovelace/",
    "lead_id": "lead_1",
    "message": None,
    "voice_settings": None,
    "scheduled_at": None,
    "scheduled_for": "2026-12-07T08:00:00Z",
    "attempts": 1,
    "result": {"simulated": True, "invitation": "sent"},
    "error": None,
    "executor": "sandbox",
    "created_at": "2026-12-07T07:00:00Z",
    "started_at": "2026-12-07T08:00:00Z",
    "finished_at": "2026-12-07T08:00:05Z",
    "updated_at": "2026-12-07T08:00:05Z",
}

TIMELINE: "dict[str, Any]" = {
    "data": [
        {
            "type": "status_change",
            "at": "2026-12-07T08:00:05Z",
            "action": None,
            "enrichment": None,
            "status_change": {
                "event_id": "evt_1",
                "previous_status": "active",
                "status": "contacted",
            },
        },
        {
            "type": "linkedin_action",
            "at": "2026-12-07T08:00:05Z",
            "action": ACTION,
            "enrichment": None,
            "status_change": None,
        },
        {
            "type": "enrichment",
            "at": "2026-12-06T09:00:00Z",
            "action": None,
            "enrichment": {
                "lead_id": "lead_1",
                "enriched_at": "2026-12-06T09:00:00Z",
                "sources": ["offline"],
                "confidence": 0.9,
                "fields": {
                    "company": {
                        "value": "Engines",
                        "sources": ["offline"],
                        "enriched_at": "2026-12-06T09:00:00Z",
                    }
                },
            },
            "status_change": None,
        },
    ],
    "total": 3,
    "limit": 2,
    "offset": 1,
}


async def test_it_sends_the_page_and_parses_each_kind(fake_api: Any, invoke: Any) -> None:
    fake_api.transport.reply(200, TIMELINE)
    page = await invoke(fake_api.api, "list_lead_activities", "lead_1", limit=2, offset=1)
    assert isinstance(page, ListLeadActivitiesResponse)
    sent = fake_api.last
    assert (sent.method, urlsplit(sent.url).path) == ("GET", "/api/v2/leads/lead_1/activities")
    assert parse_qs(urlsplit(sent.url).query) == {"limit": ["2"], "offset": ["1"]}
    change, action, enrichment = page.data
    assert all(isinstance(item, LeadActivity) for item in page.data)
    assert change.status_change is not None
    assert (change.status_change.previous_status, change.status_change.status) == (
        "active",
        "contacted",
    )
    assert isinstance(action.action, LinkedInAction)
    assert action.action.status == "completed"
    assert action.at == datetime(2026, 12, 7, 8, 0, 5, tzinfo=timezone.utc)
    assert enrichment.enrichment is not None
    assert enrichment.enrichment.fields["company"].value == "Engines"
    assert (page.total, page.limit, page.offset) == (3, 2, 1)


async def test_the_lead_id_is_escaped_and_a_missing_lead_raises(fake_api: Any, invoke: Any) -> None:
    fake_api.transport.reply(404, {"error": True, "code": "LEAD_NOT_FOUND", "message": "no"})
    with pytest.raises(NotFoundException):
        await invoke(fake_api.api, "list_lead_activities", "lead/../x")
    assert urlsplit(fake_api.last.url).path == "/api/v2/leads/lead%2F..%2Fx/activities"
