"""The request loop: retries, waits, idempotency keys, raising and parsing (sync and async)."""

from typing import Any, Callable

import pytest

import buena_sdk
from buena_sdk import ApiConnectionError, ApiTimeoutError
from buena_sdk.models import CreateApiKeyRequest, CreateLeadRequest, UpdateLeadRequest

NEW_LEAD = CreateLeadRequest(first_name="Jane", last_name="Smith", email="jane@example.com")


async def test_get_is_retried_on_503_then_succeeds(
    fake_api: Any, invoke: Any, lead_json: Callable[..., Any], error_body: Callable[..., Any]
) -> None:
    fake_api.transport.reply(503, error_body(503, "SERVICE_UNAVAILABLE", "db down"))
    fake_api.transport.reply(502, {"oops": 1})
    fake_api.transport.reply(200, lead_json())
    lead = await invoke(fake_api.api, "get_lead", "lead_abc")
    assert lead.id == "lead_abc"
    assert len(fake_api.transport.requests) == 3
    assert fake_api.sleeps == [0.5, 1.0]  # exponential backoff, jitter pinned to 0


async def test_gives_up_after_the_configured_retries(
    fake_api: Any, invoke: Any, error_body: Callable[..., Any]
) -> None:
    for _ in range(3):
        fake_api.transport.reply(500, error_body(500, "INTERNAL_ERROR", "boom"))
    with pytest.raises(buena_sdk.ServiceException) as caught:
        await invoke(fake_api.api, "list_leads")
    assert caught.value.code == "INTERNAL_ERROR"
    assert len(fake_api.transport.requests) == 3
    assert len(fake_api.sleeps) == 2


async def test_retries_zero_makes_one_attempt(
    make_fake_api: Callable[..., Any], invoke: Any, error_body: Callable[..., Any]
) -> None:
    fake = make_fake_api(retries=0)
    fake.transport.reply(503, error_body(503, "SERVICE_UNAVAILABLE", "db down"))
    with pytest.raises(buena_sdk.ServiceException):
        await invoke(fake.api, "list_leads")
    assert len(fake.transport.requests) == 1
    assert fake.sleeps == []


async def test_retry_after_is_honoured(
    fake_api: Any, invoke: Any, lead_json: Callable[..., Any], error_body: Callable[..., Any]
) -> None:
    limited = error_body(429, "RATE_LIMIT_EXCEEDED", "Too many requests")
    fake_api.transport.reply(429, limited, headers={"Retry-After": "3"})
    fake_api.transport.reply(200, lead_json())
    await invoke(fake_api.api, "get_lead", "lead_abc")
    assert fake_api.sleeps == [3.0]


async def test_a_long_retry_after_is_raised_at_once(
    fake_api: Any, invoke: Any, error_body: Callable[..., Any]
) -> None:
    limited = error_body(429, "RATE_LIMIT_EXCEEDED", "Too many requests")
    fake_api.transport.reply(429, limited, headers={"Retry-After": "3600"})
    with pytest.raises(buena_sdk.RateLimitException) as caught:
        await invoke(fake_api.api, "list_leads")
    assert caught.value.retry_after == 3600.0
    assert fake_api.sleeps == []


async def test_post_reuses_one_idempotency_key_across_retries(
    fake_api: Any, invoke: Any, lead_json: Callable[..., Any], error_body: Callable[..., Any]
) -> None:
    limited = error_body(429, "RATE_LIMIT_EXCEEDED", "Too many requests")
    fake_api.transport.reply(429, limited, headers={"Retry-After": "1"})
    fake_api.transport.fail(ApiConnectionError("refused", request_sent=False))
    fake_api.transport.reply(201, lead_json())
    await invoke(fake_api.api, "create_lead", NEW_LEAD)
    keys = {request.headers["Idempotency-Key"] for request in fake_api.transport.requests}
    assert len(fake_api.transport.requests) == 3
    assert len(keys) == 1
    bodies = {request.body for request in fake_api.transport.requests}
    assert len(bodies) == 1


async def test_each_post_call_gets_its_own_idempotency_key(
    fake_api: Any, invoke: Any, lead_json: Callable[..., Any]
) -> None:
    fake_api.transport.reply(201, lead_json()).reply(201, lead_json())
    await invoke(fake_api.api, "create_lead", NEW_LEAD)
    await invoke(fake_api.api, "create_lead", NEW_LEAD)
    first, second = fake_api.transport.requests
    assert first.headers["Idempotency-Key"] != second.headers["Idempotency-Key"]


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408])
async def test_post_is_retried_with_its_key_when_the_server_may_have_acted(
    fake_api: Any, invoke: Any, lead_json: Callable[..., Any], status: int
) -> None:
    # The server may have created the lead: the retry carries the same Idempotency-Key, so a
    # server that honours it answers with the first answer instead of creating another.
    fake_api.transport.reply(status, {"error": True, "code": "X", "message": "m"})
    fake_api.transport.reply(201, lead_json())
    await invoke(fake_api.api, "create_lead", NEW_LEAD)
    first, second = fake_api.transport.requests
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert fake_api.sleeps == [0.5]


async def test_post_is_retried_with_its_key_after_a_read_timeout(
    fake_api: Any, invoke: Any, lead_json: Callable[..., Any]
) -> None:
    fake_api.transport.fail(ApiTimeoutError("read timed out", request_sent=True))
    fake_api.transport.reply(201, lead_json())
    await invoke(fake_api.api, "create_lead", NEW_LEAD)
    first, second = fake_api.transport.requests
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]


async def test_a_key_still_in_use_is_retried_after_retry_after(
    fake_api: Any, invoke: Any, lead_json: Callable[..., Any], error_body: Callable[..., Any]
) -> None:
    busy = error_body(409, "IDEMPOTENCY_KEY_IN_USE", "still running")
    fake_api.transport.reply(409, busy, headers={"Retry-After": "1"})
    fake_api.transport.reply(201, lead_json(), headers={"Idempotent-Replayed": "true"})
    await invoke(fake_api.api, "create_lead", NEW_LEAD)
    assert len(fake_api.transport.requests) == 2
    assert fake_api.sleeps == [1.0]


async def test_other_conflicts_are_final(
    fake_api: Any, invoke: Any, error_body: Callable[..., Any]
) -> None:
    taken = error_body(409, "LEAD_EMAIL_EXISTS", "taken")
    fake_api.transport.reply(409, taken, headers={"Retry-After": "1"})
    with pytest.raises(buena_sdk.ApiException) as caught:
        await invoke(fake_api.api, "create_lead", NEW_LEAD)
    assert caught.value.status == 409
    assert len(fake_api.transport.requests) == 1


async def test_updates_and_deletes_carry_an_idempotency_key(
    fake_api: Any, invoke: Any, lead_json: Callable[..., Any]
) -> None:
    fake_api.transport.reply(200, lead_json())
    fake_api.transport.reply(200, {"success": True, "message": "m", "deleted_id": "lead_abc"})
    fake_api.transport.reply(200, lead_json())
    await invoke(fake_api.api, "update_lead", "lead_abc", UpdateLeadRequest(notes="n"))
    await invoke(fake_api.api, "delete_lead", "lead_abc")
    await invoke(fake_api.api, "get_lead", "lead_abc")
    patch, delete, get = fake_api.transport.requests
    assert patch.headers["Idempotency-Key"] != delete.headers["Idempotency-Key"]
    assert "Idempotency-Key" not in get.headers


async def test_get_is_retried_after_a_read_timeout(
    fake_api: Any, invoke: Any, lead_json: Callable[..., Any]
) -> None:
    fake_api.transport.fail(ApiTimeoutError("read timed out", request_sent=True))
    fake_api.transport.reply(200, lead_json())
    await invoke(fake_api.api, "get_lead", "lead_abc")
    assert len(fake_api.transport.requests) == 2
    assert fake_api.sleeps == [0.5]


async def test_connection_error_is_raised_once_retries_run_out(fake_api: Any, invoke: Any) -> None:
    for _ in range(3):
        fake_api.transport.fail(ApiConnectionError("refused", request_sent=False))
    with pytest.raises(buena_sdk.ApiException) as caught:  # catchable as the reference does
        await invoke(fake_api.api, "list_leads")
    assert isinstance(caught.value, ApiConnectionError)
    assert caught.value.status == 0
    assert len(fake_api.transport.requests) == 3


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
async def test_client_errors_raise_at_once(
    fake_api: Any, invoke: Any, error_body: Callable[..., Any], status: int
) -> None:
    fake_api.transport.reply(status, error_body(status, "CODE", "message"))
    with pytest.raises(buena_sdk.ApiException) as caught:
        await invoke(fake_api.api, "get_lead", "lead_abc")
    assert caught.value.status == status
    assert caught.value.request_id == f"req_{status}"
    assert len(fake_api.transport.requests) == 1


async def test_not_found_reads_like_the_server_said(
    fake_api: Any, invoke: Any, error_body: Callable[..., Any]
) -> None:
    fake_api.transport.reply(
        404, error_body(404, "LEAD_NOT_FOUND", "Lead lead_x not found"), reason="Not Found"
    )
    with pytest.raises(buena_sdk.NotFoundException) as caught:
        await invoke(fake_api.api, "get_lead", "lead_x")
    assert str(caught.value) == (
        "(404) Not Found: LEAD_NOT_FOUND: Lead lead_x not found (request_id=req_404)"
    )


async def test_a_2xx_body_that_is_not_the_model_is_a_validation_error(
    fake_api: Any, invoke: Any
) -> None:
    fake_api.transport.reply(200, {"unexpected": True})
    with pytest.raises(buena_sdk.ApiResponseValidationError) as caught:
        await invoke(fake_api.api, "get_lead", "lead_abc")
    assert caught.value.status == 200
    assert "Lead" in str(caught.value)
    assert caught.value.request_id == "req_1"


async def test_a_2xx_body_that_is_not_json_is_a_validation_error(
    fake_api: Any, invoke: Any
) -> None:
    fake_api.transport.reply(200, raw=b"<html>captive portal</html>")
    with pytest.raises(buena_sdk.ApiResponseValidationError):
        await invoke(fake_api.api, "delete_lead", "lead_abc")


async def test_a_dict_operation_rejects_a_json_array(fake_api: Any, invoke: Any) -> None:
    fake_api.transport.reply(200, [1, 2, 3])
    with pytest.raises(buena_sdk.ApiResponseValidationError, match="expected a JSON dict"):
        await invoke(fake_api.api, "revoke_api_key", "key_1")


def test_sync_context_closes_the_transport(fake_api: Any) -> None:
    with fake_api.client as client:
        assert client is fake_api.client
    assert fake_api.transport.closed


async def test_async_context_closes_the_transport(fake_api: Any) -> None:
    async with fake_api.client as client:
        assert client is fake_api.client
    assert fake_api.transport.closed


def test_default_api_without_a_client_builds_one() -> None:
    api = buena_sdk.DefaultApi()
    assert isinstance(api.api_client, buena_sdk.ApiClient)
    api.api_client.close()


async def test_a_new_api_key_is_not_keyed_nor_retried_after_a_5xx(
    fake_api: Any, invoke: Any, error_body: Callable[..., Any]
) -> None:
    # The server keeps no answer for it (the secret is never stored): a retry could make two.
    fake_api.transport.reply(503, error_body(503, "SERVICE_UNAVAILABLE", "db down"))
    request = CreateApiKeyRequest(name="k", permissions=["leads:read"])
    with pytest.raises(buena_sdk.ServiceException):
        await invoke(fake_api.api, "create_api_key", request)
    [sent] = fake_api.transport.requests
    assert "Idempotency-Key" not in sent.headers
