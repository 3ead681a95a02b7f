"""Per-call options every operation takes (``_request_timeout``, ``_headers``,
``_request_auth``, ``_retries``), sync and async, and ``ApiException.data`` end to end."""

from typing import Any, Callable

import pytest

import buena_sdk
from buena_sdk.api_client import ApiClient

Invoke = Callable[..., Any]
OTHER_KEY = "bna_" + "ef" * 32


async def test_request_timeout_replaces_the_configured_one(
    fake_api: Any, invoke: Invoke, lead_json: Callable[..., Any]
) -> None:
    fake_api.transport.reply(200, lead_json()).reply(200, lead_json()).reply(200, lead_json())
    await invoke(fake_api.api, "get_lead", "lead_1")
    assert fake_api.last.timeout == 30.0
    await invoke(fake_api.api, "get_lead", "lead_1", _request_timeout=2.5)
    assert fake_api.last.timeout == 2.5
    await invoke(fake_api.api, "get_lead", "lead_1", _request_timeout=(1, 7))
    assert fake_api.last.timeout == (1.0, 7.0)


async def test_bad_request_timeouts_fail_before_sending(fake_api: Any, invoke: Invoke) -> None:
    for bad in (0, -1, (1, 0), "5"):
        with pytest.raises(ValueError, match="_request_timeout"):
            await invoke(fake_api.api, "get_lead", "lead_1", _request_timeout=bad)
    assert fake_api.transport.requests == []


async def test_headers_are_added_and_override(
    fake_api: Any, invoke: Invoke, lead_json: Callable[..., Any]
) -> None:
    fake_api.transport.reply(201, lead_json())
    body = {"first_name": "J", "last_name": "D", "email": "j@example.com"}
    headers = {"X-Trace": "t-1", "idempotency-key": "mine", "User-Agent": "app/1"}
    await invoke(fake_api.api, "create_lead", body, _headers=headers)
    sent = fake_api.last.headers
    assert sent["X-Trace"] == "t-1"
    assert sent["User-Agent"] == "app/1"
    # A caller's Idempotency-Key replaces the random one, whatever its case.
    assert [value for name, value in sent.items() if name.lower() == "idempotency-key"] == ["mine"]
    assert sent["x-api-key"] == fake_api.client.configuration.auth_key()


async def test_request_auth_replaces_the_configured_key(
    fake_api: Any, invoke: Invoke, lead_json: Callable[..., Any]
) -> None:
    fake_api.transport.reply(200, lead_json()).reply(200, lead_json())
    auth = {"in": "header", "type": "api_key", "key": "x-api-key", "value": OTHER_KEY}
    await invoke(fake_api.api, "get_lead", "lead_1", _request_auth=auth)
    assert fake_api.last.headers["x-api-key"] == OTHER_KEY
    await invoke(fake_api.api, "get_lead", "lead_1")  # the next call: configured key again
    assert fake_api.last.headers["x-api-key"] != OTHER_KEY


async def test_request_auth_is_not_sent_where_no_key_is_needed(
    fake_api: Any, invoke: Invoke
) -> None:
    health = {
        "status": "healthy",
        "timestamp": "2026-11-28T20:40:01Z",
        "version": "2.0",
        "services": {},
        "response_time": 1,
    }
    fake_api.transport.reply(200, health)
    auth = {"in": "header", "type": "api_key", "key": "x-api-key", "value": OTHER_KEY}
    await invoke(fake_api.api, "health_check", _request_auth=auth)
    assert "x-api-key" not in fake_api.last.headers


async def test_request_auth_in_a_query_is_refused(fake_api: Any, invoke: Invoke) -> None:
    auth = {"in": "query", "type": "api_key", "key": "k", "value": OTHER_KEY}
    with pytest.raises(ValueError, match="_request_auth"):
        await invoke(fake_api.api, "get_lead", "lead_1", _request_auth=auth)


async def test_retries_per_call(
    make_fake_api: Callable[..., Any], invoke: Invoke, error_body: Callable[..., Any]
) -> None:
    fake = make_fake_api(retries=3)
    fake.transport.reply(503, error_body(503, "UNAVAILABLE", "down"))
    with pytest.raises(buena_sdk.ServiceException):
        await invoke(fake.api, "get_lead", "lead_1", _retries=0)
    assert len(fake.transport.requests) == 1
    for _ in range(2):
        fake.transport.reply(503, error_body(503, "UNAVAILABLE", "down"))
    with pytest.raises(buena_sdk.ServiceException):
        await invoke(fake.api, "get_lead", "lead_1", _retries=1)
    assert len(fake.transport.requests) == 3
    with pytest.raises(ValueError, match="_retries"):
        await invoke(fake.api, "get_lead", "lead_1", _retries=-1)


async def test_error_data_is_the_parsed_model(
    fake_api: Any, invoke: Invoke, error_body: Callable[..., Any]
) -> None:
    fake_api.transport.reply(404, error_body(404, "LEAD_NOT_FOUND", "Lead lead_1 not found"))
    with pytest.raises(buena_sdk.NotFoundException) as caught:
        await invoke(fake_api.api, "get_lead", "lead_1")
    assert isinstance(caught.value.data, buena_sdk.ErrorResponse)
    assert caught.value.data.code == "LEAD_NOT_FOUND"


# -- *_without_preload_content -------------------------------------------------------------


async def _raw(api: Any, mode: str, operation: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
    if mode == "sync":
        response = getattr(api, f"{operation}_without_preload_content")(*args, **kwargs)
        try:
            return response.status, response.read()
        finally:
            response.release_conn()
    response = await getattr(api, f"{operation}_without_preload_content_async")(*args, **kwargs)
    try:
        return response.status, await response.read()
    finally:
        response.release()


async def test_raw_forms_return_the_body_unparsed(
    fake_api: Any, mode: str, lead_json: Callable[..., Any]
) -> None:
    fake_api.transport.reply(200, raw=b'{"not": "a lead"}')
    status, body = await _raw(fake_api.api, mode, "get_lead", "lead_1", _headers={"X-A": "1"})
    assert (status, body) == (200, b'{"not": "a lead"}')
    assert fake_api.last.headers["X-A"] == "1"


async def test_raw_forms_return_error_answers_after_the_retries(
    fake_api: Any, mode: str, error_body: Callable[..., Any]
) -> None:
    fake_api.transport.reply(503, error_body(503, "UNAVAILABLE", "down"))
    fake_api.transport.reply(404, error_body(404, "LEAD_NOT_FOUND", "gone"))
    status, body = await _raw(fake_api.api, mode, "get_lead", "lead_1")
    assert status == 404
    assert b"LEAD_NOT_FOUND" in body
    assert len(fake_api.transport.requests) == 2  # the 503 was retried, the 404 returned


def test_sync_raw_form_over_urllib3_leaves_the_body_unread(
    live_server: Any, lead_json: Callable[..., Any]
) -> None:
    live_server.script(200, lead_json(id="lead_raw"))
    configuration = buena_sdk.Configuration(host=live_server.host, api_key={"ApiKeyAuth": "k"})
    with ApiClient(configuration) as client:
        response = buena_sdk.DefaultApi(client).get_lead_without_preload_content("lead_raw")
        assert response.status == 200
        assert response.tell() == 0  # nothing of the body read yet
        body = response.read()
        response.release_conn()
    assert b"lead_raw" in body


async def test_async_raw_form_over_aiohttp_is_a_client_response(
    live_server: Any, lead_json: Callable[..., Any]
) -> None:
    import aiohttp

    live_server.script(200, lead_json(id="lead_raw"))
    configuration = buena_sdk.Configuration(host=live_server.host, api_key={"ApiKeyAuth": "k"})
    async with ApiClient(configuration) as client:
        api = buena_sdk.DefaultApi(client)
        response = await api.get_lead_without_preload_content_async("lead_raw")
        assert isinstance(response, aiohttp.ClientResponse)
        assert response.status == 200
        body = await response.read()
        response.release()
    assert b"lead_raw" in body


async def test_with_options_gives_a_client_with_other_retries(
    make_fake_api: Callable[..., Any], invoke: Invoke, error_body: Callable[..., Any]
) -> None:
    fake = make_fake_api(retries=2)
    no_retries = buena_sdk.DefaultApi(fake.client.with_options(retries=0, timeout=4))
    fake.transport.reply(503, error_body(503, "UNAVAILABLE", "down"))
    with pytest.raises(buena_sdk.ServiceException):
        await invoke(no_retries, "get_lead", "lead_1")
    assert len(fake.transport.requests) == 1
    assert fake.last.timeout == 4.0
    assert fake.client.configuration.retries == 2  # the original is unchanged


def test_reference_style_retry_loop_multiplies_with_sdk_retries(
    make_fake_api: Callable[..., Any], error_body: Callable[..., Any]
) -> None:
    # The reference's api_call_with_retry makes 3 calls; each makes 1 + retries attempts.
    def api_call_with_retry(func: Callable[..., Any], *args: Any, max_retries: int = 3) -> Any:
        for attempt in range(max_retries):
            try:
                return func(*args)
            except buena_sdk.ApiException as error:
                if error.status != 429 or attempt == max_retries - 1:
                    raise
        return None

    for retries, expected in ((2, 9), (0, 3)):
        fake = make_fake_api(retries=retries)
        for _ in range(expected):
            fake.transport.reply(429, error_body(429, "RATE_LIMIT_EXCEEDED", "slow"))
        with pytest.raises(buena_sdk.RateLimitException):
            api_call_with_retry(fake.api.list_leads)
        assert len(fake.transport.requests) == expected
