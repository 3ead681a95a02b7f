"""Each operation sends the right request and returns the right type, sync and async."""

import dataclasses
import inspect
from typing import Any, Callable
from urllib.parse import parse_qsl, quote, urlsplit

import pytest

import buena_sdk
from buena_sdk import ApiResponse
from buena_sdk.models import (
    ApiKey,
    CreateApiKeyRequest,
    CreateLeadRequest,
    HealthCheck200Response,
    Lead,
    ListApiKeysResponse,
    ListLeads200Response,
    UpdateLeadRequest,
)

HOST = "http://sdk.test/api/v2"
KEY = "bna_" + "ab" * 32
HEALTH = {
    "status": "healthy",
    "timestamp": "2026-11-28T20:40:01Z",
    "version": "2.0.0",
    "services": {"database": "healthy", "redis": "disabled", "api": "healthy"},
    "response_time": 3,
}


def _path_and_query(url: str) -> "tuple[str, dict[str, str]]":
    parts = urlsplit(url)
    assert url.startswith(HOST)
    return parts.path.removeprefix("/api/v2"), dict(parse_qsl(parts.query))


async def test_list_leads_sends_only_given_filters(
    fake_api: Any, invoke: Any, lead_json: Callable[..., Any]
) -> None:
    fake_api.transport.reply(200, {"data": [lead_json()], "total": 1, "limit": 25, "offset": 0})
    page = await invoke(fake_api.api, "list_leads", limit=25, sort="created_at", order="desc")
    assert isinstance(page, ListLeads200Response)
    assert isinstance(page.data[0], Lead)
    assert (page.total, page.limit, page.offset) == (1, 25, 0)
    request = fake_api.last
    assert request.method == "GET"
    assert request.body is None
    assert _path_and_query(request.url) == (
        "/leads",
        {"limit": "25", "sort": "created_at", "order": "desc"},
    )


async def test_list_leads_passes_every_filter(fake_api: Any, invoke: Any) -> None:
    fake_api.transport.reply(200, {"data": [], "total": 0, "limit": 5, "offset": 10})
    await invoke(fake_api.api, "list_leads", 5, 10, "last_name", "asc", "jo hn", "Ex&Co", "active")
    assert _path_and_query(fake_api.last.url) == (
        "/leads",
        {
            "limit": "5",
            "offset": "10",
            "sort": "last_name",
            "order": "asc",
            "search": "jo hn",
            "company": "Ex&Co",
            "status": "active",
        },
    )


async def test_list_leads_without_arguments_has_no_query(fake_api: Any, invoke: Any) -> None:
    fake_api.transport.reply(200, {"data": [], "total": 0, "limit": 50, "offset": 0})
    await invoke(fake_api.api, "list_leads")
    assert fake_api.last.url == f"{HOST}/leads"


async def test_create_lead_posts_the_set_fields(
    fake_api: Any, invoke: Any, lead_json: Callable[..., Any]
) -> None:
    fake_api.transport.reply(201, lead_json(id="lead_new"))
    request = CreateLeadRequest(
        first_name="John",
        last_name="Doe",
        email="j@example.com",
        tags=["x"],
        custom_fields={"budget": 1},
    )
    lead = await invoke(fake_api.api, "create_lead", request)
    assert isinstance(lead, Lead)
    assert lead.id == "lead_new"
    sent = fake_api.last
    assert (sent.method, sent.url) == ("POST", f"{HOST}/leads")
    assert sent.headers["Content-Type"] == "application/json"
    assert fake_api.last_json() == {
        "first_name": "John",
        "last_name": "Doe",
        "email": "j@example.com",
        "tags": ["x"],
        "custom_fields": {"budget": 1},
    }


async def test_create_lead_accepts_a_dict_validated_locally(
    fake_api: Any, invoke: Any, lead_json: Callable[..., Any]
) -> None:
    fake_api.transport.reply(201, lead_json())
    await invoke(fake_api.api, "create_lead", {"first_name": "A", "last_name": "B", "email": "e"})
    assert fake_api.last_json() == {"first_name": "A", "last_name": "B", "email": "e"}
    with pytest.raises(ValueError, match="nickname"):
        await invoke(fake_api.api, "create_lead", {"first_name": "A", "nickname": "x"})
    with pytest.raises(TypeError, match="CreateLeadRequest"):
        await invoke(fake_api.api, "create_lead", ["not", "a", "request"])
    assert len(fake_api.transport.requests) == 1


async def test_get_lead_quotes_the_id(
    fake_api: Any, invoke: Any, lead_json: Callable[..., Any]
) -> None:
    fake_api.transport.reply(200, lead_json())
    lead = await invoke(fake_api.api, "get_lead", "lead_1/../keys?x=1")
    assert isinstance(lead, Lead)
    assert fake_api.last.method == "GET"
    assert fake_api.last.url == f"{HOST}/leads/lead_1%2F..%2Fkeys%3Fx%3D1"


@pytest.mark.parametrize("lead_id", ["lead_1", "a~b-c.d_E9", "lead_\u00e4", "1 2", "lead_1\n"])
async def test_an_id_is_sent_as_quote_would_send_it(
    fake_api: Any, invoke: Any, lead_json: Callable[..., Any], lead_id: str
) -> None:
    fake_api.transport.reply(200, lead_json())
    await invoke(fake_api.api, "get_lead", lead_id)
    assert fake_api.last.url == f"{HOST}/leads/{quote(lead_id, safe='')}"


async def test_an_empty_id_is_refused_before_sending(fake_api: Any, invoke: Any) -> None:
    for operation in ("get_lead", "delete_lead", "revoke_api_key"):
        with pytest.raises(ValueError, match="non-empty"):
            await invoke(fake_api.api, operation, "")
    assert fake_api.transport.requests == []


async def test_update_lead_patches_only_the_set_fields(
    fake_api: Any, invoke: Any, lead_json: Callable[..., Any]
) -> None:
    fake_api.transport.reply(200, lead_json(company=None, status="contacted"))
    update = UpdateLeadRequest(company=None, status="contacted")
    lead = await invoke(fake_api.api, "update_lead", "lead_1", update)
    assert lead.company is None
    assert (fake_api.last.method, fake_api.last.url) == ("PATCH", f"{HOST}/leads/lead_1")
    assert fake_api.last_json() == {"company": None, "status": "contacted"}
    assert fake_api.last.headers["Idempotency-Key"]  # a PATCH carries a key too


async def test_delete_lead_returns_a_plain_dict(fake_api: Any, invoke: Any) -> None:
    answer = {"success": True, "message": "Lead deleted", "deleted_id": "lead_1"}
    fake_api.transport.reply(200, answer)
    result = await invoke(fake_api.api, "delete_lead", "lead_1")
    assert type(result) is dict
    assert result == answer
    assert (fake_api.last.method, fake_api.last.url) == ("DELETE", f"{HOST}/leads/lead_1")


async def test_list_api_keys(fake_api: Any, invoke: Any, api_key_json: Callable[..., Any]) -> None:
    fake_api.transport.reply(200, {"data": [api_key_json()], "total": 1})
    keys = await invoke(fake_api.api, "list_api_keys")
    assert isinstance(keys, ListApiKeysResponse)
    assert isinstance(keys.data[0], ApiKey)
    assert (fake_api.last.method, fake_api.last.url) == ("GET", f"{HOST}/keys")


async def test_list_api_keys_pages(
    fake_api: Any, invoke: Any, api_key_json: Callable[..., Any]
) -> None:
    page = {"data": [api_key_json()], "total": 7, "limit": 5, "offset": 5}
    fake_api.transport.reply(200, page)
    keys = await invoke(fake_api.api, "list_api_keys", 5, offset=5)
    assert (keys.total, keys.limit, keys.offset) == (7, 5, 5)
    assert fake_api.last.url == f"{HOST}/keys?limit=5&offset=5"


async def test_list_api_keys_without_paging_fields(
    fake_api: Any, invoke: Any, api_key_json: Callable[..., Any]
) -> None:
    # The reference's answer (data and total only) still parses.
    fake_api.transport.reply(200, {"data": [api_key_json()], "total": 1})
    keys = await invoke(fake_api.api, "list_api_keys")
    assert (keys.total, keys.limit, keys.offset) == (1, None, None)


async def test_create_api_key(fake_api: Any, invoke: Any, api_key_json: Callable[..., Any]) -> None:
    fake_api.transport.reply(201, api_key_json(key="bna_" + "f" * 64))
    request = CreateApiKeyRequest(name="CRM", permissions=["leads:read"], description="d")
    key = await invoke(fake_api.api, "create_api_key", request)
    assert key.key == "bna_" + "f" * 64
    assert (fake_api.last.method, fake_api.last.url) == ("POST", f"{HOST}/keys")
    assert fake_api.last_json() == {
        "name": "CRM",
        "permissions": ["leads:read"],
        "description": "d",
    }


async def test_revoke_api_key(fake_api: Any, invoke: Any) -> None:
    answer = {"success": True, "message": "API key revoked", "revoked_id": "key_1"}
    fake_api.transport.reply(200, answer)
    assert await invoke(fake_api.api, "revoke_api_key", "key_1") == answer
    assert (fake_api.last.method, fake_api.last.url) == ("DELETE", f"{HOST}/keys/key_1")


async def test_health_check_sends_no_key(fake_api: Any, invoke: Any) -> None:
    fake_api.transport.reply(200, HEALTH)
    health = await invoke(fake_api.api, "health_check")
    assert isinstance(health, HealthCheck200Response)
    assert health.services["redis"] == "disabled"
    assert (fake_api.last.method, fake_api.last.url) == ("GET", f"{HOST}/health")
    assert "x-api-key" not in fake_api.last.headers


async def test_health_check_503_raises_with_the_status(
    make_fake_api: Callable[..., Any], invoke: Any
) -> None:
    fake = make_fake_api(retries=0)
    fake.transport.reply(503, {**HEALTH, "status": "down", "services": {"database": "down"}})
    with pytest.raises(buena_sdk.ApiException) as caught:
        await invoke(fake.api, "health_check")
    assert caught.value.status == 503
    assert isinstance(caught.value, buena_sdk.ServiceException)


async def test_common_headers(fake_api: Any, invoke: Any, lead_json: Callable[..., Any]) -> None:
    fake_api.client.set_default_header("X-Trace", "t1")
    fake_api.transport.reply(200, lead_json())
    await invoke(fake_api.api, "get_lead", "lead_1")
    headers = fake_api.last.headers
    assert headers["x-api-key"] == KEY
    assert headers["Accept"] == "application/json"
    assert headers["User-Agent"] == "BuenaSDK-Python/1.0.0"
    assert headers["X-Trace"] == "t1"
    assert "Content-Type" not in headers
    assert fake_api.last.timeout == 30.0


async def test_key_set_after_construction_is_used(
    fake_api: Any, invoke: Any, lead_json: Callable[..., Any]
) -> None:
    fake_api.client.configuration.api_key["ApiKeyAuth"] = "bna_rotated"
    fake_api.transport.reply(200, lead_json())
    await invoke(fake_api.api, "get_lead", "lead_1")
    assert fake_api.last.headers["x-api-key"] == "bna_rotated"


async def test_no_key_configured_sends_no_header(
    fake_api: Any, invoke: Any, lead_json: Callable[..., Any]
) -> None:
    fake_api.client.configuration.api_key.clear()
    fake_api.transport.reply(200, lead_json())
    await invoke(fake_api.api, "get_lead", "lead_1")
    assert "x-api-key" not in fake_api.last.headers


async def test_with_http_info_exposes_status_headers_and_raw_data(
    fake_api: Any, invoke: Any, lead_json: Callable[..., Any]
) -> None:
    fake_api.transport.reply(201, lead_json(), headers={"X-RateLimit-Remaining": "59"})
    request = CreateLeadRequest(first_name="A", last_name="B", email="a@b.io")
    response = await invoke(fake_api.api, "create_lead_with_http_info", request)
    assert isinstance(response, ApiResponse)
    assert response.status_code == 201
    assert response.headers["x-ratelimit-remaining"] == "59"
    assert isinstance(response.data, Lead)
    assert Lead.model_validate_json(response.raw_data) == response.data
    with pytest.raises(dataclasses.FrozenInstanceError):
        response.data = None  # type: ignore[misc]


OPERATIONS = [
    "list_leads",
    "create_lead",
    "get_lead",
    "update_lead",
    "delete_lead",
    "list_api_keys",
    "create_api_key",
    "revoke_api_key",
    "health_check",
    # BulkLeadsApi's, WebhooksApi's, EventsApi's, EnrichmentApi's and JobsApi's, which
    # DefaultApi inherits
    "batch_leads",
    "list_webhooks",
    "create_webhook",
    "get_webhook",
    "update_webhook",
    "delete_webhook",
    "rotate_webhook_secret",
    "list_webhook_deliveries",
    "redeliver_webhook_delivery",
    "list_events",
    "get_event",
    "get_credits",
    "enrich",
    "submit_enrichment_job",
    "get_lead_enrichment",
    "list_jobs",
    "get_job",
    "cancel_job",
    "get_linkedin_integration",
    "update_linkedin_integration",
    "delete_linkedin_integration",
    "schedule_linkedin_action",
    "list_linkedin_actions",
    "get_linkedin_action",
    "cancel_linkedin_action",
    "schedule_linkedin_action_hosted",
]


@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_operation_has_six_forms_with_one_signature(operation: str) -> None:
    api = buena_sdk.DefaultApi
    forms = [
        operation,
        f"{operation}_with_http_info",
        f"{operation}_without_preload_content",
        f"{operation}_async",
        f"{operation}_with_http_info_async",
        f"{operation}_without_preload_content_async",
    ]
    signatures = {str(inspect.signature(getattr(api, form)).parameters) for form in forms}
    assert len(signatures) == 1
    # Every form takes the per-call options as **call.
    parameter = inspect.signature(getattr(api, operation)).parameters["call"]
    assert parameter.kind is inspect.Parameter.VAR_KEYWORD
    for form in forms[:3]:
        assert not inspect.iscoroutinefunction(getattr(api, form))
    for form in forms[3:]:
        assert inspect.iscoroutinefunction(getattr(api, form))


def test_list_leads_signature_is_the_references() -> None:
    parameters = inspect.signature(buena_sdk.DefaultApi.list_leads).parameters
    names = ["self", "limit", "offset", "sort", "order", "search", "company", "status"]
    # The reference's parameters keep their places; the later ones (cursor, filters) follow.
    assert list(parameters)[: len(names)] == names
    assert list(parameters)[len(names) :] == [
        "cursor",
        "tags",
        "created_after",
        "created_before",
        "updated_after",
        "updated_before",
        "has_email",
        "call",  # **call: the per-call options (_request_timeout, _headers, ...)
    ]
    assert all(
        parameter.default is None
        for name, parameter in parameters.items()
        if name not in ("self", "call")
    )
