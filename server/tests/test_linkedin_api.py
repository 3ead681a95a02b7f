"""The LinkedIn API: the integration (GET/PUT/DELETE /integrations/linkedin), scheduling
(POST /linkedin/actions and the hosted POST /linkedin/scheduleLinkedInAction), listing,
reading and canceling actions; the refusals (409 not connected, 409 duplicate connection
request, 422, 403 for voice without linkedin:voice, 404)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server_testing import API, Account, MovedClock, assert_error
from voice_testing import created

HOURS = {"start": "09:00", "end": "18:00", "days": ["mon", "tue", "wed", "thu", "fri"]}
# Thursday 2026-12-03 07:00 in Berlin (winter: UTC+1), before the office opens.
BEFORE_OPENING = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)


async def connect(account: Account, **fields: Any) -> dict[str, Any]:
    body = {"profile_url": "https://www.linkedin.com/in/grace-hopper", "timezone": "Europe/Berlin",
            "working_hours": HOURS, **fields}  # fmt: skip
    response = await account.client.put(
        f"{API}/integrations/linkedin", json=body, headers=account.headers()
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def schedule(account: Account, key: str | None = None, **body: Any) -> Any:
    body.setdefault("action_type", "send_connection_request")
    body.setdefault("profile_url", "https://linkedin.com/in/ada-lovelace")
    return await account.client.post(
        f"{API}/linkedin/actions", json=body, headers=account.headers(key)
    )


async def scheduled(account: Account, **body: Any) -> dict[str, Any]:
    response = await schedule(account, **body)
    assert response.status_code == 202, response.text
    action: dict[str, Any] = response.json()
    return action


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class TestIntegration:
    async def test_not_connected_then_connected_with_defaults(self, account: Account) -> None:
        response = await account.client.get(
            f"{API}/integrations/linkedin", headers=account.headers()
        )
        assert response.status_code == 200
        assert response.json()["connected"] is False
        assert response.json()["actions_today"] == 0
        put = await account.client.put(
            f"{API}/integrations/linkedin",
            json={"profile_url": "uk.linkedin.com/in/Grace-Hopper?trk=x"},
            headers=account.headers(),
        )
        assert put.status_code == 200, put.text
        answer = put.json()
        assert answer["connected"] is True
        assert answer["profile_url"] == "https://www.linkedin.com/in/grace-hopper/"
        assert (answer["daily_limit"], answer["timezone"], answer["executor"]) == (
            100, "UTC", "sandbox",
        )  # fmt: skip
        assert answer["working_hours"] == HOURS
        assert (answer["min_delay_seconds"], answer["max_delay_seconds"]) == (60, 300)
        assert (answer["actions_today"], answer["last_activity"]) == (0, None)
        got = await account.client.get(f"{API}/integrations/linkedin", headers=account.headers())
        assert got.json() == answer

    async def test_invalid_values_are_named(self, account: Account) -> None:
        body = {
            "profile_url": "https://www.linkedin.com/company/acme",
            "timezone": "Mars/Olympus",
            "working_hours": {"start": "25:00", "days": ["mon", "someday"]},
            "daily_limit": 0,
            "min_delay_seconds": 600,
            "max_delay_seconds": 60,
            "executor": "selenium",
        }
        response = await account.client.put(
            f"{API}/integrations/linkedin", json=body, headers=account.headers()
        )
        error = assert_error(response, 422, "VALIDATION_ERROR")
        assert sorted(e["field"] for e in error["details"]["errors"]) == [
            "daily_limit", "executor", "max_delay_seconds", "profile_url", "timezone",
            "working_hours.days", "working_hours.start",
        ]  # fmt: skip

    async def test_wrong_types_at_any_depth_are_400(self, account: Account) -> None:
        url = "linkedin.com/in/abc"
        for body in (
            {"profile_url": url, "daily_limit": "5"},
            {"profile_url": url, "working_hours": {"days": "mon"}},
        ):
            response = await account.client.put(
                f"{API}/integrations/linkedin", json=body, headers=account.headers()
            )
            assert_error(response, 400, "INVALID_REQUEST")

    async def test_disconnect_cancels_the_scheduled_actions(self, account: Account) -> None:
        await connect(account)
        first = await scheduled(account)
        await scheduled(account, action_type="view_profile")
        response = await account.client.delete(
            f"{API}/integrations/linkedin", headers=account.headers()
        )
        assert response.status_code == 200, response.text
        assert response.json()["canceled_actions"] == 2
        got = (await account.client.get(f"{API}/linkedin/actions/{first['id']}",
                                         headers=account.headers())).json()  # fmt: skip
        assert got["status"] == "canceled"
        assert got["error"]["code"] == "LINKEDIN_NOT_CONNECTED"
        again = await account.client.delete(
            f"{API}/integrations/linkedin", headers=account.headers()
        )
        assert_error(again, 409, "LINKEDIN_NOT_CONNECTED")
        assert_error(await schedule(account), 409, "LINKEDIN_NOT_CONNECTED")

    async def test_reading_is_not_configuring(self, account: Account) -> None:
        reader = await account.key_with("linkedin:read")
        response = await account.client.put(
            f"{API}/integrations/linkedin",
            json={"profile_url": "linkedin.com/in/abc"},
            headers=account.headers(reader),
        )
        error = assert_error(response, 403, "PERMISSION_DENIED")
        assert error["details"]["required"] == ["linkedin:schedule"]


class TestSchedule:
    async def test_not_connected(self, account: Account) -> None:
        assert_error(await schedule(account), 409, "LINKEDIN_NOT_CONNECTED")

    async def test_the_action_waits_for_the_working_hours(
        self, account: Account, moved_clock: MovedClock
    ) -> None:
        moved_clock.move_to(BEFORE_OPENING)
        await connect(account)
        action = await scheduled(account, message="Hello Ada")
        assert action["status"] == "scheduled"
        assert action["profile_url"] == "https://www.linkedin.com/in/ada-lovelace/"
        assert action["scheduled_for"] == "2026-12-03T08:00:00Z"  # 09:00 in Berlin
        assert (action["attempts"], action["result"], action["error"]) == (0, None, None)
        # The next comes its delay later (60 to 300 s).
        second = await scheduled(account, action_type="view_profile")
        gap = at(second["scheduled_for"]) - at(action["scheduled_for"])
        assert timedelta(seconds=60) <= gap <= timedelta(seconds=300)
        # scheduled_at is a floor: Friday 15:00 in Berlin stays Friday 15:00.
        later = await scheduled(
            account, action_type="get_profile", scheduled_at="2026-12-04T15:00:00+01:00"
        )
        assert (later["scheduled_at"], later["scheduled_for"]) == (
            "2026-12-04T14:00:00Z", "2026-12-04T14:00:00Z",
        )  # fmt: skip

    async def test_a_full_day_rolls_into_the_next_day_with_room(
        self, account: Account, moved_clock: MovedClock
    ) -> None:
        moved_clock.move_to(BEFORE_OPENING)
        await connect(account, daily_limit=2, timezone="America/New_York")
        times = [
            at(
                (await scheduled(account, profile_url=f"linkedin.com/in/person-{n}"))[
                    "scheduled_for"
                ]
            )
            for n in range(5)
        ]
        # Thursday, Thursday, Friday, Friday, then Monday (09:00 New York: 14:00 UTC).
        assert [t.date().isoformat() for t in times] == [
            "2026-12-03", "2026-12-03", "2026-12-04", "2026-12-04", "2026-12-07",
        ]  # fmt: skip
        assert times[0] == datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
        assert times[4] == datetime(2026, 12, 7, 14, 0, tzinfo=UTC)

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"message": "x" * 301}, "message"),
            ({"action_type": "send_message", "message": "x" * 8001}, "message"),
            ({"profile_url": "https://www.linkedin.com/company/acme/"}, "profile_url"),
            ({"profile_url": "https://example.com/in/ada"}, "profile_url"),
            ({"scheduled_at": "2026-12-03T10:00:00"}, "scheduled_at"),
            ({"scheduled_at": "2099-01-01T00:00:00Z"}, "scheduled_at"),
            ({"action_type": "send_dm"}, "action_type"),
        ],
    )
    async def test_invalid_values_are_422(
        self, account: Account, body: dict[str, Any], field: str
    ) -> None:
        await connect(account)
        error = assert_error(await schedule(account, **body), 422, "VALIDATION_ERROR")
        assert [e["field"] for e in error["details"]["errors"]] == [field]

    async def test_fields_an_action_does_not_take_are_400(self, account: Account) -> None:
        await connect(account)
        assert_error(await schedule(account, action_type="view_profile", message="hi"), 400,
                     "INVALID_REQUEST")  # fmt: skip
        assert_error(await schedule(account, action_type="send_message"), 400, "INVALID_REQUEST")
        response = await account.client.post(
            f"{API}/linkedin/actions", json={"profile_url": "x"}, headers=account.headers()
        )
        assert_error(response, 400, "INVALID_REQUEST")

    async def test_a_lead_of_the_account_only(
        self, account: Account, other_account: Account
    ) -> None:
        await connect(account)
        theirs = await other_account.create_lead(email="ada@example.com")
        assert_error(await schedule(account, lead_id=theirs["id"]), 404, "LEAD_NOT_FOUND")
        mine = await account.create_lead(email="ada@example.com")
        action = await scheduled(account, lead_id=mine["id"])
        assert action["lead_id"] == mine["id"]

    async def test_voice_messages_need_linkedin_voice(
        self, account: Account, other_account: Account
    ) -> None:
        await connect(account)
        clone = await created(account)
        theirs = await created(other_account)
        for missing in ("voice_1", theirs["id"]):
            unknown = {"action_type": "send_voice_message",
                       "voice_settings": {"voice_id": missing, "text": "Hello Ada"}}  # fmt: skip
            error = assert_error(await schedule(account, **unknown), 404, "VOICE_CLONE_NOT_FOUND")
            assert error["details"] == {"voice_clone_id": missing}
        voice = {"action_type": "send_voice_message",
                 "voice_settings": {"voice_id": clone["id"], "text": "Hello Ada"}}  # fmt: skip
        scheduler = await account.key_with("linkedin:schedule")
        error = assert_error(await schedule(account, scheduler, **voice), 403, "PERMISSION_DENIED")
        assert error["details"] == {
            "required": ["linkedin:voice"],
            "granted": ["linkedin:schedule"],
        }
        speaker = await account.key_with("linkedin:schedule", "linkedin:voice")
        response = await schedule(account, speaker, **voice)
        assert response.status_code == 202, response.text
        assert response.json()["voice_settings"] == {
            "voice_id": clone["id"], "text": "Hello Ada", "stability": 0.5, "clarity": 0.75,
            "use_speaker_boost": True,
        }  # fmt: skip


class TestDuplicates:
    async def test_a_second_connection_request_to_a_profile_is_409(self, account: Account) -> None:
        await connect(account)
        first = await scheduled(account, profile_url="https://linkedin.com/in/ada-lovelace")
        # Another spelling of the same profile.
        response = await schedule(account, profile_url="http://m.linkedin.com/in/Ada-Lovelace/?x=1")
        error = assert_error(response, 409, "LINKEDIN_DUPLICATE_ACTION")
        assert error["details"]["existing_id"] == first["id"]
        # Other actions to the profile are not duplicates.
        await scheduled(account, action_type="send_message", message="Hi")
        # Canceled, it frees the profile.
        canceled = await account.client.post(
            f"{API}/linkedin/actions/{first['id']}/cancel", headers=account.headers()
        )
        assert canceled.status_code == 200, canceled.text
        await scheduled(account)

    async def test_concurrent_requests_make_one_action(self, account: Account) -> None:
        await connect(account)
        answers = await asyncio.gather(*(schedule(account) for _ in range(6)))
        assert sorted(r.status_code for r in answers) == [202, 409, 409, 409, 409, 409]
        listed = await account.client.get(f"{API}/linkedin/actions", headers=account.headers())
        assert listed.json()["total"] == 1


class TestActions:
    async def test_list_filters_and_pages(self, account: Account, moved_clock: MovedClock) -> None:
        moved_clock.move_to(BEFORE_OPENING)
        await connect(account)
        lead = await account.create_lead(email="ada@example.com")
        made = [
            await scheduled(account, lead_id=lead["id"]),
            await scheduled(account, action_type="view_profile"),
            await scheduled(account, action_type="get_profile", profile_url="linkedin.com/in/abc"),
        ]

        async def listed(**params: Any) -> dict[str, Any]:
            response = await account.client.get(
                f"{API}/linkedin/actions", params=params, headers=account.headers()
            )
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body

        # By scheduled_for (an action may fill a gap before one submitted earlier).
        by_time = [a["id"] for a in sorted(made, key=lambda a: a["scheduled_for"])]
        assert [a["id"] for a in (await listed())["data"]] == by_time[::-1]
        assert [a["id"] for a in (await listed(order="asc", limit=2))["data"]] == by_time[:2]
        assert (await listed(lead_id=lead["id"]))["total"] == 1
        assert (await listed(action_type="view_profile"))["data"][0]["id"] == made[1]["id"]
        assert (await listed(status="completed"))["total"] == 0
        assert made[0]["scheduled_for"] == "2026-12-03T08:00:00Z"  # the first: the opening
        after = (await listed(scheduled_after=made[0]["scheduled_for"]))["total"]
        assert after == 2
        bad = await account.client.get(
            f"{API}/linkedin/actions",
            params={"status": "done", "scheduled_before": "yesterday", "limit": 0},
            headers=account.headers(),
        )
        error = assert_error(bad, 422, "VALIDATION_ERROR")
        assert [e["field"] for e in error["details"]["errors"]] == [
            "limit", "status", "scheduled_before",
        ]  # fmt: skip

    async def test_get_and_cancel(self, account: Account, other_account: Account) -> None:
        await connect(account)
        action = await scheduled(account)
        path = f"{API}/linkedin/actions/{action['id']}"
        assert (await account.client.get(path, headers=account.headers())).json() == action
        assert_error(
            await other_account.client.get(path, headers=other_account.headers()),
            404, "LINKEDIN_ACTION_NOT_FOUND",
        )  # fmt: skip
        canceled = await account.client.post(f"{path}/cancel", headers=account.headers())
        assert canceled.json()["status"] == "canceled"
        again = await account.client.post(f"{path}/cancel", headers=account.headers())
        error = assert_error(again, 409, "LINKEDIN_ACTION_NOT_CANCELABLE")
        assert error["details"]["status"] == "canceled"


class TestHostedPath:
    async def test_the_hosted_body_and_answer(
        self, account: Account, moved_clock: MovedClock
    ) -> None:
        moved_clock.move_to(BEFORE_OPENING)
        await connect(account)
        response = await account.client.post(
            f"{API}/linkedin/scheduleLinkedInAction",
            json={"actionType": "sendConnectionRequest",
                  "profileUrl": "https://linkedin.com/in/ada-lovelace", "message": "Hi Ada"},
            headers=account.headers(),
        )  # fmt: skip
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["success"] is True
        # 07:00 in Berlin until 09:00: two hours, less the few ms the request took.
        delay = int(answer["message"].split("delay of ")[1].split(" ms")[0])
        assert 7_199_000 < delay <= 7_200_000
        assert answer["message"] == (
            f"sendConnectionRequest action scheduled successfully with delay of {delay} ms."
        )
        assert answer["scheduledFor"] == "2026-12-03T08:00:00Z"
        action = (await account.client.get(f"{API}/linkedin/actions/{answer['actionId']}",
                                           headers=account.headers())).json()  # fmt: skip
        assert (action["action_type"], action["message"]) == ("send_connection_request", "Hi Ada")
        # The same rules: a second request to the profile is a duplicate.
        again = await account.client.post(
            f"{API}/linkedin/scheduleLinkedInAction",
            json={
                "actionType": "sendConnectionRequest",
                "profileUrl": "linkedin.com/in/ada-lovelace",
            },
            headers=account.headers(),
        )
        assert_error(again, 409, "LINKEDIN_DUPLICATE_ACTION")

    async def test_voice_settings_and_unknown_types(self, account: Account) -> None:
        await connect(account)
        clone = await created(account)
        response = await account.client.post(
            f"{API}/linkedin/scheduleLinkedInAction",
            json={"actionType": "sendVoiceMessage", "profileUrl": "linkedin.com/in/ada-lovelace",
                  "participantName": "Ada", "threadId": "t1",
                  "voiceSettings": {"voiceId": clone["id"], "voiceText": "Hello",
                                    "voiceParams": {"stability": 0.2, "clarity": 1,
                                                    "use_speaker_boost": False}}},
            headers=account.headers(),
        )  # fmt: skip
        assert response.status_code == 200, response.text
        action = (await account.client.get(f"{API}/linkedin/actions/{response.json()['actionId']}",
                                           headers=account.headers())).json()  # fmt: skip
        assert action["voice_settings"] == {
            "voice_id": clone["id"], "text": "Hello", "stability": 0.2, "clarity": 1.0,
            "use_speaker_boost": False,
        }  # fmt: skip
        unknown = await account.client.post(
            f"{API}/linkedin/scheduleLinkedInAction",
            json={"actionType": "endorseSkills", "profileUrl": "linkedin.com/in/ada-lovelace"},
            headers=account.headers(),
        )
        assert_error(unknown, 422, "VALIDATION_ERROR")
