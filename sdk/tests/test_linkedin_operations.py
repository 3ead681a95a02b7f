"""The LinkedIn operations over the scripted transport (no sockets): what each sends, what it
returns, and the request models' local checks."""

import json
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pydantic
import pytest

import buena_sdk
from buena_sdk import (
    LinkedInAction,
    LinkedInIntegration,
    ScheduleLinkedInActionRequest,
    VoiceSettings,
)

ACTION: "dict[str, Any]" = {
    "id": "lia_1",
    "action_type": "send_connection_request",
    "status": "scheduled",
    "profile_url": "https://www.linkedin.com/in/ada-lovelace/",
    "lead_id": None,
    "message": "Hi Ada",
    "voice_settings": None,
    "scheduled_at": None,
    "scheduled_for": "2026-12-07T08:00:00Z",
    "attempts": 0,
    "result": None,
    "error": None,
    "executor": "sandbox",
    "created_at": "2026-12-07T07:00:00Z",
    "started_at": None,
    "finished_at": None,
    "updated_at": "2026-12-07T07:00:00Z",
}
INTEGRATION: "dict[str, Any]" = {
    "connected": True,
    "profile_url": "https://www.linkedin.com/in/grace-hopper/",
    "name": None,
    "daily_limit": 100,
    "timezone": "Europe/Berlin",
    "working_hours": {"start": "09:00", "end": "18:00", "days": ["mon", "tue"]},
    "min_delay_seconds": 60,
    "max_delay_seconds": 300,
    "executor": "sandbox",
    "actions_today": 3,
    "last_activity": "2026-12-07T08:00:00Z",
    "created_at": "2026-12-01T08:00:00Z",
    "updated_at": "2026-12-01T08:00:00Z",
}


async def test_schedule_sends_the_action_and_returns_it(fake_api: Any, invoke: Any) -> None:
    fake_api.transport.reply(202, ACTION)
    request = ScheduleLinkedInActionRequest(
        action_type="send_connection_request",
        profile_url="https://linkedin.com/in/ada-lovelace",
        message="Hi Ada",
        scheduled_at=datetime(2026, 12, 7, 9, 0, tzinfo=timezone(timedelta(hours=1))),
    )
    action = await invoke(fake_api.api, "schedule_linkedin_action", request)
    assert isinstance(action, LinkedInAction)
    assert (action.id, action.status) == ("lia_1", "scheduled")
    assert action.scheduled_for == datetime(2026, 12, 7, 8, 0, tzinfo=timezone.utc)
    sent = fake_api.last
    assert (sent.method, urlsplit(sent.url).path) == ("POST", "/api/v2/linkedin/actions")
    # Only what was given (no nulls for the rest), and an Idempotency-Key for the retries.
    assert fake_api.last_json() == {
        "action_type": "send_connection_request",
        "profile_url": "https://linkedin.com/in/ada-lovelace",
        "message": "Hi Ada",
        "scheduled_at": "2026-12-07T09:00:00+01:00",
    }
    assert any(k.lower() == "idempotency-key" for k in sent.headers)


async def test_voice_settings_and_dicts(fake_api: Any, invoke: Any) -> None:
    fake_api.transport.reply(202, {**ACTION, "action_type": "send_voice_message"})
    body = {
        "action_type": "send_voice_message",
        "profile_url": "https://linkedin.com/in/ada-lovelace",
        "voice_settings": VoiceSettings(voice_id="v1", text="Hello", stability=None),
    }
    await invoke(fake_api.api, "schedule_linkedin_action", body)
    assert fake_api.last_json()["voice_settings"] == {"voice_id": "v1", "text": "Hello"}


def test_unknown_fields_fail_locally() -> None:
    with pytest.raises(pydantic.ValidationError, match="note"):
        ScheduleLinkedInActionRequest(
            action_type="view_profile",
            profile_url="https://linkedin.com/in/x",
            note="typo",  # type: ignore[call-arg]
        )


async def test_the_integration(fake_api: Any, invoke: Any) -> None:
    fake_api.transport.reply(200, INTEGRATION)
    answer = await invoke(
        fake_api.api,
        "update_linkedin_integration",
        {"profile_url": "linkedin.com/in/grace-hopper", "timezone": "Europe/Berlin",
         "working_hours": {"days": ["mon", "tue"]}},
    )  # fmt: skip
    assert isinstance(answer, LinkedInIntegration)
    assert answer.working_hours is not None
    assert answer.working_hours.days == ["mon", "tue"]
    assert answer.actions_today == 3
    assert fake_api.last.method == "PUT"
    assert fake_api.last_json() == {
        "profile_url": "linkedin.com/in/grace-hopper",
        "timezone": "Europe/Berlin",
        "working_hours": {"days": ["mon", "tue"]},
    }
    fake_api.transport.reply(200, {"connected": False, "actions_today": 0})
    assert (await invoke(fake_api.api, "get_linkedin_integration")).connected is False


async def test_list_sends_its_filters(fake_api: Any, invoke: Any) -> None:
    fake_api.transport.reply(200, {"data": [ACTION], "total": 1, "limit": 50, "offset": 0})
    page = await invoke(
        fake_api.api,
        "list_linkedin_actions",
        status="scheduled",
        action_type="send_connection_request",
        scheduled_after=datetime(2026, 12, 7, tzinfo=timezone.utc),
        order="asc",
    )
    assert [a.id for a in page.data] == ["lia_1"]
    query = parse_qs(urlsplit(fake_api.last.url).query)
    assert query["status"] == ["scheduled"]
    assert query["order"] == ["asc"]
    assert query["scheduled_after"][0].startswith("2026-12-07T00:00:00")


async def test_cancel_and_the_hosted_path(fake_api: Any, invoke: Any) -> None:
    fake_api.transport.reply(200, {**ACTION, "status": "canceled"})
    canceled = await invoke(fake_api.api, "cancel_linkedin_action", "lia_1")
    assert canceled.status == "canceled"
    assert urlsplit(fake_api.last.url).path == "/api/v2/linkedin/actions/lia_1/cancel"
    message = "sendMessage action scheduled successfully with delay of 75000 ms."
    fake_api.transport.reply(
        200,
        {"success": True, "message": message, "actionId": "lia_2",
         "scheduledFor": "2026-12-07T08:01:15Z"},
    )  # fmt: skip
    hosted = buena_sdk.HostedScheduleLinkedInActionRequest(
        actionType="sendMessage", profileUrl="https://linkedin.com/in/ada", message="Hi"
    )
    answer = await invoke(fake_api.api, "schedule_linkedin_action_hosted", hosted)
    assert (answer.message, answer.actionId) == (message, "lia_2")
    assert json.loads(fake_api.last.body) == {
        "actionType": "sendMessage",
        "profileUrl": "https://linkedin.com/in/ada",
        "message": "Hi",
    }
