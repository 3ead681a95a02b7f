"""The webhook and event operations send the contract's requests and return its models,
sync and async, over the scripted transport (no sockets)."""

from datetime import datetime, timedelta, timezone
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit

import pytest

import buena_sdk
from buena_sdk import ApiResponse
from buena_sdk.models import (
    CreatedWebhook,
    CreateWebhookRequest,
    Event,
    ListEventsResponse,
    ListWebhookDeliveriesResponse,
    ListWebhooksResponse,
    RotateWebhookSecretRequest,
    UpdateWebhookRequest,
    Webhook,
    WebhookDelivery,
    WebhookSecret,
)

HOST = "http://sdk.test/api/v2"
SECRET = "whsec_" + "s" * 43


def _target(fake: Any) -> "tuple[str, str, dict[str, str]]":
    request = fake.last
    parts = urlsplit(request.url)
    assert request.url.startswith(HOST)
    return request.method, parts.path.removeprefix("/api/v2"), dict(parse_qsl(parts.query))


def _page(items: "list[dict[str, Any]]", total: int = 1, limit: int = 50, offset: int = 0) -> Any:
    return {"data": items, "total": total, "limit": limit, "offset": offset}


async def test_list_webhooks(fake_api: Any, invoke: Any, webhook_json: Callable[..., Any]) -> None:
    fake_api.transport.reply(200, _page([webhook_json()], total=3, limit=1, offset=2))
    page = await invoke(fake_api.api, "list_webhooks", 1, offset=2)
    assert isinstance(page, ListWebhooksResponse)
    assert isinstance(page.data[0], Webhook)
    assert (page.total, page.limit, page.offset) == (3, 1, 2)
    assert _target(fake_api) == ("GET", "/webhooks", {"limit": "1", "offset": "2"})
    assert fake_api.last.body is None


async def test_list_webhooks_without_arguments_has_no_query(fake_api: Any, invoke: Any) -> None:
    fake_api.transport.reply(200, _page([], total=0))
    await invoke(fake_api.api, "list_webhooks")
    assert fake_api.last.url == f"{HOST}/webhooks"


async def test_create_webhook_returns_the_secret_and_sends_only_set_fields(
    fake_api: Any, invoke: Any, webhook_json: Callable[..., Any]
) -> None:
    fake_api.transport.reply(201, webhook_json(secret=SECRET, events=["*"]))
    request = CreateWebhookRequest(url="https://hooks.example.com/buena", events=["*"])
    created = await invoke(fake_api.api, "create_webhook", request)
    assert isinstance(created, CreatedWebhook)
    assert isinstance(created, Webhook)
    assert created.secret == SECRET
    assert created.events == ["*"]
    assert _target(fake_api) == ("POST", "/webhooks", {})
    assert fake_api.last.headers["Content-Type"] == "application/json"
    assert fake_api.last_json() == {"url": "https://hooks.example.com/buena", "events": ["*"]}


async def test_create_webhook_accepts_a_dict_and_refuses_unknown_fields_locally(
    fake_api: Any, invoke: Any, webhook_json: Callable[..., Any]
) -> None:
    fake_api.transport.reply(201, webhook_json(secret=SECRET))
    body = {"url": "https://h.example", "events": ["lead.created"], "is_active": False}
    await invoke(fake_api.api, "create_webhook", body)
    assert fake_api.last_json() == body
    with pytest.raises(ValueError, match="secret"):
        await invoke(fake_api.api, "create_webhook", {"url": "u", "events": [], "secret": "x"})
    assert len(fake_api.transport.requests) == 1


async def test_a_webhook_without_its_secret_in_the_answer_is_a_validation_error(
    fake_api: Any, invoke: Any, webhook_json: Callable[..., Any]
) -> None:
    fake_api.transport.reply(201, webhook_json())
    with pytest.raises(buena_sdk.ApiResponseValidationError, match="CreatedWebhook"):
        await invoke(fake_api.api, "create_webhook", {"url": "u", "events": ["*"]})


async def test_get_webhook_parses_every_field(
    fake_api: Any, invoke: Any, webhook_json: Callable[..., Any]
) -> None:
    disabled = webhook_json(
        is_active=False,
        disabled_reason="every delivery failed for 3 days",
        disabled_at="2026-12-08T03:00:00Z",
        description="CRM sync",
    )
    fake_api.transport.reply(200, disabled)
    webhook = await invoke(fake_api.api, "get_webhook", "wh_1")
    assert _target(fake_api) == ("GET", "/webhooks/wh_1", {})
    assert webhook.is_active is False
    assert webhook.disabled_reason == "every delivery failed for 3 days"
    assert webhook.disabled_at == datetime(2026, 12, 8, 3, tzinfo=timezone.utc)
    assert webhook.description == "CRM sync"
    assert webhook.secret_preview == "whsec_AbCd..."
    assert not hasattr(webhook, "secret")


async def test_update_webhook_sends_only_the_set_fields_and_null_clears(
    fake_api: Any, invoke: Any, webhook_json: Callable[..., Any]
) -> None:
    fake_api.transport.reply(200, webhook_json(description=None, is_active=True))
    update = UpdateWebhookRequest(description=None, is_active=True)
    webhook = await invoke(fake_api.api, "update_webhook", "wh_1", update)
    assert isinstance(webhook, Webhook)
    assert _target(fake_api) == ("PATCH", "/webhooks/wh_1", {})
    assert fake_api.last_json() == {"description": None, "is_active": True}
    assert fake_api.last.headers["Idempotency-Key"]


async def test_update_webhook_with_nothing_set_sends_an_empty_object(
    fake_api: Any, invoke: Any, webhook_json: Callable[..., Any]
) -> None:
    fake_api.transport.reply(200, webhook_json())
    await invoke(fake_api.api, "update_webhook", "wh_1", UpdateWebhookRequest())
    assert fake_api.last_json() == {}


async def test_delete_webhook_returns_a_plain_dict(fake_api: Any, invoke: Any) -> None:
    answer = {"success": True, "message": "Webhook deleted", "deleted_id": "wh_1"}
    fake_api.transport.reply(200, answer)
    assert await invoke(fake_api.api, "delete_webhook", "wh_1") == answer
    assert _target(fake_api) == ("DELETE", "/webhooks/wh_1", {})


async def test_rotate_webhook_secret(
    fake_api: Any, invoke: Any, webhook_json: Callable[..., Any]
) -> None:
    answer = webhook_json(secret=SECRET, previous_secret_expires_at="2026-12-05T04:00:00+00:00")
    fake_api.transport.reply(200, answer)
    request = RotateWebhookSecretRequest(overlap_seconds=3600)
    rotated = await invoke(fake_api.api, "rotate_webhook_secret", "wh_1", request)
    assert isinstance(rotated, WebhookSecret)
    assert rotated.secret == SECRET
    assert rotated.previous_secret_expires_at == datetime(2026, 12, 5, 4, tzinfo=timezone.utc)
    assert _target(fake_api) == ("POST", "/webhooks/wh_1/rotate-secret", {})
    assert fake_api.last_json() == {"overlap_seconds": 3600}


async def test_rotate_webhook_secret_without_a_request_sends_an_empty_object(
    fake_api: Any, invoke: Any, webhook_json: Callable[..., Any]
) -> None:
    # The server's default overlap applies; a JSON body is still sent (every POST has one).
    answer = webhook_json(secret=SECRET, previous_secret_expires_at="2026-12-06T03:00:00Z")
    fake_api.transport.reply(200, answer)
    await invoke(fake_api.api, "rotate_webhook_secret", "wh_1")
    assert fake_api.last.headers["Content-Type"] == "application/json"
    assert fake_api.last_json() == {}


async def test_a_rotation_without_overlap_has_no_previous_expiry(
    fake_api: Any, invoke: Any, webhook_json: Callable[..., Any]
) -> None:
    fake_api.transport.reply(200, webhook_json(secret=SECRET, previous_secret_expires_at=None))
    request = RotateWebhookSecretRequest(overlap_seconds=0)
    rotated = await invoke(fake_api.api, "rotate_webhook_secret", "wh_1", request)
    assert rotated.previous_secret_expires_at is None
    assert fake_api.last_json() == {"overlap_seconds": 0}


async def test_list_webhook_deliveries(
    fake_api: Any, invoke: Any, delivery_json: Callable[..., Any]
) -> None:
    fake_api.transport.reply(200, _page([delivery_json()], limit=10))
    page = await invoke(fake_api.api, "list_webhook_deliveries", "wh_1", 10, status="pending")
    assert isinstance(page, ListWebhookDeliveriesResponse)
    delivery = page.data[0]
    assert isinstance(delivery, WebhookDelivery)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.next_attempt_at == datetime(2026, 12, 5, 3, 0, 20, tzinfo=timezone.utc)
    assert delivery.delivered_at is None
    assert _target(fake_api) == (
        "GET",
        "/webhooks/wh_1/deliveries",
        {"limit": "10", "status": "pending"},
    )


async def test_redeliver_posts_an_empty_object(
    fake_api: Any, invoke: Any, delivery_json: Callable[..., Any]
) -> None:
    fake_api.transport.reply(202, delivery_json(status="pending", attempts=4))
    delivery = await invoke(fake_api.api, "redeliver_webhook_delivery", "wh_1", "whd_1")
    assert isinstance(delivery, WebhookDelivery)
    assert delivery.attempts == 4
    assert _target(fake_api) == ("POST", "/webhooks/wh_1/deliveries/whd_1/redeliver", {})
    assert fake_api.last_json() == {}
    assert fake_api.last.headers["Content-Type"] == "application/json"
    assert fake_api.last.headers["Idempotency-Key"]


async def test_list_events_sends_the_filters_as_rfc3339(
    fake_api: Any, invoke: Any, event_json: Callable[..., Any]
) -> None:
    fake_api.transport.reply(200, _page([event_json()]))
    after = datetime(2026, 12, 4, 3, 0, tzinfo=timezone.utc)
    before = datetime(2026, 12, 5, 5, 30, 15, 250000, tzinfo=timezone(timedelta(hours=2)))
    page = await invoke(
        fake_api.api,
        "list_events",
        type="lead.updated",
        created_after=after,
        created_before=before,
    )
    assert isinstance(page, ListEventsResponse)
    assert isinstance(page.data[0], Event)
    assert _target(fake_api) == (
        "GET",
        "/events",
        {
            "type": "lead.updated",
            "created_after": "2026-12-04T03:00:00+00:00",
            "created_before": "2026-12-05T05:30:15.250000+02:00",
        },
    )


async def test_list_events_takes_a_naive_datetime_as_local_time(fake_api: Any, invoke: Any) -> None:
    fake_api.transport.reply(200, _page([], total=0))
    naive = datetime(2026, 12, 4, 3, 0)
    await invoke(fake_api.api, "list_events", created_after=naive)
    sent = _target(fake_api)[2]["created_after"]
    assert datetime.fromisoformat(sent) == naive.astimezone()
    assert datetime.fromisoformat(sent).tzinfo is not None


async def test_get_event(fake_api: Any, invoke: Any, event_json: Callable[..., Any]) -> None:
    previous = {"company": "Old Corp"}
    data = {"object": {"id": "lead_1"}, "previous_attributes": previous}
    fake_api.transport.reply(200, event_json(type="lead.updated", data=data))
    event = await invoke(fake_api.api, "get_event", "evt_1")
    assert (event.id, event.type) == ("evt_1", "lead.updated")
    assert event.data["previous_attributes"] == previous
    assert event.created_at == datetime(2026, 12, 5, 3, 0, 0, 123456, tzinfo=timezone.utc)
    assert _target(fake_api) == ("GET", "/events/evt_1", {})


@pytest.mark.parametrize(
    ("operation", "args"),
    [
        ("get_webhook", ("",)),
        ("delete_webhook", ("",)),
        ("update_webhook", ("", {})),
        ("rotate_webhook_secret", ("",)),
        ("list_webhook_deliveries", ("",)),
        ("redeliver_webhook_delivery", ("", "whd_1")),
        ("redeliver_webhook_delivery", ("wh_1", "")),
        ("get_event", ("",)),
    ],
)
async def test_an_empty_id_is_refused_before_sending(
    fake_api: Any, invoke: Any, operation: str, args: "tuple[Any, ...]"
) -> None:
    with pytest.raises(ValueError, match="non-empty"):
        await invoke(fake_api.api, operation, *args)
    assert fake_api.transport.requests == []


async def test_ids_are_quoted(
    fake_api: Any, invoke: Any, delivery_json: Callable[..., Any]
) -> None:
    fake_api.transport.reply(202, delivery_json())
    await invoke(fake_api.api, "redeliver_webhook_delivery", "wh/1", "whd?1")
    assert fake_api.last.url == f"{HOST}/webhooks/wh%2F1/deliveries/whd%3F1/redeliver"


async def test_not_found_carries_the_servers_code(
    make_fake_api: Callable[..., Any], invoke: Any, error_body: Callable[..., Any]
) -> None:
    fake = make_fake_api()
    fake.transport.reply(404, error_body(404, "WEBHOOK_NOT_FOUND", "Webhook wh_x not found"))
    with pytest.raises(buena_sdk.NotFoundException) as caught:
        await invoke(fake.api, "get_webhook", "wh_x")
    assert caught.value.code == "WEBHOOK_NOT_FOUND"
    assert len(fake.transport.requests) == 1


async def test_a_refused_url_is_a_422_with_its_code(
    fake_api: Any, invoke: Any, error_body: Callable[..., Any]
) -> None:
    body = error_body(422, "WEBHOOK_URL_REFUSED", "loopback addresses are refused")
    fake_api.transport.reply(422, body)
    with pytest.raises(buena_sdk.UnprocessableEntityException) as caught:
        await invoke(fake_api.api, "create_webhook", {"url": "https://127.0.0.1", "events": ["*"]})
    assert caught.value.code == "WEBHOOK_URL_REFUSED"


@pytest.mark.parametrize("operation", ["create_webhook", "rotate_webhook_secret"])
async def test_secret_bearing_posts_carry_no_key_and_are_not_retried_after_a_5xx(
    fake_api: Any, invoke: Any, error_body: Callable[..., Any], operation: str
) -> None:
    # Their answer holds a secret a server need not keep for a replay: a blind retry could
    # create a second webhook, or rotate twice and end the secret receivers still use.
    fake_api.transport.reply(503, error_body(503, "SERVICE_UNAVAILABLE", "down"))
    args = ({"url": "https://h.example", "events": ["*"]},)
    with pytest.raises(buena_sdk.ServiceException):
        await invoke(
            fake_api.api, operation, *(args if operation == "create_webhook" else ("wh_1",))
        )
    assert len(fake_api.transport.requests) == 1
    assert "Idempotency-Key" not in fake_api.last.headers


async def test_create_webhook_is_retried_after_a_429(
    fake_api: Any, invoke: Any, error_body: Callable[..., Any], webhook_json: Callable[..., Any]
) -> None:
    fake_api.transport.reply(429, error_body(429, "RATE_LIMITED", "slow down"))
    fake_api.transport.reply(201, webhook_json(secret=SECRET))
    created = await invoke(fake_api.api, "create_webhook", {"url": "u", "events": ["*"]})
    assert created.secret == SECRET
    assert len(fake_api.transport.requests) == 2


async def test_redeliver_is_retried_with_the_same_key(
    fake_api: Any, invoke: Any, error_body: Callable[..., Any], delivery_json: Callable[..., Any]
) -> None:
    fake_api.transport.reply(502, error_body(502, "BAD_GATEWAY", "proxy"))
    fake_api.transport.reply(202, delivery_json())
    await invoke(fake_api.api, "redeliver_webhook_delivery", "wh_1", "whd_1")
    first, second = fake_api.transport.requests
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]


async def test_with_http_info_gives_the_status(
    fake_api: Any, invoke: Any, delivery_json: Callable[..., Any]
) -> None:
    fake_api.transport.reply(202, delivery_json())
    response = await invoke(fake_api.api, "redeliver_webhook_delivery_with_http_info", "w", "d")
    assert isinstance(response, ApiResponse)
    assert response.status_code == 202
    assert isinstance(response.data, WebhookDelivery)


def test_the_operation_classes_work_on_their_own(
    make_fake_api: Callable[..., Any], webhook_json: Callable[..., Any]
) -> None:
    fake = make_fake_api()
    fake.transport.reply(200, webhook_json())
    assert buena_sdk.WebhooksApi(fake.client).get_webhook("wh_1").id == "wh_1"
    fake.transport.reply(200, _page([], total=0))
    assert buena_sdk.EventsApi(fake.client).list_events().total == 0
    assert issubclass(buena_sdk.DefaultApi, buena_sdk.WebhooksApi)
    assert issubclass(buena_sdk.DefaultApi, buena_sdk.EventsApi)


@pytest.mark.parametrize("owner", [buena_sdk.WebhooksApi, buena_sdk.EventsApi])
def test_default_api_has_every_operation_of(owner: type) -> None:
    # The six forms and their signatures are checked on DefaultApi in test_operations.
    names = [name for name in vars(owner) if not name.startswith("_")]
    assert len(names) == 6 * (8 if owner is buena_sdk.WebhooksApi else 2)
    for name in names:
        assert getattr(buena_sdk.DefaultApi, name) is getattr(owner, name), name
