"""paginate_webhooks, paginate_webhook_deliveries, paginate_events (and their async twins)
walk every page with the list operation's filters."""

from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit

import pytest

from buena_sdk.pagination import (
    apaginate_events,
    apaginate_webhook_deliveries,
    apaginate_webhooks,
    paginate_events,
    paginate_webhook_deliveries,
    paginate_webhooks,
)

PAGINATORS = {
    "webhooks": (paginate_webhooks, apaginate_webhooks),
    "deliveries": (paginate_webhook_deliveries, apaginate_webhook_deliveries),
    "events": (paginate_events, apaginate_events),
}


def _requests(fake: Any) -> "list[tuple[str, dict[str, str]]]":
    return [
        (urlsplit(r.url).path.removeprefix("/api/v2"), dict(parse_qsl(urlsplit(r.url).query)))
        for r in fake.transport.requests
    ]


@pytest.fixture
def collect(mode: str) -> Callable[..., Any]:
    """``await collect("events", api, ...)``: the ids the sync or async paginator yields."""

    async def run(which: str, api: Any, *args: Any, **kwargs: Any) -> "list[str]":
        sync, asynchronous = PAGINATORS[which]
        if mode == "sync":
            return [item.id for item in sync(api, *args, **kwargs)]
        return [item.id async for item in asynchronous(api, *args, **kwargs)]

    return run


async def test_webhooks_walk_every_page(
    fake_api: Any, collect: Any, webhook_json: Callable[..., Any]
) -> None:
    first = [webhook_json(id="wh_1"), webhook_json(id="wh_2")]
    fake_api.transport.reply(200, {"data": first, "total": 3, "limit": 2, "offset": 0})
    last = [webhook_json(id="wh_3")]
    fake_api.transport.reply(200, {"data": last, "total": 3, "limit": 2, "offset": 2})
    assert await collect("webhooks", fake_api.api, page_size=2) == ["wh_1", "wh_2", "wh_3"]
    assert _requests(fake_api) == [
        ("/webhooks", {"limit": "2", "offset": "0"}),
        ("/webhooks", {"limit": "2", "offset": "2"}),
    ]


async def test_deliveries_of_one_webhook_with_a_status(
    fake_api: Any, collect: Any, delivery_json: Callable[..., Any]
) -> None:
    page = [delivery_json(id="whd_1", status="failed")]
    fake_api.transport.reply(200, {"data": page, "total": 1, "limit": 50, "offset": 0})
    ids = await collect("deliveries", fake_api.api, "wh_9", status="failed")
    assert ids == ["whd_1"]
    assert _requests(fake_api) == [
        ("/webhooks/wh_9/deliveries", {"limit": "50", "offset": "0", "status": "failed"})
    ]


async def test_events_with_every_filter_and_an_event_shifted_by_a_new_one(
    fake_api: Any, collect: Any, event_json: Callable[..., Any]
) -> None:
    # Newest first: an event recorded between the two requests pushes evt_2 onto page two.
    def page(ids: "list[int]", total: int, offset: int) -> "dict[str, Any]":
        data = [event_json(id=f"evt_{i}") for i in ids]
        return {"data": data, "total": total, "limit": 2, "offset": offset}

    fake_api.transport.reply(200, page([1, 2], total=3, offset=0))
    fake_api.transport.reply(200, page([2, 3], total=4, offset=2))
    fake_api.transport.reply(200, page([], total=4, offset=4))
    after = datetime(2026, 12, 4, tzinfo=timezone.utc)
    ids = await collect(
        "events", fake_api.api, page_size=2, type="lead.deleted", created_after=after
    )
    assert ids == ["evt_1", "evt_2", "evt_3"]
    assert _requests(fake_api)[0] == (
        "/events",
        {
            "limit": "2",
            "offset": "0",
            "type": "lead.deleted",
            "created_after": "2026-12-04T00:00:00+00:00",
        },
    )


@pytest.mark.parametrize("which", ["webhooks", "events"])
async def test_page_size_must_be_positive(fake_api: Any, collect: Any, which: str) -> None:
    with pytest.raises(ValueError, match="page_size"):
        await collect(which, fake_api.api, page_size=0)
    assert fake_api.transport.requests == []
