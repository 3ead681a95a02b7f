"""POST /leads/batch: per-item outcomes in input order, create and upsert modes, events,
idempotency, the envelope's limits, and upserts racing on PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
from sqlalchemy import Text, cast, delete, func, select

from buena_server.auth.permissions import Permission
from buena_server.kit import clock
from buena_server.kit.db import encode_json_text
from buena_server.kit.validation import rules_of
from buena_server.leads import batch as batch_module
from buena_server.leads.repository import LeadRepository
from buena_server.leads.schemas import CreateLeadRequest, UpdateLeadRequest
from buena_server.services import services_of
from buena_server.tables import events, jobs, leads

from backends import ON_POSTGRES
from server_testing import API, Account, InProcessClient, assert_error

BATCH = f"{API}/leads/batch"


def lead(n: int | str, **fields: Any) -> dict[str, Any]:
    return {
        "first_name": f"First{n}",
        "last_name": f"Last{n}",
        "email": f"p{n}@example.com",
        **fields,
    }


async def batch(
    account: Account, items: list[Any], mode: str | None = None, status: int = 200, **headers: str
) -> dict[str, Any]:
    body: dict[str, Any] = {"leads": items}
    if mode is not None:
        body["mode"] = mode
    response = await account.client.post(BATCH, json=body, headers={**account.headers(), **headers})
    assert response.status_code == status, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def count(client: InProcessClient, table: Any, **where: Any) -> int:
    async with services_of(client.app).database.transaction(write=False) as conn:
        statement = select(func.count()).select_from(table)
        for name, value in where.items():
            statement = statement.where(table.c[name] == value)
        return int((await conn.execute(statement)).scalar_one())


async def lead_events(account: Account) -> list[dict[str, Any]]:
    response = await account.client.get(
        f"{API}/events", params={"limit": 100}, headers=account.headers()
    )
    assert response.status_code == 200, response.text
    return [e for e in response.json()["data"] if e["type"].startswith("lead.")]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # No worker: the fan-out jobs stay for the tests to see.
    return {"worker_in_serve": False, "webhooks_allow_private": True}


class TestBatchCreate:
    async def test_valid(self, client: InProcessClient, account: Account) -> None:
        answer = await batch(account, [lead(1), lead(2, tags=["vip"]), lead(3)])
        assert answer["created"] == 3
        assert (answer["updated"], answer["unchanged"], answer["errors"]) == (0, 0, 0)
        assert [r["index"] for r in answer["results"]] == [0, 1, 2]
        assert {r["outcome"] for r in answer["results"]} == {"created"}
        for i, result in enumerate(answer["results"]):
            assert result["error"] is None
            got = await client.get(f"{API}/leads/{result['id']}", headers=account.headers())
            assert got.json()["email"] == f"p{i + 1}@example.com"
        assert got.json()["tags"] == []
        assert await count(client, leads) == 3
        listed = (await client.get(f"{API}/leads", headers=account.headers())).json()
        assert listed["total"] == 3  # counted

    async def test_anonymous(self, client: InProcessClient) -> None:
        assert_error(await client.post(BATCH, json={"leads": [lead(1)]}), 401, "UNAUTHORIZED")

    async def test_missing_permission(self, client: InProcessClient, account: Account) -> None:
        key = await account.key_with(Permission.LEADS_READ)
        response = await client.post(BATCH, json={"leads": [lead(1)]}, headers={"x-api-key": key})
        assert assert_error(response, 403, "PERMISSION_DENIED")["details"]["required"] == [
            "leads:write"
        ]

    async def test_bad_items_fail_alone_with_their_field(
        self, client: InProcessClient, account: Account
    ) -> None:
        items = [
            lead(1),
            lead(2, email="not an email"),
            {"first_name": "No", "email": "no-last@example.com"},
            lead(4, first_name=5),
            "not an object",
            lead(6, unknown_field=1),
            lead(7, phone="12"),
            lead(8),
        ]
        answer = await batch(account, items, status=207)
        outcomes = [r["outcome"] for r in answer["results"]]
        assert outcomes == ["created", *["error"] * 6, "created"]
        errors = [r["error"] for r in answer["results"][1:7]]
        assert [(e["status"], e["field"]) for e in errors] == [
            (422, "email"),
            (400, "last_name"),
            (400, "first_name"),
            (400, None),
            (400, "unknown_field"),
            (422, "phone"),
        ]
        assert [e["code"] for e in errors] == [
            "VALIDATION_ERROR",
            *["INVALID_REQUEST"] * 4,
            "VALIDATION_ERROR",
        ]
        assert all(e["message"] for e in errors)
        assert all(r["id"] is None for r in answer["results"][1:7])
        assert (answer["created"], answer["errors"]) == (2, 6)
        assert await count(client, leads) == 2

    async def test_a_batch_of_bad_items_only(
        self, client: InProcessClient, account: Account
    ) -> None:
        """Nothing to write (found by the fuzzer: PostgreSQL's one statement for the batch was
        run with no rows, a 500)."""
        answer = await batch(account, [{}, lead(2, email="not an email")], status=207)
        assert [r["outcome"] for r in answer["results"]] == ["error", "error"]
        assert (answer["created"], answer["errors"]) == (0, 2)

    async def test_existing_and_repeated_emails_are_409_per_item(
        self, client: InProcessClient, account: Account
    ) -> None:
        existing = await account.create_lead(email="taken@example.com")
        answer = await batch(
            account,
            [lead(1, email="TAKEN@example.com"), lead(2), lead(3, email="P2@EXAMPLE.COM")],
            status=207,
        )
        first, second, third = answer["results"]
        assert first["outcome"] == "error"
        assert first["error"]["status"] == 409
        assert first["error"]["code"] == "LEAD_EMAIL_EXISTS"
        assert first["error"]["field"] == "email"
        assert second["outcome"] == "created"
        # The later of two items with one email fails, the earlier is created.
        assert third["outcome"] == "error"
        assert third["error"]["code"] == "LEAD_EMAIL_EXISTS"
        assert await count(client, leads) == 2
        assert existing["id"] not in {second["id"]}

    async def test_events_per_created_lead(self, client: InProcessClient, account: Account) -> None:
        hook = {"url": "http://127.0.0.1:9/hook", "events": ["lead.created"]}
        subscribed = await client.post(f"{API}/webhooks", json=hook, headers=account.headers())
        assert subscribed.status_code == 201, subscribed.text
        jobs_before, events_before = await count(client, jobs), await count(client, events)
        answer = await batch(account, [lead(1), lead(2, email="bad"), lead(3)], status=207)
        created = [e for e in await lead_events(account) if e["type"] == "lead.created"]
        assert sorted(e["data"]["object"]["id"] for e in created) == sorted(
            r["id"] for r in answer["results"] if r["id"]
        )
        # Each with its fan-out job, nothing for the bad item.
        assert await count(client, jobs) - jobs_before == 2
        assert await count(client, events) - events_before == 2

    async def test_fan_out_jobs_only_for_the_types_subscribed(
        self, client: InProcessClient, account: Account, other_account: Account
    ) -> None:
        for owner, kinds in ((account, ["lead.updated"]), (other_account, ["lead.created"])):
            hook = {"url": "http://127.0.0.1:9/hook", "events": kinds}
            subscribed = await client.post(f"{API}/webhooks", json=hook, headers=owner.headers())
            assert subscribed.status_code == 201, subscribed.text
        await account.create_lead(**lead(1))
        await account.create_lead(**lead(2))
        jobs_before = await count(client, jobs)
        answer = await batch(
            account,
            [lead(1, company="New"), lead(2, company="New"), lead(3), lead(4)],
            mode="upsert",
        )
        assert [r["outcome"] for r in answer["results"]] == ["updated"] * 2 + ["created"] * 2
        # Two lead.updated events, each with its job; the lead.created ones have none here
        # (another account subscribes to those).
        assert await count(client, jobs) - jobs_before == 2

    async def test_order_preserved_for_a_thousand(
        self, client: InProcessClient, account: Account
    ) -> None:
        # Emails in an order the database does not insert them in (it sorts them).
        items = [lead(f"{(i * 7919) % 1000:04d}") for i in range(1000)]
        items[500]["email"] = "broken"
        answer = await batch(account, items, status=207)
        assert [r["index"] for r in answer["results"]] == list(range(1000))
        assert answer["created"] == 999
        assert answer["errors"] == 1
        assert answer["results"][500]["error"]["field"] == "email"
        assert await count(client, leads) == 999
        page = (
            await client.get(
                f"{API}/leads",
                params={"limit": 100, "sort": "first_name", "order": "asc"},
                headers=account.headers(),
            )
        ).json()
        by_email = {r["id"]: items[r["index"]]["email"] for r in answer["results"] if r["id"]}
        assert all(by_email[found["id"]] == found["email"] for found in page["data"])


class TestEnvelope:
    @pytest.mark.parametrize(
        "body",
        [
            {"leads": []},
            {"leads": {"first_name": "x"}},
            {"leads": [lead(1)], "mode": "merge"},
            {"leads": [lead(1)], "other": 1},
            {"mode": "create"},
        ],
        ids=["empty", "not-a-list", "unknown-mode", "unknown-field", "no-leads"],
    )
    async def test_malformed(
        self, client: InProcessClient, account: Account, body: dict[str, Any]
    ) -> None:
        response = await client.post(BATCH, json=body, headers=account.headers())
        assert response.status_code in (400, 422), response.text
        assert await count(client, leads) == 0

    async def test_at_most_a_thousand(self, client: InProcessClient, account: Account) -> None:
        items = [{"first_name": "A", "last_name": "B", "email": f"{i}@x.io"} for i in range(1001)]
        response = await client.post(BATCH, json={"leads": items}, headers=account.headers())
        body = assert_error(response, 400, "INVALID_REQUEST")
        assert "leads" in str(body["details"])
        assert await count(client, leads) == 0


class TestBatchUpsert:
    async def test_updates_as_patch_would(self, client: InProcessClient, account: Account) -> None:
        existing = await account.create_lead(
            email="ada@example.com",
            company="Old Co",
            job_title="Engineer",
            tags=["a"],
            custom_fields={"keep": 1, "change": "x"},
        )
        answer = await batch(
            account,
            [
                lead(1),
                {
                    "first_name": "Jane",
                    "last_name": "Doe",
                    "email": "ADA@example.com",
                    "company": "New Co",
                    "tags": ["b"],
                    "custom_fields": {"change": "y", "new": [1, 2]},
                    "status": None,
                },
            ],
            mode="upsert",
        )
        assert [r["outcome"] for r in answer["results"]] == ["created", "updated"]
        assert answer["results"][1]["id"] == existing["id"]
        got = (await client.get(f"{API}/leads/{existing['id']}", headers=account.headers())).json()
        assert got["company"] == "New Co"
        assert got["job_title"] == "Engineer"  # absent: untouched
        assert got["tags"] == ["b"]
        assert got["custom_fields"] == {"keep": 1, "change": "y", "new": [1, 2]}
        assert got["status"] == existing["status"]
        assert got["email"] == "ADA@example.com"
        updated = [e for e in await lead_events(account) if e["type"] == "lead.updated"]
        assert len(updated) == 1
        previous = updated[0]["data"]["previous_attributes"]
        assert previous["company"] == "Old Co"
        assert previous["custom_fields"] == {"keep": 1, "change": "x"}

    async def test_unchanged(self, client: InProcessClient, account: Account) -> None:
        existing = await account.create_lead(email="ada@example.com", company="Co")
        answer = await batch(
            account,
            [{"first_name": "Jane", "last_name": "Doe", "email": "ada@example.com"}],
            mode="upsert",
        )
        assert answer["results"][0] == {
            "index": 0,
            "outcome": "unchanged",
            "id": existing["id"],
            "error": None,
        }
        assert (answer["unchanged"], answer["updated"]) == (1, 0)
        assert not [e for e in await lead_events(account) if e["type"] == "lead.updated"]

    async def test_repeated_email_applies_in_order(
        self, client: InProcessClient, account: Account
    ) -> None:
        answer = await batch(
            account,
            [lead(1, company="First"), lead(1, company="Second"), lead(1, company="Second")],
            mode="upsert",
        )
        assert [r["outcome"] for r in answer["results"]] == ["created", "updated", "unchanged"]
        assert len({r["id"] for r in answer["results"]}) == 1
        got = await client.get(
            f"{API}/leads/{answer['results'][0]['id']}", headers=account.headers()
        )
        assert got.json()["company"] == "Second"
        assert await count(client, leads) == 1

    async def test_existing_leads_written_together_with_events_and_counters(
        self, client: InProcessClient, account: Account
    ) -> None:
        existing = [await account.create_lead(**lead(n), job_title="Old") for n in range(5)]
        items = [
            lead(n, job_title=f"T{n}", **({"status": "contacted"} if n % 2 else {}))
            for n in range(5)
        ]
        answer = await batch(account, [*items, lead(9), lead(0, job_title="T0")], mode="upsert")
        outcomes = [r["outcome"] for r in answer["results"]]
        assert outcomes == ["updated"] * 5 + ["created", "unchanged"]
        assert [r["id"] for r in answer["results"][:5]] == [e["id"] for e in existing]
        for n, before in enumerate(existing):
            got = await client.get(f"{API}/leads/{before['id']}", headers=account.headers())
            assert got.json()["job_title"] == f"T{n}"
            assert got.json()["status"] == ("contacted" if n % 2 else "active")
        # The counters moved with the statuses (totals by status are read from them).
        for status, total in (("active", 4), ("contacted", 2)):
            listed = await client.get(
                f"{API}/leads", params={"status": status}, headers=account.headers()
            )
            assert listed.json()["total"] == total
        updated = {
            e["data"]["object"]["id"]: e
            for e in await lead_events(account)
            if e["type"] == "lead.updated"
        }
        assert set(updated) == {e["id"] for e in existing}
        for n, before in enumerate(existing):
            event = updated[before["id"]]
            changed = {"job_title", "updated_at", *(["status"] if n % 2 else [])}
            assert set(event["data"]["previous_attributes"]) == changed
            assert event["data"]["previous_attributes"]["job_title"] == "Old"
            assert event["created_at"] == event["data"]["object"]["updated_at"]

    async def test_a_lead_made_by_the_batch_updated_by_a_later_item(
        self, client: InProcessClient, account: Account
    ) -> None:
        answer = await batch(
            account, [lead(1, company="First"), lead(1, status="contacted")], mode="upsert"
        )
        assert [r["outcome"] for r in answer["results"]] == ["created", "updated"]
        events = await lead_events(account)
        assert [e["type"] for e in events] == ["lead.updated", "lead.created"]
        assert events[0]["data"]["previous_attributes"]["status"] == "active"
        assert events[0]["data"]["object"]["company"] == "First"
        listed = await client.get(
            f"{API}/leads", params={"status": "contacted"}, headers=account.headers()
        )
        assert listed.json()["total"] == 1

    async def test_merged_custom_fields_too_large_is_the_items_error(
        self, client: InProcessClient, account: Account
    ) -> None:
        await account.create_lead(
            email="ada@example.com", custom_fields={f"k{i}": i for i in range(60)}
        )
        more = {f"n{i}": i for i in range(60)}
        answer = await batch(
            account,
            [lead(1), lead(2, email="ada@example.com", custom_fields=more)],
            mode="upsert",
            status=207,
        )
        assert answer["results"][1]["error"]["status"] == 422
        assert answer["results"][1]["error"]["field"] == "custom_fields"
        assert answer["results"][0]["outcome"] == "created"

    async def test_a_lead_deleted_after_the_read_of_held_emails_is_created(
        self, client: InProcessClient, account: Account, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The emails leads hold are read without locks first; a lead deleted after that
        read is found gone when its row is read for update, and the item creates it."""
        existing = await account.create_lead(**lead(1))
        read = LeadRepository.held_emails

        async def read_then_deleted(self: LeadRepository, *args: Any) -> set[str]:
            held = await read(self, *args)
            await self.conn.execute(delete(leads).where(leads.c.id == existing["id"]))
            return held

        monkeypatch.setattr(LeadRepository, "held_emails", read_then_deleted)
        answer = await batch(account, [lead(1, company="New"), lead(2)], mode="upsert")
        assert [r["outcome"] for r in answer["results"]] == ["created", "created"]
        assert answer["results"][0]["id"] != existing["id"]
        got = await client.get(
            f"{API}/leads/{answer['results'][0]['id']}", headers=account.headers()
        )
        assert got.json()["company"] == "New"

    @pytest.mark.skipif(
        not ON_POSTGRES, reason="SQLite reads them under the write lock: nothing comes after"
    )
    async def test_a_lead_made_after_the_read_of_held_emails_is_updated(
        self, client: InProcessClient, account: Account, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """PostgreSQL reads the held emails unlocked: an email taken after that read is
        found taken by the insert, and the item updates the lead that holds it."""
        existing = await account.create_lead(**lead(1))

        async def read_too_early(self: LeadRepository, *args: Any) -> set[str]:
            return set()

        monkeypatch.setattr(LeadRepository, "held_emails", read_too_early)
        answer = await batch(account, [lead(1, company="New"), lead(2)], mode="upsert")
        assert [r["outcome"] for r in answer["results"]] == ["updated", "created"]
        assert answer["results"][0]["id"] == existing["id"]
        assert await count(client, leads) == 2

    @pytest.mark.skipif(ON_POSTGRES, reason="SQLite's write lock")
    async def test_sqlite_reads_the_held_emails_once_under_the_write_lock(
        self, client: InProcessClient, account: Account, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The upsert's read of the held emails is made under the write lock (BEGIN
        IMMEDIATE): the insert trusts it rather than reading them again, and a single
        create waiting for the lock meanwhile finds its email taken after the batch."""
        await account.create_lead(**lead(1))
        reads: list[int] = []
        real = LeadRepository._held

        async def counted(self: LeadRepository, *args: Any) -> set[str]:
            reads.append(1)
            if len(reads) == 1:  # a single create of an email of the batch, now
                body = {**lead(3), "first_name": "Single"}
                single = asyncio.ensure_future(
                    client.post(f"{API}/leads", json=body, headers=account.headers())
                )
                for _ in range(50):
                    await asyncio.sleep(0)  # it goes as far as it can
                assert not single.done()  # waiting for the write lock
                tasks.append(single)
            return await real(self, *args)

        tasks: list[asyncio.Future[Any]] = []
        monkeypatch.setattr(LeadRepository, "_held", counted)
        answer = await batch(account, [lead(1, company="New"), lead(2), lead(3)], mode="upsert")
        assert [r["outcome"] for r in answer["results"]] == ["updated", "created", "created"]
        assert len(reads) == 1
        assert_error(await tasks[0], 409, "LEAD_EMAIL_EXISTS")
        assert await count(client, leads) == 3

    async def test_events_are_stored_as_single_writes_store_them(
        self, client: InProcessClient, account: Account
    ) -> None:
        """The batch writes its events' payloads itself (JSON rows on PostgreSQL): stored
        byte for byte as the single writes' (msgspec's compact JSON, keys in the same
        order), for lead.created and lead.updated alike."""
        fields = {"tags": ["a", "é"], "custom_fields": {"z": 1, "a": [1.5e-07, None, "\u2028"]}}
        await account.create_lead(**lead(1), **fields)
        await client.patch(
            f"{API}/leads/{(await lead_events(account))[0]['data']['object']['id']}",
            json={"job_title": "CTO", "custom_fields": {"n": {"x": True}}},
            headers=account.headers(),
        )
        await batch(account, [lead(2, **fields), lead(3, **fields)])
        await batch(
            account,
            [lead(2, job_title="CTO", custom_fields={"n": {"x": True}}), lead(3, **fields)],
            mode="upsert",
        )
        async with services_of(client.app).database.transaction(write=False) as conn:
            rows = (
                await conn.execute(
                    select(events.c.type, cast(events.c.data, Text))
                    .where(events.c.account_id == account.id, events.c.type.like("lead.%"))
                    .order_by(events.c.created_at)
                )
            ).all()
        stored = [(kind, text) for kind, text in rows]
        kinds = [kind for kind, _text in stored]
        assert kinds == [
            "lead.created",
            "lead.updated",
            "lead.created",
            "lead.created",
            "lead.updated",
        ]
        single_created, single_updated, *batched = [text for _kind, text in stored]
        for text in (single_created, single_updated, *batched):
            assert text == encode_json_text(msgspec.json.decode(text))

        # The leads' JSON columns too, which the export sends as stored.
        async with services_of(client.app).database.transaction(write=False) as conn:
            stored_columns = (
                await conn.execute(
                    select(cast(leads.c.tags, Text), cast(leads.c.custom_fields, Text)).where(
                        leads.c.account_id == account.id
                    )
                )
            ).all()
        assert len(stored_columns) == 3
        for tags, custom in stored_columns:
            assert tags == encode_json_text(msgspec.json.decode(tags))
            assert custom == encode_json_text(msgspec.json.decode(custom))

        def shape(text: str) -> list[Any]:
            data = msgspec.json.decode(text)
            return [list(data), list(data["object"]), list(data.get("previous_attributes", {}))]

        assert shape(batched[0]) == shape(batched[1]) == shape(single_created)
        assert shape(batched[2]) == shape(single_updated)

    async def test_rows_are_stored_as_single_writes_store_them(
        self, client: InProcessClient, account: Account, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """On SQLite the batch binds its rows as stored (no bind processors): a lead, and its
        lead.created and lead.updated events, come out of the database value for value and
        type for type as POST /leads and PATCH wrote theirs (but for ids and emails)."""
        moments = iter(
            [datetime(2026, 1, 2, 3, 4, 5, 60, tzinfo=UTC), datetime(2026, 1, 3, tzinfo=UTC)]
        )
        now = next(moments)
        monkeypatch.setattr(clock, "source", lambda: now)
        fields = {
            "company": "Acme é",
            "phone": "+1-555-123-4567",
            "tags": ["a", "é"],
            "custom_fields": {"z": 1, "a": [1.5e-07, None, "\u2028"]},
            "status": "contacted",
        }
        names = {"first_name": "Jane", "last_name": "Doe"}
        single = await account.create_lead(**names, email="one@example.com", **fields)
        batched = await batch(account, [{**names, "email": "two@example.com", **fields}])
        batched = batched["results"][0]
        now = next(moments)
        change = {
            "first_name": "Janet",
            "company": "Other É",
            "job_title": "CTO",
            "custom_fields": {"n": {"x": True}},
            "status": "active",
        }
        patched = await client.patch(
            f"{API}/leads/{single['id']}", json=change, headers=account.headers()
        )
        assert patched.status_code == 200, patched.text
        await batch(account, [{**names, "email": "two@example.com", **change}], mode="upsert")

        def stored(table: Any) -> list[Any]:
            columns = [cast(column, Text) for column in table.c]
            if not ON_POSTGRES:
                columns += [func.typeof(column) for column in table.c]
            return columns

        def plain(row: Any, lead_id: str, local: str) -> tuple[Any, ...]:
            return tuple(
                value.replace(lead_id, "ID").replace(f"{local}@", "E@")
                if isinstance(value, str)
                else value
                for value in row
            )

        async with services_of(client.app).database.transaction(write=False) as conn:
            of_account = select(*stored(leads)).where(leads.c.account_id == account.id)
            rows = {row[0]: row for row in (await conn.execute(of_account)).all()}
            written = (
                await conn.execute(
                    select(*stored(events))
                    .where(events.c.account_id == account.id, events.c.type.like("lead.%"))
                    .order_by(events.c.created_at, events.c.type)
                )
            ).all()
        assert plain(rows[single["id"]], single["id"], "one") == plain(
            rows[batched["id"]], batched["id"], "two"
        )
        if not ON_POSTGRES:  # text as the processors write it, never bytes
            kinds = {kind for row in (*rows.values(), *written) for kind in row[len(row) // 2 :]}
            assert kinds == {"text", "null"}
        single_events = [row[1:] for row in written if single["id"] in row[3]]
        batch_events = [row[1:] for row in written if batched["id"] in row[3]]
        assert [row[1] for row in single_events] == ["lead.created", "lead.updated"]
        assert [plain(row, single["id"], "one") for row in single_events] == [
            plain(row, batched["id"], "two") for row in batch_events
        ]

    async def test_idempotency_key_replays_the_answer(
        self, client: InProcessClient, account: Account
    ) -> None:
        first = await batch(account, [lead(1), lead(2)], **{"idempotency-key": "batch-1"})
        again = await batch(account, [lead(1), lead(2)], **{"idempotency-key": "batch-1"})
        assert again == first
        assert await count(client, leads) == 2


@pytest.mark.skipif(not ON_POSTGRES, reason="concurrent transactions: PostgreSQL")
@pytest.mark.parametrize("part", [batch_module.PART, 7])  # one part each, or several
async def test_concurrent_upserts_of_the_same_emails_make_one_lead_each(
    client: InProcessClient, account: Account, monkeypatch: pytest.MonkeyPatch, part: int
) -> None:
    monkeypatch.setattr(batch_module, "PART", part)
    emails = [f"shared{i}@example.com" for i in range(40)]

    async def upsert(task: int) -> dict[str, Any]:
        # Each task in its own order, with a field of its own.
        order = emails[task:] + emails[:task]
        items = [
            {"first_name": "F", "last_name": "L", "email": e, "job_title": f"t{task}"}
            for e in order
        ]
        return await batch(account, items, mode="upsert")

    answers = await asyncio.gather(*(upsert(task) for task in range(6)))
    assert await count(client, leads) == len(emails)
    ids: dict[str, set[str]] = {}
    for task, answer in enumerate(answers):
        order = emails[task:] + emails[:task]
        for email, result in zip(order, answer["results"], strict=True):
            assert result["outcome"] in {"created", "updated", "unchanged"}, result
            ids.setdefault(email, set()).add(result["id"])
    assert all(len(found) == 1 for found in ids.values())
    created = sum(answer["created"] for answer in answers)
    assert created == len(emails)


def test_an_items_create_checks_are_its_patchs() -> None:
    # An upsert applies an item's create-validated values as its PATCH (LeadBatch._patch):
    # PATCH must check every field as create does.
    assert dict(rules_of(UpdateLeadRequest)) == dict(rules_of(CreateLeadRequest))
