"""GET /leads/export: NDJSON and CSV that round-trip every field, filters, permission, and
rows streamed chunk by chunk (BUENA_EXPORT_CHUNK_SIZE)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from buena_server.auth.permissions import Permission
from buena_server.leads import service
from buena_server.leads.listing import LeadQuery
from buena_server.leads.reads import ExportedRows, StoredLead, exported_time
from buena_server.leads.repository import LeadRepository
from buena_server.leads.schemas import Lead

from server_testing import API, Account, InProcessClient, assert_error

EXPORT = f"{API}/leads/export"
CHUNK = 2

TRICKY = {
    "first_name": 'Zoë, "the" 1st',
    "last_name": "O'Brien\nSmith",
    "email": "zoe@exämple.com",
    "company": "Ünïcode, Inc. 日本",
    "phone": "+1-555-123-4567",
    "linkedin_url": "https://www.linkedin.com/in/zoe",
    "job_title": 'CEO; "chief"',
    "location": "Zürich\r\nSwitzerland",
    "notes": 'line 1\nline 2, with "quotes" and a | pipe,\n\ttab and emoji 🚀',
    "tags": ["vip", "2026", "naïve"],
    "custom_fields": {
        "score": 42,
        "ratio": 0.5,
        "active": True,
        "nested": {"a": [1, "b", None]},
        "list": ["x", "y"],
        "text": 'hello, "world"\nagain',
        "nothing": None,
    },
    "status": "contacted",
}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"export_chunk_size": CHUNK}


@pytest.fixture
async def people(account: Account) -> list[dict[str, Any]]:
    created = [await account.create_lead(**TRICKY)]
    for i in range(6):
        created.append(
            await account.create_lead(
                first_name=f"P{i}",
                last_name="Plain",
                email=f"p{i}@example.com",
                tags=["even"] if i % 2 == 0 else ["odd", "vip"] if i == 3 else ["odd"],
                custom_fields={"score": i} if i < 3 else {},
                status="active" if i % 3 else "inactive",
            )
        )
    return created


async def export(account: Account, **params: Any) -> tuple[str, str, str]:
    response = await account.client.get(EXPORT, params=params, headers=account.headers())
    assert response.status_code == 200, response.text
    return (
        response.text,
        response.headers["content-type"],
        response.headers["content-disposition"],
    )


def from_csv(text: str) -> list[dict[str, Any]]:
    """Leads back from the CSV, as the contract writes them."""
    leads = []
    for row in csv.DictReader(io.StringIO(text, newline="")):
        lead: dict[str, Any] = {"custom_fields": {}}
        for column, cell in row.items():
            if column.startswith("custom_fields."):
                if cell != "":
                    key = column.removeprefix("custom_fields.")
                    try:
                        lead["custom_fields"][key] = json.loads(cell)
                    except ValueError:
                        lead["custom_fields"][key] = cell
            elif column == "tags":
                lead["tags"] = cell.split("|") if cell else []
            else:
                lead[column] = cell or None
        leads.append(lead)
    return leads


async def stored(account: Account, lead_id: str) -> dict[str, Any]:
    response = await account.client.get(f"{API}/leads/{lead_id}", headers=account.headers())
    body: dict[str, Any] = response.json()
    return body


class TestExport:
    async def test_ndjson_round_trips_every_field(
        self, account: Account, people: list[dict[str, Any]]
    ) -> None:
        text, media_type, disposition = await export(account)
        assert media_type == "application/x-ndjson"
        assert disposition == 'attachment; filename="leads.ndjson"'
        assert text.endswith("\n")
        exported = [json.loads(line) for line in text.splitlines()]
        # The list's default order (newest first), every lead exactly as GET answers it.
        assert [lead["id"] for lead in exported] == [p["id"] for p in reversed(people)]
        for lead in exported:
            assert lead == await stored(account, lead["id"])

    async def test_csv_round_trips_every_field(
        self, account: Account, people: list[dict[str, Any]]
    ) -> None:
        text, media_type, disposition = await export(account, format="csv", order="asc")
        assert media_type == "text/csv; charset=utf-8"
        assert disposition == 'attachment; filename="leads.csv"'
        header = next(csv.reader(io.StringIO(text)))
        assert header[:14] == [
            "id", "first_name", "last_name", "email", "company", "phone", "linkedin_url",
            "job_title", "location", "notes", "tags", "status", "created_at", "updated_at",
        ]  # fmt: skip
        # One column per custom field key present, sorted (a null value is "null").
        assert header[14:] == [
            f"custom_fields.{key}"
            for key in ["active", "list", "nested", "nothing", "ratio", "score", "text"]
        ]
        exported = from_csv(text)
        assert [lead["id"] for lead in exported] == [p["id"] for p in people]
        for lead in exported:
            assert lead == await stored(account, lead["id"])

    async def test_filters_and_sort(self, account: Account, people: list[dict[str, Any]]) -> None:
        def ids(text: str) -> list[str]:
            return [json.loads(line)["id"] for line in text.splitlines()]

        vip_or_even = [p["id"] for p in people if {"vip", "even"} & set(p["tags"])]
        text, _, _ = await export(account, tags="vip,even", order="asc")
        assert ids(text) == vip_or_even
        text, _, _ = await export(account, status="inactive", sort="first_name", order="asc")
        assert ids(text) == [
            p["id"]
            for p in sorted(people, key=lambda p: p["first_name"].lower())
            if p["status"] == "inactive"
        ]
        text, _, _ = await export(account, created_after=people[3]["created_at"], order="asc")
        assert ids(text) == [p["id"] for p in people[4:]]
        text, _, _ = await export(account, search="plain", format="csv")
        assert len(from_csv(text)) == 6
        # The CSV's custom columns are those of the leads exported.
        text, _, _ = await export(account, format="csv", tags="odd")
        assert next(csv.reader(io.StringIO(text)))[14:] == ["custom_fields.score"]

    async def test_empty_export(self, account: Account) -> None:
        text, _, _ = await export(account)
        assert text == ""
        text, _, _ = await export(account, format="csv")
        assert text.startswith("id,first_name")
        assert text.count("\n") == 1

    async def test_only_own_account(
        self, account: Account, other_account: Account, people: list[dict[str, Any]]
    ) -> None:
        await other_account.create_lead(email="other@example.com")
        text, _, _ = await export(other_account)
        assert [json.loads(line)["email"] for line in text.splitlines()] == ["other@example.com"]

    async def test_anonymous(self, client: InProcessClient) -> None:
        assert_error(await client.get(EXPORT), 401, "UNAUTHORIZED")

    async def test_missing_permission(self, client: InProcessClient, account: Account) -> None:
        key = await account.key_with(Permission.LEADS_WRITE)
        response = await client.get(EXPORT, headers={"x-api-key": key})
        assert assert_error(response, 403, "PERMISSION_DENIED")["details"]["required"] == [
            "leads:read"
        ]

    @pytest.mark.parametrize(
        "params",
        [
            {"format": "xml"},
            {"sort": "email"},
            {"created_after": "yesterday"},
            {"updated_before": "2026-01-01T00:00:00"},
            {"has_email": "yes"},
        ],
    )
    async def test_bad_parameters_are_422(
        self, client: InProcessClient, account: Account, params: dict[str, str]
    ) -> None:
        response = await client.get(EXPORT, params=params, headers=account.headers())
        body = assert_error(response, 422, "VALIDATION_ERROR")
        assert body["details"]["errors"][0]["field"] == next(iter(params))

    async def test_unknown_parameter_is_400(
        self, client: InProcessClient, account: Account
    ) -> None:
        response = await client.get(EXPORT, params={"limit": 5}, headers=account.headers())
        assert_error(response, 400, "UNKNOWN_PARAMETER")


# Every kind of value a lead's JSON holds: text needing each escape (quotes, backslashes,
# control characters, DEL, line and paragraph separators, a slash, non-ASCII and astral
# characters), nulls, empty and non-empty tags, custom values of every JSON type with big
# and small numbers, and times with and without a fraction of a second.
ESCAPES = 'q"b\\s/\x01\x08\x0c\x1f\x7f\u2028\u2029é日本🚀'
EVERY_KIND: list[tuple[datetime, datetime, dict[str, Any]]] = [
    (
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        datetime(2026, 1, 2, 3, 4, 6, 120000, tzinfo=UTC),
        {
            **TRICKY,
            "first_name": f"A{ESCAPES}",
            "notes": f"{ESCAPES}\n\r\t end",
            "tags": ["ünï", "x\\y", 'q"t'],
            "custom_fields": {
                "big": 123456789012345678901234567890,
                "negative": -9223372036854775809,
                "float": 1.5e300,
                "tiny": 1e-7,
                "zero": -0.0,
                "whole": 100000.0,
                "text": ESCAPES,
                "ñested": {"a": [True, False, None, {"b": []}], "": {}},
            },
        },
    ),
    (
        datetime(2026, 3, 4, 5, 6, 7, 1, tzinfo=UTC),
        datetime(2026, 3, 4, 5, 6, 8, tzinfo=UTC),
        {"first_name": "Nulls", "email": "nulls@example.com", "tags": [], "custom_fields": {}},
    ),
]


async def test_ndjson_lines_are_the_api_encoding_byte_for_byte(
    account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each line is exactly the body GET /leads/{id} answers (on SQLite the database writes
    the line, leads/encoded.py), whatever the lead holds. The service's clock is pinned to
    times with and without a fraction of a second."""
    for created_at, updated_at, fields in EVERY_KIND:
        monkeypatch.setattr(service, "utcnow", lambda at=created_at: at)
        lead = await account.create_lead(**fields)
        monkeypatch.setattr(service, "utcnow", lambda at=updated_at: at)
        response = await account.client.patch(
            f"{API}/leads/{lead['id']}", json={"job_title": "Patched"}, headers=account.headers()
        )
        assert response.status_code == 200, response.text
    # A lead written by the batch route (its own statements on PostgreSQL) too.
    batched = {**EVERY_KIND[0][2], "email": "batched@example.com"}
    response = await account.client.post(
        f"{API}/leads/batch", json={"leads": [batched]}, headers=account.headers()
    )
    assert response.json()["created"] == 1, response.text
    response = await account.client.get(EXPORT, params={"order": "asc"}, headers=account.headers())
    lines = response.content.splitlines()
    assert len(lines) == len(EVERY_KIND) + 1
    for line in lines:
        lead_id = json.loads(line)["id"]
        answered = await account.client.get(f"{API}/leads/{lead_id}", headers=account.headers())
        assert line == answered.content
    # The times came out with and without their fraction, as msgspec writes them.
    assert (
        b'"created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:06.120000Z"'
        in (lines[0])
    )
    assert (
        b'"created_at":"2026-03-04T05:06:07.000001Z","updated_at":"2026-03-04T05:06:08Z"'
        in (lines[1])
    )


def test_stored_lead_has_the_fields_of_lead_in_order() -> None:
    """A PostgreSQL export encodes ``StoredLead``s: their JSON is the lead's only while the
    two structs name the same fields in the same order."""
    assert StoredLead.__struct_fields__ == Lead.__struct_fields__
    assert StoredLead.__struct_config__.omit_defaults == Lead.__struct_config__.omit_defaults
    assert StoredLead.__struct_encode_fields__ == Lead.__struct_encode_fields__


@pytest.mark.parametrize("microsecond", [0, 1, 10, 120000, 100000, 123450, 999999, 500])
def test_exported_time_completes_postgresql_text_as_msgspec_writes(microsecond: int) -> None:
    """PostgreSQL writes a time's fraction without its trailing zeros ("05.12"), and none
    when it is zero; the API writes six digits or none, and "Z"."""
    at = datetime(2026, 1, 2, 3, 4, 5, microsecond, tzinfo=UTC)
    postgres = at.replace(tzinfo=None).isoformat("T").rstrip("0").rstrip(".")
    assert f'"{exported_time(postgres)}"'.encode() == msgspec.json.encode(at)


async def streamed(
    client: InProcessClient, account: Account, on_body: Callable[[int], Awaitable[None]]
) -> list[bytes]:
    """The bodies of an ascending NDJSON export, sent straight through the ASGI app: before
    taking the n-th body (from 0), the client awaits ``on_body(n)``."""
    sent: list[bytes] = []
    finished = asyncio.Event()
    asked = False

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            assert message["status"] == 200
        elif message["type"] == "http.response.body":
            if message.get("body"):
                await on_body(len(sent))
                sent.append(message["body"])
            if not message.get("more_body"):
                finished.set()

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await finished.wait()  # the client stays until the answer is complete
        return {"type": "http.disconnect"}

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": EXPORT,
        "raw_path": EXPORT.encode(),
        "root_path": "",
        "query_string": b"order=asc",
        "headers": [(b"host", b"testserver.local"), (b"x-api-key", account.key.encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver.local", 80),
        "state": {},
    }
    await asyncio.wait_for(client.app(scope, receive, send), 10)  # type: ignore[arg-type]
    return sent


async def test_rows_are_streamed_chunk_by_chunk(
    client: InProcessClient, account: Account, people: list[dict[str, Any]]
) -> None:
    """The first chunk goes out before the last rows are read: a lead created once the
    first chunk is sent, sorting last, is in the export (CHUNK leads per query)."""
    late: dict[str, Any] = {}

    async def on_body(index: int) -> None:
        if index == 0:
            late.update(await account.create_lead(email="late@example.com"))

    sent = await streamed(client, account, on_body)
    lines = [json.loads(line) for line in b"".join(sent).splitlines()]
    assert [lead["id"] for lead in lines] == [p["id"] for p in people] + [late["id"]]
    # One body message per chunk read.
    assert len(sent) == -(-len(lines) // CHUNK)


async def test_reads_one_chunk_ahead_of_the_client_at_most(
    client: InProcessClient,
    account: Account,
    people: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Backpressure: while the client has not taken a chunk, the next one is read and no
    other, however long the client takes."""
    started: list[int] = []
    done: list[int] = []
    read_done = asyncio.Event()
    read = LeadRepository.exported_rows

    async def counted(self: LeadRepository, account_id: str, query: LeadQuery) -> ExportedRows:
        started.append(1)
        rows = await read(self, account_id, query)
        done.append(1)
        read_done.set()
        return rows

    monkeypatch.setattr(LeadRepository, "exported_rows", counted)
    seen: list[int] = []

    async def on_body(index: int) -> None:
        # Chunk n is out; wait for the read of chunk n + 1 (or of the empty end) to finish,
        # and give the loop turns enough to start any read beyond it.
        while len(done) < index + 2:
            read_done.clear()
            await read_done.wait()
        for _ in range(20):
            await asyncio.sleep(0)
        seen.append(len(started))

    sent = await streamed(client, account, on_body)
    assert b"".join(sent).count(b"\n") == len(people)
    assert seen == [index + 2 for index in range(len(sent))]


async def test_the_next_chunk_is_read_while_this_one_is_encoded(
    client: InProcessClient,
    account: Account,
    people: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each chunk's lines are made after the next chunk's read went out: the database
    reads while the server encodes."""
    started: list[int] = []
    read = LeadRepository.exported_rows

    async def counted(self: LeadRepository, account_id: str, query: LeadQuery) -> ExportedRows:
        started.append(1)
        return await read(self, account_id, query)

    reads_out_when_encoding: list[int] = []
    lines = ExportedRows.lines

    def encoded(self: ExportedRows) -> bytes:
        reads_out_when_encoding.append(len(started))
        return lines(self)

    monkeypatch.setattr(LeadRepository, "exported_rows", counted)
    monkeypatch.setattr(ExportedRows, "lines", encoded)

    async def on_body(index: int) -> None:
        return None

    sent = await streamed(client, account, on_body)
    assert b"".join(sent).count(b"\n") == len(people)
    # Chunk n (from 1) is encoded once read n + 1 has been asked for.
    assert reads_out_when_encoding == [n + 2 for n in range(len(sent))]
