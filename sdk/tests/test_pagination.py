"""paginate_leads / apaginate_leads: every lead once, advancing by the applied limit."""

from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit

import pytest

from buena_sdk.pagination import (
    apaginate_api_keys,
    apaginate_leads,
    paginate_api_keys,
    paginate_leads,
)


def _page(
    lead_json: Callable[..., Any], ids: "list[int]", total: int, limit: int, offset: int
) -> "dict[str, Any]":
    data = [lead_json(id=f"lead_{i}", email=f"l{i}@x.io") for i in ids]
    return {"data": data, "total": total, "limit": limit, "offset": offset}


def _queries(fake: Any) -> "list[dict[str, str]]":
    return [dict(parse_qsl(urlsplit(r.url).query)) for r in fake.transport.requests]


@pytest.fixture
def collect(mode: str) -> Callable[..., Any]:
    """Run the sync or async paginator and return the ids it yielded."""

    async def run(api: Any, **kwargs: Any) -> "list[str]":
        if mode == "sync":
            return [lead.id for lead in paginate_leads(api, **kwargs)]
        return [lead.id async for lead in apaginate_leads(api, **kwargs)]

    return run


async def test_walks_every_page_and_stops_on_a_short_one(
    fake_api: Any, collect: Any, lead_json: Callable[..., Any]
) -> None:
    fake_api.transport.reply(200, _page(lead_json, [1, 2], total=5, limit=2, offset=0))
    fake_api.transport.reply(200, _page(lead_json, [3, 4], total=5, limit=2, offset=2))
    fake_api.transport.reply(200, _page(lead_json, [5], total=5, limit=2, offset=4))
    ids = await collect(fake_api.api, page_size=2, company="Example Corp")
    assert ids == ["lead_1", "lead_2", "lead_3", "lead_4", "lead_5"]
    assert _queries(fake_api) == [
        {"limit": "2", "offset": "0", "company": "Example Corp"},
        {"limit": "2", "offset": "2", "company": "Example Corp"},
        {"limit": "2", "offset": "4", "company": "Example Corp"},
    ]


async def test_stops_when_offset_reaches_total_without_an_extra_request(
    fake_api: Any, collect: Any, lead_json: Callable[..., Any]
) -> None:
    fake_api.transport.reply(200, _page(lead_json, [1, 2], total=4, limit=2, offset=0))
    fake_api.transport.reply(200, _page(lead_json, [3, 4], total=4, limit=2, offset=2))
    assert len(await collect(fake_api.api, page_size=2)) == 4
    assert len(fake_api.transport.requests) == 2


async def test_advances_by_the_limit_the_server_applied(
    fake_api: Any, collect: Any, lead_json: Callable[..., Any]
) -> None:
    # Asked for 500, the server capped pages at 100: a full page of 100 is not the end.
    fake_api.transport.reply(200, _page(lead_json, list(range(100)), 150, limit=100, offset=0))
    fake_api.transport.reply(200, _page(lead_json, list(range(100, 150)), 150, 100, offset=100))
    ids = await collect(fake_api.api, page_size=500)
    assert len(ids) == len(set(ids)) == 150
    assert [q["offset"] for q in _queries(fake_api)] == ["0", "100"]


async def test_an_empty_first_page_yields_nothing(fake_api: Any, collect: Any) -> None:
    fake_api.transport.reply(200, {"data": [], "total": 0, "limit": 50, "offset": 0})
    assert await collect(fake_api.api) == []
    assert len(fake_api.transport.requests) == 1


async def test_a_lead_shifted_onto_the_next_page_is_yielded_once(
    fake_api: Any, collect: Any, lead_json: Callable[..., Any]
) -> None:
    # A lead created between the two requests pushes lead_2 from page one onto page two.
    fake_api.transport.reply(200, _page(lead_json, [1, 2], total=3, limit=2, offset=0))
    fake_api.transport.reply(200, _page(lead_json, [2, 3], total=4, limit=2, offset=2))
    fake_api.transport.reply(200, _page(lead_json, [], total=4, limit=2, offset=4))
    assert await collect(fake_api.api, page_size=2) == ["lead_1", "lead_2", "lead_3"]


async def test_all_filters_are_passed(fake_api: Any, collect: Any) -> None:
    fake_api.transport.reply(200, {"data": [], "total": 0, "limit": 10, "offset": 0})
    await collect(
        fake_api.api,
        page_size=10,
        sort="first_name",
        order="asc",
        search="jo",
        company="Ex",
        status="contacted",
    )
    assert _queries(fake_api) == [
        {
            "limit": "10",
            "offset": "0",
            "sort": "first_name",
            "order": "asc",
            "search": "jo",
            "company": "Ex",
            "status": "contacted",
        }
    ]


async def test_page_size_must_be_positive(fake_api: Any, collect: Any) -> None:
    with pytest.raises(ValueError, match="page_size"):
        await collect(fake_api.api, page_size=0)
    assert fake_api.transport.requests == []


@pytest.fixture
def collect_keys(mode: str) -> Callable[..., Any]:
    async def run(api: Any, **kwargs: Any) -> "list[str]":
        if mode == "sync":
            return [key.id for key in paginate_api_keys(api, **kwargs)]
        return [key.id async for key in apaginate_api_keys(api, **kwargs)]

    return run


def _key_page(
    api_key_json: Callable[..., Any], ids: "list[int]", total: int, limit: int, offset: int
) -> "dict[str, Any]":
    data = [api_key_json(id=f"key_{i}") for i in ids]
    return {"data": data, "total": total, "limit": limit, "offset": offset}


async def test_api_keys_walk_every_page(
    fake_api: Any, collect_keys: Any, api_key_json: Callable[..., Any]
) -> None:
    fake_api.transport.reply(200, _key_page(api_key_json, [1, 2], total=3, limit=2, offset=0))
    fake_api.transport.reply(200, _key_page(api_key_json, [3], total=3, limit=2, offset=2))
    assert await collect_keys(fake_api.api, page_size=2) == ["key_1", "key_2", "key_3"]
    assert _queries(fake_api) == [{"limit": "2", "offset": "0"}, {"limit": "2", "offset": "2"}]


async def test_api_keys_from_a_server_that_does_not_page(
    fake_api: Any, collect_keys: Any, api_key_json: Callable[..., Any]
) -> None:
    # No limit/offset in the answer: everything came at once, so one request.
    data = [api_key_json(id=f"key_{i}") for i in range(3)]
    fake_api.transport.reply(200, {"data": data, "total": 3})
    assert await collect_keys(fake_api.api, page_size=2) == ["key_0", "key_1", "key_2"]
    assert len(fake_api.transport.requests) == 1
