"""Events (events/): each change writes exactly its event, in the change's transaction, with
its fan-out job when a webhook subscribes to it (none otherwise); GET /events and
/events/{id}; retention."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from buena_server.events.retention import purge_expired
from buena_server.kit import clock
from buena_server.kit.driver import Database
from buena_server.services import services_of
from buena_server.tables import events, jobs

from server_testing import API, Account, InProcessClient, assert_error

LEAD = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}


@pytest.fixture(params=[True, False], ids=["hot-paths", "litestar-only"])
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    # No worker: the fan-out jobs stay for the tests to see.
    return {"hot_paths": request.param, "worker_in_serve": False, "webhooks_allow_private": True}


def database_of(client: InProcessClient) -> Database:
    return services_of(client.app).database


async def lead_events(account: Account, **params: Any) -> list[dict[str, Any]]:
    """The account's lead events, newest first."""
    response = await account.client.get(
        f"{API}/events", params={"limit": 100, **params}, headers=account.headers()
    )
    assert response.status_code == 200, response.text
    return [e for e in response.json()["data"] if e["type"].startswith("lead.")]


async def subscribe_to_all(account: Account) -> None:
    """A webhook on every event type (nothing receives: no worker runs)."""
    body = {"url": "http://127.0.0.1:9/hook", "events": ["*"]}
    response = await account.client.post(f"{API}/webhooks", json=body, headers=account.headers())
    assert response.status_code == 201, response.text


async def delivered_events(client: InProcessClient) -> list[str]:
    """The event ids of the queued webhooks.fan_out jobs (and no other job is queued)."""
    async with database_of(client).transaction(write=False) as conn:
        queued = (await conn.execute(select(jobs.c.task, jobs.c.payload))).all()
    assert {task for task, _ in queued} <= {"webhooks.fan_out"}
    return sorted(payload["event_id"] for _, payload in queued)


async def unsubscribed_events(client: InProcessClient) -> list[str]:
    """The events written while no webhook existed (the account's api_key.created)."""
    async with database_of(client).transaction(write=False) as conn:
        return sorted((await conn.execute(select(events.c.id))).scalars().all())


async def all_event_ids(client: InProcessClient) -> list[str]:
    async with database_of(client).transaction(write=False) as conn:
        return sorted((await conn.execute(select(events.c.id))).scalars().all())


async def test_each_lead_change_writes_exactly_its_event(
    client: InProcessClient, account: Account
) -> None:
    earlier = await unsubscribed_events(client)
    await subscribe_to_all(account)
    created = (await client.post(f"{API}/leads", json=LEAD, headers=account.headers())).json()
    lead_id = created["id"]
    updated = await client.patch(
        f"{API}/leads/{lead_id}",
        json={"company": "Analytical Engines", "tags": ["vip"]},
        headers=account.headers(),
    )
    assert updated.status_code == 200, updated.text
    deleted = await client.delete(f"{API}/leads/{lead_id}", headers=account.headers())
    assert deleted.status_code == 200

    deletion, update, creation = await lead_events(account)
    assert creation["type"] == "lead.created"
    assert creation["data"] == {"object": created}
    assert creation["created_at"] == created["created_at"]
    assert update["type"] == "lead.updated"
    assert update["data"] == {
        "object": updated.json(),
        "previous_attributes": {
            "company": None,
            "tags": [],
            "updated_at": created["updated_at"],
        },
    }
    assert deletion["type"] == "lead.deleted"
    assert deletion["data"] == {"object": updated.json()}  # the lead as it was
    for event in (creation, update, deletion):
        assert event["id"].startswith("evt_")
        assert set(event) == {"id", "type", "created_at", "data"}
    # Each event has its fan-out job; the one written before the webhook, none.
    later = sorted(set(await all_event_ids(client)) - set(earlier))
    assert (
        await delivered_events(client)
        == later
        == sorted(e["id"] for e in (creation, update, deletion))
    )


async def test_a_rolled_back_change_writes_no_event(
    client: InProcessClient, account: Account
) -> None:
    await subscribe_to_all(account)
    lead = await account.create_lead(**LEAD)
    other = await account.create_lead(email="grace@example.com")
    before = await all_event_ids(client)
    delivered = await delivered_events(client)
    duplicate = await client.post(f"{API}/leads", json=LEAD, headers=account.headers())
    assert_error(duplicate, 409, "LEAD_EMAIL_EXISTS")
    invalid = await client.post(
        f"{API}/leads", json={**LEAD, "email": "not an email"}, headers=account.headers()
    )
    assert_error(invalid, 422, "VALIDATION_ERROR")
    taken = await client.patch(
        f"{API}/leads/{other['id']}", json={"email": LEAD["email"]}, headers=account.headers()
    )
    assert_error(taken, 409, "LEAD_EMAIL_EXISTS")
    unchanged = await client.patch(
        f"{API}/leads/{lead['id']}", json={"company": None}, headers=account.headers()
    )
    assert unchanged.status_code == 200  # nothing changed: no event either
    missing = await client.delete(f"{API}/leads/lead_missing", headers=account.headers())
    assert_error(missing, 404, "LEAD_NOT_FOUND")
    assert await all_event_ids(client) == before
    assert await delivered_events(client) == delivered


async def test_an_idempotent_replay_writes_no_second_event(
    client: InProcessClient, account: Account
) -> None:
    headers = {**account.headers(), "Idempotency-Key": "create-ada-once"}
    first = await client.post(f"{API}/leads", json=LEAD, headers=headers)
    replay = await client.post(f"{API}/leads", json=LEAD, headers=headers)
    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.json() == first.json()
    [creation] = await lead_events(account)
    assert creation["data"]["object"]["id"] == first.json()["id"]


async def test_creates_that_arrive_together_each_write_their_event(
    client: InProcessClient, account: Account
) -> None:
    """On PostgreSQL these run as grouped statements: the events go in the same statement,
    one per lead inserted, none for the duplicate, and so do their deliveries."""
    earlier = await unsubscribed_events(client)
    await subscribe_to_all(account)
    bodies = [{**LEAD, "email": f"ada{n}@example.com"} for n in range(20)]
    bodies.append({**LEAD, "email": "ada3@example.com"})  # a duplicate among them
    answers = await asyncio.gather(
        *(client.post(f"{API}/leads", json=body, headers=account.headers()) for body in bodies)
    )
    created = {a.json()["id"] for a in answers if a.status_code == 201}
    assert sorted(a.status_code for a in answers) == [201] * 20 + [409]
    evented = [e["data"]["object"]["id"] for e in await lead_events(account)]
    assert sorted(evented) == sorted(created)
    later = sorted(set(await all_event_ids(client)) - set(earlier))
    assert await delivered_events(client) == later


async def test_api_key_events_carry_public_fields_only(
    client: InProcessClient, account: Account
) -> None:
    created = await client.post(
        f"{API}/keys",
        json={"name": "reporting", "permissions": ["leads:read"]},
        headers=account.headers(),
    )
    key = created.json()
    revoked = await client.delete(f"{API}/keys/{key['id']}", headers=account.headers())
    assert revoked.status_code == 200
    again = await client.delete(f"{API}/keys/{key['id']}", headers=account.headers())
    assert again.status_code == 200  # already revoked: no second event

    response = await client.get(f"{API}/events", headers=account.headers())
    mine = [e for e in response.json()["data"] if e["data"]["object"]["id"] == key["id"]]
    revocation, creation = mine
    public = {name: value for name, value in key.items() if name != "key"}
    assert creation["type"] == "api_key.created"
    assert creation["data"] == {"object": public}
    assert revocation["type"] == "api_key.revoked"
    assert revocation["data"] == {"object": {**public, "is_active": False}}
    assert key["key"] not in response.text


async def test_events_filter_by_type_and_time_and_page(
    client: InProcessClient, account: Account
) -> None:
    ids = [(await account.create_lead(email=f"p{n}@example.com"))["id"] for n in range(5)]
    await client.patch(f"{API}/leads/{ids[0]}", json={"notes": "x"}, headers=account.headers())

    async def listed(**params: Any) -> dict[str, Any]:
        response = await client.get(f"{API}/events", params=params, headers=account.headers())
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    created = await listed(type="lead.created")
    assert created["total"] == 5
    assert [e["data"]["object"]["id"] for e in created["data"]] == ids[::-1]
    page = await listed(type="lead.created", limit=2, offset=1)
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 1)
    assert [e["data"]["object"]["id"] for e in page["data"]] == ids[3:1:-1]
    times = [e["created_at"] for e in created["data"][::-1]]  # oldest first, as ids
    # Both bounds strict; an offset of +00:00 or Z alike.
    window = await listed(
        created_after=times[0],
        created_before=datetime.fromisoformat(times[3]).isoformat(),
    )
    assert [e["data"]["object"]["id"] for e in window["data"]] == [ids[2], ids[1]]
    updated = await listed(type="lead.updated")
    assert [e["data"]["object"]["id"] for e in updated["data"]] == [ids[0]]
    one = await client.get(f"{API}/events/{updated['data'][0]['id']}", headers=account.headers())
    assert one.json() == updated["data"][0]


async def test_events_are_isolated_between_accounts(
    client: InProcessClient, account: Account, other_account: Account
) -> None:
    await account.create_lead(**LEAD)
    await other_account.create_lead(**LEAD)
    mine = await lead_events(account)
    theirs = await lead_events(other_account)
    assert len(mine) == len(theirs) == 1
    assert mine[0]["id"] != theirs[0]["id"]
    response = await client.get(f"{API}/events/{theirs[0]['id']}", headers=account.headers())
    assert_error(response, 404, "EVENT_NOT_FOUND")


async def test_bad_list_parameters_are_422(client: InProcessClient, account: Account) -> None:
    for params, field in (
        ({"type": "lead.exploded"}, "type"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"created_before": "2026-12-05T10:00:00"}, "created_before"),  # no offset
        ({"limit": 0}, "limit"),
    ):
        response = await client.get(f"{API}/events", params=params, headers=account.headers())
        assert_error(response, 422, "VALIDATION_ERROR")
        assert response.json()["details"]["errors"][0]["field"] == field


async def test_reading_events_requires_webhooks_read(
    client: InProcessClient, account: Account
) -> None:
    key = await account.key_with("leads:read", "leads:write")
    for path in (f"{API}/events", f"{API}/events/evt_123"):
        assert_error(await client.get(path, headers=account.headers(key)), 403, "PERMISSION_DENIED")
        assert_error(await client.get(path), 401, "UNAUTHORIZED")
    allowed = await account.key_with("webhooks:read")
    assert (await client.get(f"{API}/events", headers=account.headers(allowed))).status_code == 200
    missing = await client.get(f"{API}/events/evt_missing", headers=account.headers(allowed))
    assert_error(missing, 404, "EVENT_NOT_FOUND")


async def test_events_past_their_retention_are_purged(
    client: InProcessClient, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    lead = await account.create_lead(**LEAD)
    created = datetime.fromisoformat(lead["created_at"])
    database = database_of(client)
    monkeypatch.setattr(clock, "source", lambda: created + timedelta(days=29, hours=23))
    assert await purge_expired(database, retention_days=30) == 0
    assert len(await lead_events(account)) == 1
    monkeypatch.setattr(clock, "source", lambda: created + timedelta(days=30, seconds=1))
    assert await purge_expired(database, retention_days=30) >= 1  # its api_key.created too
    assert await lead_events(account) == []
    assert await all_event_ids(client) == []


async def test_events_nobody_subscribes_to_queue_nothing(
    client: InProcessClient, account: Account
) -> None:
    """No webhook, or none active for the type: the event is written, and no job."""
    body = {"url": "http://127.0.0.1:9/hook", "events": ["lead.deleted"]}
    response = await account.client.post(f"{API}/webhooks", json=body, headers=account.headers())
    assert response.status_code == 201, response.text
    inactive = {"url": "http://127.0.0.1:9/off", "events": ["*"]}
    response = await account.client.post(
        f"{API}/webhooks", json=inactive, headers=account.headers()
    )
    assert response.status_code == 201, response.text
    hook_id = response.json()["id"]
    response = await account.client.patch(
        f"{API}/webhooks/{hook_id}", json={"is_active": False}, headers=account.headers()
    )
    assert response.status_code == 200, response.text
    lead = await account.create_lead(**LEAD)
    await account.client.patch(
        f"{API}/leads/{lead['id']}", json={"company": "Engines"}, headers=account.headers()
    )
    assert len(await lead_events(account)) == 2
    assert await delivered_events(client) == []
