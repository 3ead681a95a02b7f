"""POST /leads/batch on PostgreSQL in parts (``LeadBatch._run_in_parts``): outcomes and
counters as in one part, the email order of the inserts across parts, the statements of
the parts queued one after another, a failed part, and concurrent batches in parts; on
SQLite the same batches go at once."""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

import msgspec
import pytest
from test_leads_batch import BATCH, batch, count, lead, lead_events

from buena_server.config import Settings
from buena_server.kit.dependencies import validation_context
from buena_server.kit.validation import validate
from buena_server.leads import batch as batch_module
from buena_server.leads.repository import LeadRepository, Updates
from buena_server.leads.schemas import CreateLeadRequest
from buena_server.tables import leads

from backends import ON_POSTGRES
from server_testing import API, Account, InProcessClient


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # As test_leads_batch.py: no worker.
    return {"worker_in_serve": False, "webhooks_allow_private": True}


class TestParts:
    """On PostgreSQL a batch goes in parts (``LeadBatch._run_in_parts``): in email order,
    the items of an email all in one part, counted once. Small parts here, so that a few
    items make several; on SQLite the same batches go at once."""

    @pytest.fixture(autouse=True)
    def small_parts(self, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
        monkeypatch.setattr(batch_module, "PART", 2)
        parts: list[list[str]] = []
        insert = LeadRepository.insert_uncounted

        async def recorded(self: LeadRepository, given: dict[str, str]) -> dict[str, str]:
            parts.append([row["email_lower"] for row in msgspec.json.decode(given["rows"])])
            return await insert(self, given)

        monkeypatch.setattr(LeadRepository, "insert_uncounted", recorded)
        return parts

    async def test_outcomes_and_counters_as_in_one_part(
        self, client: InProcessClient, account: Account, small_parts: list[list[str]]
    ) -> None:
        await account.create_lead(**lead("held"), job_title="Old")
        items = [
            lead("dup", email="Dup@Example.com"),  # the first of its email: creates
            lead(5, status="contacted"),
            {"first_name": "No email"},  # refused
            lead(3),
            lead("held", job_title="New"),  # exists: updated
            lead("dup", email="  dup@example.COM ", job_title="Later"),  # a later item
            lead(1, status="contacted"),
            lead(4, status="inactive"),
            lead(2),
        ]
        answer = await batch(account, items, mode="upsert", status=207)
        outcomes = [r["outcome"] for r in answer["results"]]
        assert (
            outcomes
            == ["created", "created", "error", "created", "updated", "updated"] + ["created"] * 3
        )
        assert answer["results"][5]["id"] == answer["results"][0]["id"]
        got = await client.get(
            f"{API}/leads/{answer['results'][0]['id']}", headers=account.headers()
        )
        # The later item applied as PATCH: its email (stripped) too.
        assert (got.json()["email"], got.json()["job_title"]) == ("dup@example.COM", "Later")
        for status, total in (("active", 4), ("contacted", 2), ("inactive", 1)):
            listed = await client.get(
                f"{API}/leads", params={"status": status}, headers=account.headers()
            )
            assert listed.json()["total"] == total, status
        created = [e for e in await lead_events(account) if e["type"] == "lead.created"]
        assert len(created) == 1 + 6
        if ON_POSTGRES:
            # Several parts, each in email order after the one before (the insert of the
            # whole batch goes in email order, as one statement's would).
            assert len(small_parts) > 2
            emails = [email for part in small_parts for email in part]
            assert emails == sorted(emails)
            assert len(emails) == len(set(emails)) == 6

    async def test_a_failed_part_leaves_nothing(
        self, client: InProcessClient, account: Account, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        insert = LeadRepository.insert_uncounted
        calls: list[int] = []

        async def failing(self: LeadRepository, given: dict[str, str]) -> dict[str, str]:
            calls.append(1)
            if len(calls) == 2:
                raise RuntimeError("the second part fails")
            return await insert(self, given)

        monkeypatch.setattr(LeadRepository, "insert_uncounted", failing)
        response = await account.client.post(
            BATCH, json={"leads": [lead(n) for n in range(6)]}, headers=account.headers()
        )
        if not ON_POSTGRES:  # one insert, not in parts
            assert response.status_code == 200
            return
        assert response.status_code == 500
        assert await count(client, leads) == 0
        # The connection went back to the pool in step: the next batch goes in.
        monkeypatch.setattr(LeadRepository, "insert_uncounted", insert)
        assert (await batch(account, [lead(n) for n in range(6)]))["created"] == 6


def test_an_items_email_key_is_known_before_it_is_validated() -> None:
    # The parts are cut by the keys of the emails as given; an item's key once validated
    # must be the same, or an email's items could fall in two parts and out of order.
    context = validation_context(Settings())
    for email in ("a@example.com", " Dup@Example.COM\t", "\u00c9mile@example.com ", "x@Ex.io"):
        raw = lead(1, email=email)
        validated = validate(msgspec.convert(raw, CreateLeadRequest), context)
        assert batch_module._email_key(raw) == validated.email.lower()


def test_parts_keep_an_emails_items_together() -> None:
    keys = ["a", "b", "b", "b", "c", "d", "d", "e"]
    parts = list(batch_module._parts(list(range(len(keys))), keys, 2))
    assert parts == [[0, 1, 2, 3], [4, 5, 6], [7]]


@pytest.mark.skipif(not ON_POSTGRES, reason="concurrent transactions: PostgreSQL")
async def test_concurrent_batches_in_parts_count_without_deadlocks(
    client: InProcessClient, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each batch's parts are counted once at the end, in status order: parts that each took
    # a random counter slot would lock slots in opposite orders to another batch's.
    monkeypatch.setattr(batch_module, "PART", 4)

    async def create(task: int) -> dict[str, Any]:
        return await batch(account, [lead(f"{task}-{n}") for n in range(40)], mode="upsert")

    answers = await asyncio.gather(*(create(task) for task in range(8)))
    assert [answer["created"] for answer in answers] == [40] * 8
    listed = await client.get(f"{API}/leads", params={"limit": 1}, headers=account.headers())
    assert listed.json()["total"] == 8 * 40


class TestExistingLeadsInParts:
    """On PostgreSQL the leads a batch finds taken go in parts too (``_run_in_parts``):
    each part's leads read and locked with its insert, its items applied while the next
    part's statements run, its changes written in turn; counted once at the end."""

    @pytest.fixture(autouse=True)
    def small_parts(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(batch_module, "PART", 2)

    async def test_updates_across_parts_outcomes_counters_and_events(
        self, client: InProcessClient, account: Account
    ) -> None:
        for n in range(6):
            await account.create_lead(**lead(n), job_title="Old")
        items = [
            lead(0, job_title="New", status="contacted"),
            lead(1, job_title="Old"),  # unchanged
            lead(2, job_title="New", status="inactive"),
            lead(7),  # new
            lead(3, job_title="New"),
            lead(3, notes="Later"),  # a later item of a taken email
            lead(4, job_title="New", status="contacted"),
            lead(5, job_title="New"),
        ]
        answer = await batch(account, items, mode="upsert")
        outcomes = [r["outcome"] for r in answer["results"]]
        assert outcomes == [
            "updated", "unchanged", "updated", "created", "updated", "updated", "updated",
            "updated",
        ]  # fmt: skip
        for status, total in (("active", 4), ("contacted", 2), ("inactive", 1)):
            listed = await client.get(
                f"{API}/leads", params={"status": status}, headers=account.headers()
            )
            assert listed.json()["total"] == total, status
        got = await client.get(
            f"{API}/leads/{answer['results'][4]['id']}", headers=account.headers()
        )
        assert (got.json()["job_title"], got.json()["notes"]) == ("New", "Later")
        updated = [e for e in await lead_events(account) if e["type"] == "lead.updated"]
        assert len(updated) == 6  # one per change, the later item's its own

    @pytest.mark.skipif(not ON_POSTGRES, reason="the parts are PostgreSQL's")
    async def test_statements_queue_part_after_part_in_email_order(
        self, account: Account, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        for n in range(6):
            await account.create_lead(**lead(n), job_title="Old")
        calls: list[tuple[str, list[str]]] = []
        find, update = LeadRepository.find_by_emails, LeadRepository.write_updates

        async def finding(self: LeadRepository, account_id: str, emails: Any, **kw: Any) -> Any:
            calls.append(("read", sorted(emails)))
            return await find(self, account_id, emails, **kw)

        async def updating(self: LeadRepository, updates: Updates) -> Any:
            assert updates.given is not None
            written = msgspec.json.decode(updates.given["rows"])
            calls.append(("write", sorted(row["email"] for row in written)))
            return await update(self, updates)

        monkeypatch.setattr(LeadRepository, "find_by_emails", finding)
        monkeypatch.setattr(LeadRepository, "write_updates", updating)
        items = [lead(n, job_title="New") for n in (5, 1, 3, 0, 4, 2)]
        answer = await batch(account, items, mode="upsert")
        assert answer["updated"] == 6
        emails = [f"p{n}@example.com" for n in range(6)]
        parts = [emails[0:2], emails[2:4], emails[4:6]]
        # Each part's read goes out before the part before has its changes written: the
        # server applies a part's items while the next part's statements run.
        assert calls == [
            ("read", parts[0]),
            ("read", parts[1]),
            ("write", parts[0]),
            ("read", parts[2]),
            ("write", parts[1]),
            ("write", parts[2]),
        ]

    @pytest.mark.skipif(not ON_POSTGRES, reason="the parts are PostgreSQL's")
    async def test_a_failed_write_of_a_part_leaves_nothing(
        self, client: InProcessClient, account: Account, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        for n in range(6):
            await account.create_lead(**lead(n), job_title="Old")
        events_before = len(await lead_events(account))
        update = LeadRepository.write_updates
        calls: list[int] = []

        async def failing(self: LeadRepository, updates: Updates) -> Any:
            calls.append(1)
            if len(calls) == 2:
                raise RuntimeError("the second part's write fails")
            return await update(self, updates)

        monkeypatch.setattr(LeadRepository, "write_updates", failing)
        items = [lead(n, job_title="New") for n in range(6)] + [lead(9)]
        response = await account.client.post(
            BATCH, json={"leads": items, "mode": "upsert"}, headers=account.headers()
        )
        assert response.status_code == 500
        listed = await client.get(f"{API}/leads", params={"limit": 50}, headers=account.headers())
        assert {row["job_title"] for row in listed.json()["data"]} == {"Old"}
        assert listed.json()["total"] == 6
        assert len(await lead_events(account)) == events_before
        # The connection went back to the pool in step: the next batch goes in.
        monkeypatch.setattr(LeadRepository, "write_updates", update)
        assert (await batch(account, items, mode="upsert"))["updated"] == 6


@pytest.mark.skipif(not ON_POSTGRES, reason="concurrent transactions: PostgreSQL")
async def test_concurrent_upserts_of_the_same_leads_in_parts_never_deadlock(
    client: InProcessClient, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every batch inserts and locks in email order, part after part: eight batches of the
    # same existing and new emails, in different input orders, all go in.
    monkeypatch.setattr(batch_module, "PART", 4)
    for n in range(20):
        await account.create_lead(**lead(n), job_title="Old")

    async def upsert(task: int) -> dict[str, Any]:
        numbers = list(range(30))
        numbers = numbers[task % 7 :] + numbers[: task % 7]
        items = [lead(n, job_title=f"T{task}") for n in reversed(numbers)]
        return await batch(account, items, mode="upsert")

    answers = await asyncio.gather(*(upsert(task) for task in range(8)))
    assert all(answer["errors"] == 0 for answer in answers)
    assert sum(answer["created"] for answer in answers) == 10
    listed = await client.get(f"{API}/leads", params={"limit": 1}, headers=account.headers())
    assert listed.json()["total"] == 30


_BATCH_NAME: contextvars.ContextVar[str] = contextvars.ContextVar("batch_name", default="")


@pytest.mark.skipif(not ON_POSTGRES, reason="concurrent transactions: PostgreSQL")
@pytest.mark.xfail(
    strict=True,
    reason="known: a part inserts its new emails before it locks its taken ones, so two "
    "upserts whose parts split differently can deadlock (docs/decisions/batch-writes.md)",
)
async def test_upserts_whose_parts_split_differently_both_go_in(
    account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A holds p1 and p2 in one part and the new p3 in the next; B holds p2 and p3 in one
    part. A has locked p1 and p2 when B inserts p3 and waits to lock p2; A then inserts p3
    (held back until B has: ``inserting``). Both must go in."""
    monkeypatch.setattr(batch_module, "PART", 2)
    for n in (1, 2):
        await account.create_lead(**lead(n), job_title="Old")
    a_locked, b_inserted = asyncio.Event(), asyncio.Event()
    find, insert = LeadRepository.find_by_emails, LeadRepository.insert_uncounted

    async def finding(self: LeadRepository, account_id: str, emails: Any, **kw: Any) -> Any:
        found = await find(self, account_id, emails, **kw)
        if _BATCH_NAME.get() == "A" and sorted(emails) == ["p1@example.com", "p2@example.com"]:
            a_locked.set()
        return found

    async def inserting(self: LeadRepository, given: Any) -> Any:
        if _BATCH_NAME.get() == "A":
            await b_inserted.wait()
        inserted = await insert(self, given)
        if _BATCH_NAME.get() == "B":
            b_inserted.set()
        return inserted

    monkeypatch.setattr(LeadRepository, "find_by_emails", finding)
    monkeypatch.setattr(LeadRepository, "insert_uncounted", inserting)

    async def upsert(name: str, items: list[dict[str, Any]]) -> int:
        if name == "B":
            await a_locked.wait()
        _BATCH_NAME.set(name)
        response = await account.client.post(
            BATCH, json={"leads": items, "mode": "upsert"}, headers=account.headers()
        )
        return response.status_code

    statuses = await asyncio.gather(
        upsert("A", [lead(1, job_title="A"), lead(2, job_title="A"), lead(3)]),
        upsert("B", [lead(2, job_title="B"), lead(3)]),
    )
    assert statuses == [200, 200]
