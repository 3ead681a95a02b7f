"""GET /leads/{id}/activities: a lead's LinkedIn actions, its enrichment and its status
changes, newest first, paged; 404 for a lead the account has not; leads:read."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from test_enrichment_api import enriched
from test_leads_batch import batch, lead
from test_linkedin_api import BEFORE_OPENING, at, connect, scheduled
from test_linkedin_runs import OPENING, worker_of

from server_testing import API, Account, InProcessClient, MovedClock, assert_error


async def timeline(account: Account, lead_id: str, key: str | None = None, **params: Any) -> Any:
    return await account.client.get(
        f"{API}/leads/{lead_id}/activities", params=params, headers=account.headers(key)
    )


async def activities(account: Account, lead_id: str, **params: Any) -> dict[str, Any]:
    response = await timeline(account, lead_id, **params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def patch(account: Account, lead_id: str, **fields: Any) -> None:
    response = await account.client.patch(
        f"{API}/leads/{lead_id}", json=fields, headers=account.headers()
    )
    assert response.status_code == 200, response.text


async def test_the_timeline_of_a_contacted_lead(
    account: Account, client: InProcessClient, moved_clock: MovedClock
) -> None:
    moved_clock.move_to(BEFORE_OPENING)
    await connect(account)
    lead = await account.create_lead(email="ada@analytical-engines.co.uk", phone="+44 20 7946 0958")
    assert await activities(account, lead["id"]) == {
        "data": [], "total": 0, "limit": 50, "offset": 0
    }  # fmt: skip
    moved_clock.advance(minutes=1)
    await enriched(client, account, {"lead_id": lead["id"]}, update_leads=True)
    moved_clock.advance(minutes=1)
    await patch(account, lead["id"], first_name="Ada")  # not a status change
    moved_clock.advance(minutes=1)
    await patch(account, lead["id"], status="inactive")
    moved_clock.advance(minutes=1)
    await patch(account, lead["id"], status="active")
    made = await scheduled(account, lead_id=lead["id"], message="Hi Ada")
    other = await account.create_lead(email="other@example.com")
    await scheduled(account, lead_id=other["id"], profile_url="linkedin.com/in/someone-else")
    moved_clock.move_to(OPENING)
    await worker_of(client).run_pending()

    body = await activities(account, lead["id"])
    kinds = [(item["type"], item["status_change"]) for item in body["data"]]
    assert [kind for kind, _ in kinds] == [
        "status_change", "linkedin_action", "status_change", "status_change", "enrichment"
    ]  # fmt: skip
    changes = [change for _, change in kinds if change is not None]
    assert [(c["previous_status"], c["status"]) for c in changes] == [
        ("active", "contacted"), ("inactive", "active"), ("active", "inactive")
    ]  # fmt: skip
    assert body["total"] == 5
    action = body["data"][1]["action"]
    assert (action["id"], action["status"]) == (made["id"], "completed")
    assert action["result"]["simulated"] is True
    assert body["data"][1]["at"] == action["finished_at"]
    enrichment = body["data"][4]["enrichment"]
    assert enrichment["lead_id"] == lead["id"]
    assert enrichment["sources"]
    assert enrichment["fields"]
    assert body["data"][4]["at"] == enrichment["enriched_at"]
    times = [at(item["at"]) for item in body["data"]]
    assert times == sorted(times, reverse=True)
    # Each activity names exactly its own part.
    for item in body["data"]:
        parts = {"linkedin_action": "action", "enrichment": "enrichment",
                 "status_change": "status_change"}  # fmt: skip
        assert {k for k in parts.values() if item[k] is not None} == {parts[item["type"]]}

    # Pages: each a slice of the whole, none overlapping.
    pages = [await activities(account, lead["id"], limit=2, offset=n) for n in (0, 2, 4)]
    assert [item for page in pages for item in page["data"]] == body["data"]
    assert [(p["limit"], p["offset"], p["total"]) for p in pages] == [
        (2, 0, 5), (2, 2, 5), (2, 4, 5)
    ]  # fmt: skip


async def test_a_failed_action_shows_its_error(
    account: Account, client: InProcessClient, moved_clock: MovedClock
) -> None:
    moved_clock.move_to(BEFORE_OPENING)
    await connect(account)
    lead = await account.create_lead(email="nobody@example.com")
    made = await scheduled(account, lead_id=lead["id"], profile_url="linkedin.com/in/notfound-x")
    # Scheduled: in the timeline at once, when it was scheduled.
    [waiting] = (await activities(account, lead["id"]))["data"]
    assert waiting["action"]["status"] == "scheduled"
    assert waiting["at"] == made["created_at"]
    moved_clock.move_to(OPENING + timedelta(hours=1))
    await worker_of(client).run_pending()
    [failed] = (await activities(account, lead["id"]))["data"]
    assert failed["action"]["status"] == "failed"
    assert failed["action"]["error"]["code"] == "PROFILE_NOT_FOUND"
    assert failed["at"] == failed["action"]["finished_at"]


async def test_unknown_and_foreign_leads_are_404(account: Account, other_account: Account) -> None:
    theirs = await other_account.create_lead(email="theirs@example.com")
    for lead_id in (theirs["id"], "lead_000000000000000000000000", "not a lead id"):
        assert_error(await timeline(account, lead_id), 404, "LEAD_NOT_FOUND")


async def test_it_needs_leads_read(account: Account) -> None:
    lead = await account.create_lead(email="ada@example.com")
    key = await account.key_with("leads:write", "linkedin:read")
    body = assert_error(await timeline(account, lead["id"], key), 403, "PERMISSION_DENIED")
    assert "leads:read" in str(body["details"])
    reader = await account.key_with("leads:read")
    assert (await timeline(account, lead["id"], reader)).status_code == 200


async def test_paging_values_are_checked(account: Account) -> None:
    lead = await account.create_lead(email="ada@example.com")
    assert_error(await timeline(account, lead["id"], limit=0), 422, "VALIDATION_ERROR")
    assert (await activities(account, lead["id"], limit=500))["limit"] == 100


async def test_a_batch_upsert_puts_status_changes_and_only_those_in_the_timeline(
    account: Account, moved_clock: MovedClock
) -> None:
    """Batch writes store the lead each status change is of beside its event, as single
    writes do (the timeline reads nothing else): a changed job title is no status change,
    and another lead's change is not this lead's."""
    first = await batch(account, [lead(1), lead(2)], mode="upsert")
    ada, other = (result["id"] for result in first["results"])
    moved_clock.advance(minutes=1)
    await batch(account, [lead(1, job_title="CTO"), lead(2, status="inactive")], mode="upsert")
    moved_clock.advance(minutes=1)
    await batch(account, [lead(1, status="inactive"), lead(1, status="active")], mode="upsert")
    changes = [
        (item["status_change"]["previous_status"], item["status_change"]["status"])
        for item in (await activities(account, ada))["data"]
    ]
    assert changes == [("inactive", "active"), ("active", "inactive")]
    [theirs] = (await activities(account, other))["data"]
    assert theirs["status_change"]["status"] == "inactive"
