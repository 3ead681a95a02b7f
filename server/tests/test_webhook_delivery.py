"""Events delivered to real receivers on 127.0.0.1, end to end: each lead change produces
exactly the subscribed events, signed; failures are retried with backoff until the retry
window ends; a webhook failing for days is disabled; rotation overlaps; redelivery. The
worker runs in the test (``run_pending``) and time moves through the project clock."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp import web

from buena_server.kit import clock
from buena_server.queue import Job, JobContext, Worker
from buena_server.queue.model import SystemClock
from buena_server.queue.repository import JobRepository
from buena_server.services import Services, services_of
from buena_server.tasks import task_registry
from buena_server.webhooks.delivery import fan_out
from buena_server.webhooks.fanout import FAN_OUT_TASK
from buena_server.webhooks.outbox import OutboxRepository

from server_testing import API, Account, InProcessClient, MovedClock
from webhook_receivers import (
    Receiver,
    as_json,
    header_of,
    receiving,
    signatures_valid,
    status,
    v1_values,
)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {
        "worker_in_serve": False,  # the test runs the worker, one pass at a time
        "webhooks_allow_private": True,
        "webhooks_timeout_seconds": 2.0,
        "webhooks_retry_seconds": 3600,
        "webhooks_disable_after_seconds": 1800,
    }


@pytest.fixture
def services(client: InProcessClient) -> Services:
    return services_of(client.app)


@pytest.fixture
def worker(services: Services) -> Worker:
    return Worker(services.database, task_registry(), services, rng=random.Random(3))


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with receiving() as served:
        yield served


async def subscribe(account: Account, url: str, events: list[str]) -> dict[str, Any]:
    response = await account.client.post(
        f"{API}/webhooks", json={"url": url, "events": events}, headers=account.headers()
    )
    assert response.status_code == 201, response.text
    hook: dict[str, Any] = response.json()
    return hook


async def deliveries(account: Account, webhook_id: str, **params: str) -> list[dict[str, Any]]:
    response = await account.client.get(
        f"{API}/webhooks/{webhook_id}/deliveries", params=params, headers=account.headers()
    )
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


async def lead_changes(account: Account) -> str:
    """Create, update and delete a lead; its id."""
    lead = await account.create_lead(first_name="Ada", company="Analytical")
    patched = await account.client.patch(
        f"{API}/leads/{lead['id']}",
        json={"company": "Engines", "tags": ["vip"]},
        headers=account.headers(),
    )
    assert patched.status_code == 200
    deleted = await account.client.delete(f"{API}/leads/{lead['id']}", headers=account.headers())
    assert deleted.status_code == 200
    lead_id: str = lead["id"]
    return lead_id


async def test_each_lead_change_delivers_exactly_the_subscribed_events(
    account: Account, other_account: Account, worker: Worker, receiver: Receiver
) -> None:
    created_updated = await subscribe(account, receiver.url, ["lead.created", "lead.updated"])
    async with receiving() as everything, receiving() as theirs:
        every = await subscribe(account, everything.url, ["*"])
        await subscribe(other_account, theirs.url, ["*"])
        lead_id = await lead_changes(account)
        await worker.run_pending()
        assert theirs.received == []
        # Exactly these, once each (deliveries run concurrently: in any order).
        assert sorted(as_json(r)["type"] for r in everything.received) == [
            "lead.created",
            "lead.deleted",
            "lead.updated",
        ]
        for got in everything.received:
            body = as_json(got)
            assert signatures_valid(header_of(got, "Buena-Signature"), got.body, every["secret"])
            assert header_of(got, "Buena-Event-Id") == body["id"]
    by_type = {as_json(r)["type"]: as_json(r) for r in receiver.received}
    assert sorted(as_json(r)["type"] for r in receiver.received) == ["lead.created", "lead.updated"]
    created, updated = by_type["lead.created"], by_type["lead.updated"]
    assert created["data"]["object"]["id"] == lead_id
    assert updated["data"]["object"]["company"] == "Engines"
    assert updated["data"]["previous_attributes"]["company"] == "Analytical"
    for got in receiver.received:
        header = header_of(got, "Buena-Signature")
        assert len(v1_values(header)) == 1
        assert signatures_valid(header, got.body, created_updated["secret"])
        assert not signatures_valid(header, got.body, every["secret"])
        assert header_of(got, "Buena-Delivery-Id").startswith("whd_")
        # The body is the event as GET /events/{id} answers it.
        event = await account.client.get(
            f"{API}/events/{header_of(got, 'Buena-Event-Id')}", headers=account.headers()
        )
        assert event.json() == as_json(got)
    listed = await deliveries(account, created_updated["id"])
    assert sorted((d["event_type"], d["status"], d["attempts"]) for d in listed) == [
        ("lead.created", "delivered", 1),
        ("lead.updated", "delivered", 1),
    ]
    assert all(d["last_status_code"] == 200 and d["last_error"] is None for d in listed)


async def test_a_failed_attempt_is_retried_after_its_backoff(
    account: Account, worker: Worker, receiver: Receiver, moved_clock: MovedClock
) -> None:
    receiver.answers.append(status(500, "try later"))
    hook = await subscribe(account, receiver.url, ["lead.created"])
    await account.create_lead()
    await worker.run_pending()
    assert len(receiver.received) == 1
    [pending] = await deliveries(account, hook["id"])
    assert pending["status"] == "pending"
    assert pending["attempts"] == 1
    assert pending["last_status_code"] == 500
    assert pending["last_error"] == "HTTP 500: try later"
    wait = datetime.fromisoformat(pending["next_attempt_at"]) - moved_clock.now()
    assert wait <= timedelta(seconds=10)  # the first backoff: below 10 s
    moved_clock.advance(10.5)
    await worker.run_pending()
    assert len(receiver.received) == 2
    assert receiver.received[0].body == receiver.received[1].body
    [done] = await deliveries(account, hook["id"])
    assert (done["status"], done["attempts"], done["last_status_code"]) == ("delivered", 2, 200)
    assert done["last_error"] is None
    assert done["delivered_at"] is not None


async def test_a_timeout_is_retried(
    account: Account, worker: Worker, receiver: Receiver, moved_clock: MovedClock
) -> None:
    async def too_slow(_request: web.Request) -> web.StreamResponse:
        release = receiver.arrived  # never set again while the attempt waits
        release.clear()
        await release.wait()
        return web.Response(text="late")

    receiver.answers.append(too_slow)
    hook = await subscribe(account, receiver.url, ["lead.created"])
    await account.create_lead()
    await worker.run_pending()
    [pending] = await deliveries(account, hook["id"])
    assert pending["status"] == "pending"
    assert pending["last_error"] == "timed out after 2 s"
    moved_clock.advance(10.5)
    await worker.run_pending()
    [done] = await deliveries(account, hook["id"])
    assert done["status"] == "delivered"


@pytest.mark.parametrize(
    "settings_overrides",
    [
        {
            "worker_in_serve": False,
            "webhooks_allow_private": True,
            "webhooks_retry_seconds": 3600,
            "webhooks_disable_after_seconds": 86_400,
        }
    ],
)
async def test_a_delivery_failing_for_the_retry_window_is_failed(
    account: Account, worker: Worker, receiver: Receiver, moved_clock: MovedClock
) -> None:
    receiver.default = status(503, "down")
    hook = await subscribe(account, receiver.url, ["lead.created"])
    await account.create_lead()
    await worker.run_pending()
    started = moved_clock.now()
    while moved_clock.now() - started < timedelta(hours=2):
        moved_clock.advance(300)
        await worker.run_pending()
    [failed] = await deliveries(account, hook["id"])
    assert failed["status"] == "failed"
    assert failed["attempts"] >= 5
    assert failed["attempts"] == len(receiver.received)
    assert failed["next_attempt_at"] is None
    assert failed["last_error"] == "HTTP 503: down"
    # The waits grew: the attempts were spread over the retry window, not bunched.
    assert failed["attempts"] < 20
    still = await account.client.get(f"{API}/webhooks/{hook['id']}", headers=account.headers())
    assert still.json()["is_active"] is True


async def test_a_webhook_failing_for_days_is_disabled(
    account: Account, worker: Worker, receiver: Receiver, moved_clock: MovedClock
) -> None:
    receiver.default = status(503, "down")
    async with receiving() as watcher:
        await subscribe(account, watcher.url, ["webhook.disabled"])
        hook = await subscribe(account, receiver.url, ["lead.created"])
        await account.create_lead()
        await worker.run_pending()
        for _ in range(40):  # the retry window is an hour; the delays grow to 6 h at most
            moved_clock.advance(600)
            await worker.run_pending()
        # Disabled after half an hour of failures, before the retry window (an hour) ended:
        # its delivery is not tried again.
        [failed] = await deliveries(account, hook["id"], status="failed")
        assert failed["attempts"] >= 3
        assert failed["next_attempt_at"] is None
        assert failed["last_error"] == "not sent: the webhook was disabled"
        assert failed["last_status_code"] == 503
        gotten = await account.client.get(f"{API}/webhooks/{hook['id']}", headers=account.headers())
        disabled = gotten.json()
        assert disabled["is_active"] is False
        assert disabled["disabled_at"] is not None
        assert "HTTP 503" in disabled["disabled_reason"]
        [notice] = [as_json(r) for r in watcher.received]
        assert notice["type"] == "webhook.disabled"
        assert notice["data"]["object"]["id"] == hook["id"]
        assert notice["data"]["object"]["is_active"] is False
        assert notice["data"]["reason"] == disabled["disabled_reason"]
        # Disabled: later events are not sent to it.
        sent = len(receiver.received)
        await account.create_lead(email="later@example.com")
        await worker.run_pending()
        assert len(receiver.received) == sent
        # Re-enabled: clean again.
        enabled = await account.client.patch(
            f"{API}/webhooks/{hook['id']}", json={"is_active": True}, headers=account.headers()
        )
        assert enabled.json()["disabled_reason"] is None
        assert enabled.json()["is_active"] is True


async def test_rotation_signs_with_both_secrets_during_the_overlap(
    account: Account, worker: Worker, receiver: Receiver, moved_clock: MovedClock
) -> None:
    hook = await subscribe(account, receiver.url, ["lead.created"])
    rotated = await account.client.post(
        f"{API}/webhooks/{hook['id']}/rotate-secret",
        json={"overlap_seconds": 600},
        headers=account.headers(),
    )
    new_secret = rotated.json()["secret"]
    await account.create_lead(email="during@example.com")
    await worker.run_pending()
    during = receiver.received[-1]
    header = header_of(during, "Buena-Signature")
    assert len(v1_values(header)) == 2
    assert signatures_valid(header, during.body, new_secret)
    assert signatures_valid(header, during.body, hook["secret"])
    # The new secret's signature comes first.
    assert signatures_valid(",".join(header.split(",")[:2]), during.body, new_secret)
    moved_clock.advance(601)
    await account.create_lead(email="after@example.com")
    await worker.run_pending()
    after = receiver.received[-1]
    header = header_of(after, "Buena-Signature")
    assert len(v1_values(header)) == 1
    assert signatures_valid(header, after.body, new_secret)
    assert not signatures_valid(header, after.body, hook["secret"])


async def test_redeliver_sends_again_and_counts_on(
    account: Account, worker: Worker, receiver: Receiver
) -> None:
    hook = await subscribe(account, receiver.url, ["lead.created"])
    await account.create_lead()
    await worker.run_pending()
    [delivered] = await deliveries(account, hook["id"])
    response = await account.client.post(
        f"{API}/webhooks/{hook['id']}/deliveries/{delivered['id']}/redeliver",
        headers=account.headers(),
    )
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "pending"
    assert response.json()["attempts"] == 1
    await worker.run_pending()
    assert len(receiver.received) == 2
    assert header_of(receiver.received[1], "Buena-Delivery-Id") == delivered["id"]
    [again] = await deliveries(account, hook["id"])
    assert (again["status"], again["attempts"]) == ("delivered", 2)
    missing = await account.client.post(
        f"{API}/webhooks/{hook['id']}/deliveries/whd_missing/redeliver",
        headers=account.headers(),
    )
    assert missing.status_code == 404
    assert missing.json()["code"] == "WEBHOOK_DELIVERY_NOT_FOUND"


async def test_a_redelivery_replaces_the_retry_it_was_waiting_for(
    account: Account, worker: Worker, receiver: Receiver, moved_clock: MovedClock
) -> None:
    receiver.answers.append(status(500))
    hook = await subscribe(account, receiver.url, ["lead.created"])
    await account.create_lead()
    await worker.run_pending()
    [pending] = await deliveries(account, hook["id"])
    await account.client.post(
        f"{API}/webhooks/{hook['id']}/deliveries/{pending['id']}/redeliver",
        headers=account.headers(),
    )
    moved_clock.advance(11)  # the replaced retry falls due too
    await worker.run_pending()
    assert len(receiver.received) == 2
    [done] = await deliveries(account, hook["id"])
    assert (done["status"], done["attempts"]) == ("delivered", 2)


async def test_deliveries_list_pages_and_filters(
    account: Account, worker: Worker, receiver: Receiver
) -> None:
    receiver.answers.append(status(500))
    hook = await subscribe(account, receiver.url, ["lead.created"])
    for n in range(3):
        await account.create_lead(email=f"n{n}@example.com")
    await worker.run_pending()
    assert len(await deliveries(account, hook["id"], status="delivered")) == 2
    [pending] = await deliveries(account, hook["id"], status="pending")
    assert pending["last_status_code"] == 500
    page = await account.client.get(
        f"{API}/webhooks/{hook['id']}/deliveries",
        params={"limit": "2", "offset": "1"},
        headers=account.headers(),
    )
    body = page.json()
    assert (body["total"], body["limit"], body["offset"], len(body["data"])) == (3, 2, 1, 2)


async def test_a_webhook_deleted_before_its_delivery_gets_nothing(
    account: Account, worker: Worker, receiver: Receiver
) -> None:
    hook = await subscribe(account, receiver.url, ["lead.created"])
    await account.create_lead()
    await worker.run_pending()  # fan out and deliver
    await account.create_lead(email="second@example.com")
    deleted = await account.client.delete(f"{API}/webhooks/{hook['id']}", headers=account.headers())
    assert deleted.status_code == 200
    await worker.run_pending()
    assert len(receiver.received) == 1


async def test_a_webhook_disabled_before_its_event_is_fanned_out_gets_nothing(
    account: Account, worker: Worker, receiver: Receiver
) -> None:
    hook = await subscribe(account, receiver.url, ["lead.created"])
    await account.create_lead()
    disabled = await account.client.patch(
        f"{API}/webhooks/{hook['id']}", json={"is_active": False}, headers=account.headers()
    )
    assert disabled.status_code == 200
    await worker.run_pending()
    assert receiver.received == []
    assert await deliveries(account, hook["id"]) == []
    async with worker.database.transaction(write=False) as conn:
        assert await JobRepository(conn).counts() == {}


async def test_a_webhook_disabled_before_a_retry_is_sent_gets_nothing_more(
    account: Account, worker: Worker, receiver: Receiver, moved_clock: MovedClock
) -> None:
    receiver.answers.append(status(500, "try later"))
    hook = await subscribe(account, receiver.url, ["lead.created"])
    await account.create_lead()
    await worker.run_pending()
    [pending] = await deliveries(account, hook["id"])
    assert (pending["status"], pending["attempts"]) == ("pending", 1)
    disabled = await account.client.patch(
        f"{API}/webhooks/{hook['id']}", json={"is_active": False}, headers=account.headers()
    )
    assert disabled.status_code == 200
    moved_clock.advance(10.5)  # past the first backoff
    await worker.run_pending()
    assert len(receiver.received) == 1
    [failed] = await deliveries(account, hook["id"])
    assert failed["status"] == "failed"
    assert failed["last_error"] == "not sent: the webhook was disabled"


async def _claim_one(services: Services, token: str) -> Job:
    now = clock.utcnow()
    async with services.database.transaction(write=True) as conn:
        [job] = await JobRepository(conn).claim(
            now=now, lease_until=now + timedelta(seconds=30), token=token, batch=1
        )
    return job


@pytest.mark.parametrize("answer", [200, 500])
async def test_a_fan_out_or_success_whose_lease_was_lost_writes_nothing(
    account: Account,
    services: Services,
    receiver: Receiver,
    moved_clock: MovedClock,
    answer: int,
) -> None:
    """The statements that complete a job write only while its lease is held: a run that
    lost it (another worker took the job) changes nothing, so nothing happens twice. A
    fan-out whose attempts all succeeded (one grouped statement on PostgreSQL) and one whose
    attempt failed (the deliveries written one by one) alike."""
    receiver.default = status(answer)
    hook = await subscribe(account, receiver.url, ["lead.created"])
    await account.create_lead()
    fan_out_job = await _claim_one(services, "wkr_now")
    assert fan_out_job.task == FAN_OUT_TASK
    for token, written in (("wkr_before", False), ("wkr_now", True)):
        context = JobContext(services.database, services, SystemClock(), fan_out_job, token)
        await fan_out(fan_out_job, context)
        assert context.completed is written
        assert len(await deliveries(account, hook["id"])) == int(written)
    assert len(receiver.received) == 2  # sent by both runs: only the one holding the lease counts
    [delivery] = await deliveries(account, hook["id"])
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == (
        "delivered" if answer == 200 else "pending",
        1,
        answer,
    )
    if answer == 200:
        async with services.database.transaction(write=False) as conn:
            assert await JobRepository(conn).counts() == {}
        return
    receiver.default = status(200)
    moved_clock.advance(10.5)  # past the first backoff
    deliver_job = await _claim_one(services, "wkr_now")
    async with services.database.transaction(write=False) as conn:
        attempt = await OutboxRepository(conn).attempting(account.id, delivery["id"])
    assert attempt is not None
    assert attempt.job_id == deliver_job.id
    for token, recorded in (("wkr_before", False), ("wkr_now", True)):
        async with services.database.transaction(write=True, single_write=True) as conn:
            done = await OutboxRepository(conn).record_delivered(
                attempt, job=deliver_job, token=token, status_code=200, at=clock.utcnow()
            )
        assert done is recorded
        [delivery] = await deliveries(account, hook["id"])
        assert delivery["status"] == ("delivered" if recorded else "pending")
    async with services.database.transaction(write=False) as conn:
        assert await JobRepository(conn).counts() == {}


@pytest.mark.parametrize(
    "settings_overrides",
    [{"worker_in_serve": False, "webhooks_allow_private": True, "webhooks_retry_seconds": 0}],
)
async def test_a_first_attempt_past_the_retry_window_is_failed_at_once(
    account: Account, worker: Worker, receiver: Receiver
) -> None:
    receiver.answers.append(status(503, "down"))
    hook = await subscribe(account, receiver.url, ["lead.created"])
    await account.create_lead()
    await worker.run_pending()
    [failed] = await deliveries(account, hook["id"])
    assert (failed["status"], failed["attempts"], failed["next_attempt_at"]) == ("failed", 1, None)
    assert failed["last_error"] == "HTTP 503: down"
    async with worker.database.transaction(write=False) as conn:
        assert await JobRepository(conn).counts() == {}


@pytest.mark.parametrize("answer", [200, 500])
async def test_a_webhook_deleted_while_its_first_attempt_is_sent_gets_no_delivery(
    account: Account, worker: Worker, receiver: Receiver, answer: int
) -> None:
    """The fan-out writes the deliveries of the webhooks that still exist once its attempts
    are back; the others' deliveries are written as usual (every attempt a success: one
    grouped statement on PostgreSQL; one failed: one by one)."""
    async with receiving() as other:
        kept = await subscribe(account, other.url, ["lead.created"])
        gone = await subscribe(account, receiver.url, ["lead.created"])

        async def delete_then_answer(_request: web.Request) -> web.StreamResponse:
            deleted = await account.client.delete(
                f"{API}/webhooks/{gone['id']}", headers=account.headers()
            )
            assert deleted.status_code == 200
            return web.Response(status=answer)

        receiver.answers.append(delete_then_answer)
        await account.create_lead()
        await worker.run_pending()
        assert (len(receiver.received), len(other.received)) == (1, 1)
    [delivered] = await deliveries(account, kept["id"])
    assert (delivered["status"], delivered["attempts"]) == ("delivered", 1)
    missing = await account.client.get(
        f"{API}/webhooks/{gone['id']}/deliveries", headers=account.headers()
    )
    assert missing.status_code == 404
    async with worker.database.transaction(write=False) as conn:
        assert await JobRepository(conn).counts() == {}
