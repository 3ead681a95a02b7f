"""batch_leads, export_leads, cursor paging and the new list filters, over the fake
transport (sync and async)."""

import io
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit

import pytest
from pydantic import ValidationError

import buena_sdk
from buena_sdk import BatchLeadsRequest, BatchLeadsResponse, CreateLeadRequest
from buena_sdk.pagination import (
    apaginate_api_keys,
    apaginate_leads,
    paginate_api_keys,
    paginate_leads,
)


def _query(url: str) -> "dict[str, str]":
    return dict(parse_qsl(urlsplit(url).query))


BATCH_ANSWER = {
    "results": [
        {"index": 0, "outcome": "created", "id": "lead_1", "error": None},
        {
            "index": 1,
            "outcome": "error",
            "id": None,
            "error": {
                "status": 409,
                "code": "LEAD_EMAIL_EXISTS",
                "message": "A lead with this email already exists",
                "field": "email",
            },
        },
    ],
    "created": 1,
    "updated": 0,
    "unchanged": 0,
    "errors": 1,
}


async def test_batch_leads_posts_the_batch_and_parses_a_207(fake_api: Any, invoke: Any) -> None:
    fake_api.transport.reply(207, BATCH_ANSWER)
    request = BatchLeadsRequest(
        mode="upsert",
        leads=[
            CreateLeadRequest(first_name="A", last_name="B", email="a@x.io"),
            CreateLeadRequest(first_name="C", last_name="D", email="a@x.io", tags=["t"]),
        ],
    )
    answer = await invoke(fake_api.api, "batch_leads", request)
    assert isinstance(answer, BatchLeadsResponse)
    assert [r.outcome for r in answer.results] == ["created", "error"]
    error = answer.results[1].error
    assert error is not None
    assert (error.status, error.code, error.field) == (409, "LEAD_EMAIL_EXISTS", "email")
    assert (answer.created, answer.errors) == (1, 1)
    sent = fake_api.last
    assert (sent.method, urlsplit(sent.url).path) == ("POST", "/api/v2/leads/batch")
    assert fake_api.last_json() == {
        "mode": "upsert",
        "leads": [
            {"first_name": "A", "last_name": "B", "email": "a@x.io"},
            {"first_name": "C", "last_name": "D", "email": "a@x.io", "tags": ["t"]},
        ],
    }
    assert sent.headers["Idempotency-Key"]


async def test_batch_leads_sends_the_given_idempotency_key_on_every_retry(
    fake_api: Any, invoke: Any
) -> None:
    fake_api.transport.reply(503, {"error": True}).reply(200, {**BATCH_ANSWER, "errors": 0})
    body = {"leads": [{"first_name": "A", "last_name": "B", "email": "a@x.io"}]}
    await invoke(fake_api.api, "batch_leads", body, idempotency_key="import-abc-0")
    keys = [r.headers["Idempotency-Key"] for r in fake_api.transport.requests]
    assert keys == ["import-abc-0", "import-abc-0"]
    assert fake_api.last_json() == body


def test_batch_leads_refuses_an_unknown_mode_locally(fake_api: Any) -> None:
    with pytest.raises(ValidationError):
        fake_api.api.batch_leads({"mode": "merge", "leads": []})
    assert fake_api.transport.requests == []


NDJSON = b'{"id":"lead_1"}\n{"id":"lead_2"}\r\n{"id":"lead_3"}'


@pytest.fixture
def export(mode: str) -> Callable[..., Any]:
    """Run export_leads (sync) or export_leads_async and collect what it yields."""

    async def run(api: Any, *args: Any, **kwargs: Any) -> "list[bytes]":
        if mode == "sync":
            return list(api.export_leads(*args, **kwargs))
        return [chunk async for chunk in api.export_leads_async(*args, **kwargs)]

    return run


async def test_export_leads_sends_format_and_filters(fake_api: Any, export: Any) -> None:
    fake_api.transport.reply(200, raw=b"id,first_name\r\n", headers={"Content-Type": "text/csv"})
    since = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    chunks = await export(
        fake_api.api, "csv", company="Ex", tags=["a", "b"], created_after=since, has_email=True
    )
    assert b"".join(chunks) == b"id,first_name\r\n"
    sent = fake_api.last
    assert urlsplit(sent.url).path == "/api/v2/leads/export"
    assert _query(sent.url) == {
        "format": "csv",
        "company": "Ex",
        "tags": "a,b",
        "created_after": "2026-01-02T03:04:05+00:00",
        "has_email": "true",
    }
    assert sent.headers["Accept"].startswith("text/csv")


async def test_export_leads_by_line(fake_api: Any, export: Any) -> None:
    fake_api.transport.reply(200, raw=NDJSON)
    lines = await export(fake_api.api, lines=True)
    assert [json.loads(line)["id"] for line in lines] == ["lead_1", "lead_2", "lead_3"]
    assert "format" not in _query(fake_api.last.url)


async def test_export_leads_raises_on_an_error_answer(
    fake_api: Any, export: Any, error_body: Callable[..., Any]
) -> None:
    fake_api.transport.reply(403, error_body(403, "INSUFFICIENT_PERMISSIONS", "no"))
    with pytest.raises(buena_sdk.ForbiddenException):
        await export(fake_api.api)


def test_export_leads_refuses_an_unknown_format(fake_api: Any) -> None:
    with pytest.raises(ValueError, match="ndjson"):
        fake_api.api.export_leads("xml")


def test_export_leads_to_a_path_and_a_file(fake_api: Any, tmp_path: Path) -> None:
    fake_api.transport.reply(200, raw=NDJSON).reply(200, raw=NDJSON)
    target = tmp_path / "leads.ndjson"
    assert fake_api.api.export_leads_to(target, status="active") == len(NDJSON)
    assert target.read_bytes() == NDJSON
    assert not (tmp_path / "leads.ndjson.part").exists()
    buffer = io.BytesIO()
    assert fake_api.api.export_leads_to(buffer) == len(NDJSON)
    assert buffer.getvalue() == NDJSON


def test_export_leads_to_a_path_leaves_nothing_when_it_fails(
    fake_api: Any, tmp_path: Path, error_body: Callable[..., Any]
) -> None:
    fake_api.transport.reply(401, error_body(401, "INVALID_API_KEY", "no"))
    target = tmp_path / "leads.csv"
    with pytest.raises(buena_sdk.UnauthorizedException):
        fake_api.api.export_leads_to(target, format="csv")
    assert list(tmp_path.iterdir()) == []


async def test_list_leads_sends_cursor_and_filters(fake_api: Any, invoke: Any) -> None:
    fake_api.transport.reply(
        200, {"data": [], "total": 0, "limit": 50, "offset": 0, "next_cursor": None}
    )
    until = datetime(2026, 2, 1, tzinfo=timezone.utc)
    page = await invoke(
        fake_api.api, "list_leads", cursor="abc", tags="x,y", updated_before=until, has_email=False
    )
    assert page.next_cursor is None
    assert _query(fake_api.last.url) == {
        "cursor": "abc",
        "tags": "x,y",
        "updated_before": "2026-02-01T00:00:00+00:00",
        "has_email": "false",
    }


async def test_list_api_keys_sends_a_cursor(
    fake_api: Any, invoke: Any, api_key_json: Callable[..., Any]
) -> None:
    answer = {"data": [api_key_json()], "total": 3, "limit": 1, "offset": 0, "next_cursor": "n"}
    fake_api.transport.reply(200, answer)
    page = await invoke(fake_api.api, "list_api_keys", 1, None, "c1")
    assert page.next_cursor == "n"
    assert _query(fake_api.last.url) == {"limit": "1", "cursor": "c1"}


@pytest.fixture
def walk(mode: str) -> Callable[..., Any]:
    async def run(sync: Any, asynchronous: Any, api: Any, **kwargs: Any) -> "list[str]":
        if mode == "sync":
            return [item.id for item in sync(api, **kwargs)]
        return [item.id async for item in asynchronous(api, **kwargs)]

    return run


def _leads_page(lead_json: Callable[..., Any], ids: "list[int]", **extra: Any) -> Any:
    data = [lead_json(id=f"lead_{i}", email=f"l{i}@x.io") for i in ids]
    return {"data": data, "total": 99, "limit": 2, "offset": 0, **extra}


async def test_paginate_leads_follows_next_cursor_to_the_null_one(
    fake_api: Any, walk: Any, lead_json: Callable[..., Any]
) -> None:
    fake_api.transport.reply(200, _leads_page(lead_json, [1, 2], next_cursor="c2"))
    fake_api.transport.reply(200, _leads_page(lead_json, [3, 4], next_cursor="c3"))
    # A full page, total says more: the null cursor still ends the walk.
    fake_api.transport.reply(200, _leads_page(lead_json, [5, 6], next_cursor=None))
    ids = await walk(paginate_leads, apaginate_leads, fake_api.api, page_size=2, tags="vip")
    assert ids == [f"lead_{i}" for i in range(1, 7)]
    queries = [_query(r.url) for r in fake_api.transport.requests]
    assert queries == [
        {"limit": "2", "offset": "0", "tags": "vip"},
        {"limit": "2", "cursor": "c2", "tags": "vip"},
        {"limit": "2", "cursor": "c3", "tags": "vip"},
    ]


async def test_paginate_leads_falls_back_to_offsets_without_next_cursor(
    fake_api: Any, walk: Any, lead_json: Callable[..., Any]
) -> None:
    fake_api.transport.reply(200, {**_leads_page(lead_json, [1, 2]), "total": 3})
    fake_api.transport.reply(200, {**_leads_page(lead_json, [3]), "total": 3, "offset": 2})
    ids = await walk(paginate_leads, apaginate_leads, fake_api.api, page_size=2)
    assert ids == ["lead_1", "lead_2", "lead_3"]
    assert [_query(r.url).get("offset") for r in fake_api.transport.requests] == ["0", "2"]


async def test_paginate_leads_stops_on_a_repeated_cursor(
    fake_api: Any, walk: Any, lead_json: Callable[..., Any]
) -> None:
    fake_api.transport.reply(200, _leads_page(lead_json, [1, 2], next_cursor="same"))
    fake_api.transport.reply(200, _leads_page(lead_json, [3, 4], next_cursor="same"))
    ids = await walk(paginate_leads, apaginate_leads, fake_api.api, page_size=2)
    assert ids == ["lead_1", "lead_2", "lead_3", "lead_4"]
    assert len(fake_api.transport.requests) == 2


async def test_paginate_api_keys_follows_next_cursor(
    fake_api: Any, walk: Any, api_key_json: Callable[..., Any]
) -> None:
    first = {"data": [api_key_json(id="key_1")], "total": 2, "limit": 1, "offset": 0}
    fake_api.transport.reply(200, {**first, "next_cursor": "k2"})
    fake_api.transport.reply(
        200, {**first, "data": [api_key_json(id="key_2")], "next_cursor": None}
    )
    ids = await walk(paginate_api_keys, apaginate_api_keys, fake_api.api, page_size=1)
    assert ids == ["key_1", "key_2"]
    assert _query(fake_api.last.url) == {"limit": "1", "cursor": "k2"}
