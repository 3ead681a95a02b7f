"""The real transports against a real local HTTP server: urllib3 (sync) and aiohttp (async).

Also proves that replacing ``api_client.rest_client.pool_manager`` with your own
``PoolManager(retries=Retry(...))``, as the reference does, takes effect.
"""

import asyncio
import json
import time
from typing import Any, Callable

import pytest
import urllib3
from urllib3 import PoolManager
from urllib3.util.retry import Retry

import buena_sdk
from buena_sdk import ApiConnectionError, ApiTimeoutError, DefaultApi
from buena_sdk.models import CreateLeadRequest
from buena_sdk.rest import RESTClientObject

KEY = "bna_" + "cd" * 32
NEW_LEAD = CreateLeadRequest(first_name="Jane", last_name="Smith", email="jane@example.com")


def _client(host: str, **config: Any) -> buena_sdk.ApiClient:
    configuration = buena_sdk.Configuration(host=host, api_key={"ApiKeyAuth": KEY}, **config)
    client = buena_sdk.ApiClient(configuration)
    client._sleep = lambda seconds: None  # keep retry tests fast

    async def no_wait(seconds: float) -> None:
        return None

    client._async_sleep = no_wait
    return client


def _assert_create_request(live_server: Any) -> None:
    (request,) = live_server.requests
    assert request.method == "POST"
    assert request.path == "/api/v2/leads"
    headers = {name.lower(): value for name, value in request.headers.items()}
    assert headers["x-api-key"] == KEY
    assert headers["user-agent"] == "BuenaSDK-Python/1.0.0"
    assert headers["content-type"] == "application/json"
    assert len(headers["idempotency-key"]) == 36
    assert json.loads(request.body) == {
        "first_name": "Jane",
        "last_name": "Smith",
        "email": "jane@example.com",
    }


def test_urllib3_round_trip(live_server: Any, lead_json: Callable[..., Any]) -> None:
    live_server.script(201, lead_json(id="lead_live"), {"X-RateLimit-Remaining": "42"})
    with _client(live_server.host + "/") as client:
        assert isinstance(client.rest_client, RESTClientObject)
        assert isinstance(client.rest_client.pool_manager, urllib3.PoolManager)
        response = DefaultApi(client).create_lead_with_http_info(NEW_LEAD)
    assert response.status_code == 201
    assert response.data.id == "lead_live"
    assert response.headers["x-ratelimit-remaining"] == "42"
    assert response.headers["X-Request-ID"] == "req_live_1"
    _assert_create_request(live_server)


async def test_aiohttp_round_trip(live_server: Any, lead_json: Callable[..., Any]) -> None:
    live_server.script(201, lead_json(id="lead_live"), {"X-RateLimit-Remaining": "42"})
    async with _client(live_server.host) as client:
        response = await DefaultApi(client).create_lead_with_http_info_async(NEW_LEAD)
        session = client.async_rest_client.session  # type: ignore[attr-defined]
        assert session is not None
        assert not session.closed
    assert session.closed
    assert client.async_rest_client.session is None  # type: ignore[attr-defined]
    assert response.status_code == 201
    assert response.data.id == "lead_live"
    assert response.headers["x-ratelimit-remaining"] == "42"
    _assert_create_request(live_server)


def test_urllib3_error_response(live_server: Any, error_body: Callable[..., Any]) -> None:
    live_server.script(404, error_body(404, "LEAD_NOT_FOUND", "Lead lead_x not found"))
    client = _client(live_server.host)
    with client, pytest.raises(buena_sdk.NotFoundException) as caught:
        DefaultApi(client).get_lead("lead_x")
    assert str(caught.value) == (
        "(404) Not Found: LEAD_NOT_FOUND: Lead lead_x not found (request_id=req_404)"
    )
    assert caught.value.headers["x-request-id"] == "req_live_1"


async def test_aiohttp_error_response(live_server: Any, error_body: Callable[..., Any]) -> None:
    live_server.script(409, error_body(409, "LEAD_EMAIL_EXISTS", "exists", existing_id="l1"))
    async with _client(live_server.host) as client:
        with pytest.raises(buena_sdk.ConflictException) as caught:
            await DefaultApi(client).create_lead_async(NEW_LEAD)
    assert caught.value.details == {"existing_id": "l1"}
    assert caught.value.reason == "Conflict"


def test_urllib3_connection_refused_is_retried_then_raised(refused_host: str) -> None:
    with _client(refused_host) as client:
        attempts: list[float] = []
        client._sleep = attempts.append
        with pytest.raises(ApiConnectionError) as caught:
            DefaultApi(client).create_lead(NEW_LEAD)
    assert caught.value.request_sent is False
    assert caught.value.status == 0
    assert "NewConnectionError" in str(caught.value)
    assert len(attempts) == 2  # nothing was sent, so even a POST is retried


async def test_aiohttp_connection_refused_is_retried_then_raised(refused_host: str) -> None:
    async with _client(refused_host) as client:
        attempts: list[float] = []

        async def record(seconds: float) -> None:
            attempts.append(seconds)

        client._async_sleep = record
        with pytest.raises(ApiConnectionError) as caught:
            await DefaultApi(client).create_lead_async(NEW_LEAD)
    assert caught.value.request_sent is False
    assert "ClientConnectorError" in str(caught.value)
    assert len(attempts) == 2


def test_urllib3_read_timeout(live_server: Any, lead_json: Callable[..., Any]) -> None:
    live_server.script(200, lead_json(), held=True)
    client = _client(live_server.host, timeout=0.2, retries=0)
    with client, pytest.raises(ApiTimeoutError) as caught:
        DefaultApi(client).get_lead("lead_abc")
    assert caught.value.reason == "Timeout"
    assert caught.value.request_sent is True
    # What timed out and after how long (urllib3 gives what was left of the 0.2 s total).
    assert "Read timed out. (read timeout=0." in str(caught.value)


async def test_aiohttp_read_timeout(live_server: Any, lead_json: Callable[..., Any]) -> None:
    live_server.script(200, lead_json(), held=True)
    async with _client(live_server.host, timeout=0.2, retries=0) as client:
        with pytest.raises(ApiTimeoutError) as caught:
            await DefaultApi(client).get_lead_async("lead_abc")
    assert caught.value.reason == "Timeout"
    assert caught.value.request_sent is True
    # Not the bare "(0) Timeout: TimeoutError: " of asyncio's empty message.
    assert str(caught.value) == (
        f"(0) Timeout: TimeoutError: GET {live_server.host}/leads/lead_abc: timed out "
        "(timeout=0.2 s for the whole request)"
    )


def test_default_pool_manager_with_retries_zero_fails_on_the_first_503(
    live_server: Any, lead_json: Callable[..., Any], error_body: Callable[..., Any]
) -> None:
    live_server.script(503, error_body(503, "SERVICE_UNAVAILABLE", "db down"), times=2)
    live_server.script(200, lead_json())
    client = _client(live_server.host, retries=0)
    with client, pytest.raises(buena_sdk.ServiceException):
        DefaultApi(client).get_lead("lead_abc")
    assert len(live_server.requests) == 1


def test_sdk_retries_on_the_default_pool_manager(
    live_server: Any, lead_json: Callable[..., Any], error_body: Callable[..., Any]
) -> None:
    live_server.script(503, error_body(503, "SERVICE_UNAVAILABLE", "db down"), times=2)
    live_server.script(200, lead_json())
    with _client(live_server.host) as client:
        assert DefaultApi(client).get_lead("lead_abc").id == "lead_abc"
    assert len(live_server.requests) == 3


def test_custom_pool_manager_retry_takes_effect(
    live_server: Any, lead_json: Callable[..., Any], error_body: Callable[..., Any]
) -> None:
    live_server.script(503, error_body(503, "SERVICE_UNAVAILABLE", "db down"), times=2)
    live_server.script(200, lead_json())
    with _client(live_server.host, retries=0) as client:
        client.rest_client.pool_manager = PoolManager(
            num_pools=10, retries=Retry(total=3, status_forcelist=[503], backoff_factor=0)
        )
        assert client.rest_client.uses_custom_pool_manager
        assert DefaultApi(client).get_lead("lead_abc").id == "lead_abc"
    assert len(live_server.requests) == 3


def test_custom_pool_manager_is_the_only_retry_policy(
    live_server: Any, error_body: Callable[..., Any]
) -> None:
    # Configuration(retries=2) does not stack on top of the user's Retry(total=1), and once
    # that is exhausted the caller still gets a typed exception with the server's body.
    live_server.script(503, error_body(503, "SERVICE_UNAVAILABLE", "db down"))
    with _client(live_server.host, retries=2) as client:
        client.rest_client.pool_manager = PoolManager(
            retries=Retry(total=1, status_forcelist=[503], backoff_factor=0)
        )
        with pytest.raises(buena_sdk.ServiceException) as caught:
            DefaultApi(client).list_leads()
    assert caught.value.code == "SERVICE_UNAVAILABLE"
    assert len(live_server.requests) == 2


def test_custom_pool_manager_without_retry_uses_urllib3_defaults(
    live_server: Any, lead_json: Callable[..., Any]
) -> None:
    live_server.script(200, lead_json())
    with _client(live_server.host) as client:
        client.rest_client.pool_manager = PoolManager(num_pools=2)
        assert client.rest_client._retry_arguments() == {}
        assert DefaultApi(client).get_lead("lead_abc").id == "lead_abc"


def test_proxy_setting_builds_a_proxy_manager() -> None:
    configuration = buena_sdk.Configuration(
        proxy="http://proxy.example:8080", proxy_headers={"Proxy-Authorization": "Basic x"}
    )
    with buena_sdk.ApiClient(configuration) as client:
        manager = client.rest_client.pool_manager
        assert isinstance(manager, urllib3.ProxyManager)
        assert manager.proxy_headers == {"Proxy-Authorization": "Basic x"}


def test_pool_settings_reach_urllib3() -> None:
    configuration = buena_sdk.Configuration(connection_pool_maxsize=3, verify_ssl=False)
    with buena_sdk.ApiClient(configuration) as client:
        options = client.rest_client.pool_manager.connection_pool_kw
        assert options["maxsize"] == 3
        assert options["cert_reqs"] == "CERT_NONE"


def test_an_async_session_belongs_to_one_event_loop(
    live_server: Any, lead_json: Callable[..., Any]
) -> None:
    live_server.script(200, lead_json())
    client = _client(live_server.host)
    api = DefaultApi(client)
    first, second = asyncio.new_event_loop(), asyncio.new_event_loop()
    try:
        first.run_until_complete(api.get_lead_async("lead_abc"))
        with pytest.raises(RuntimeError, match="another event loop"):
            second.run_until_complete(api.get_lead_async("lead_abc"))
        first.run_until_complete(client.aclose())
        # Once closed, the client may be used on another loop.
        second.run_until_complete(api.get_lead_async("lead_abc"))
        second.run_until_complete(client.aclose())
    finally:
        first.close()
        second.close()
    assert len(live_server.requests) == 2


async def test_a_changed_timeout_applies_to_the_next_request(
    invoke: Any, live_server: Any, lead_json: Callable[..., Any]
) -> None:
    live_server.script(200, lead_json())
    live_server.script(200, lead_json(), held=True)
    async with _client(live_server.host, retries=0, timeout=60) as client:
        api = DefaultApi(client)
        assert (await invoke(api, "get_lead", "lead_abc")).id == "lead_abc"
        client.configuration.timeout = 0.2
        started = time.monotonic()
        with pytest.raises(ApiTimeoutError):
            await invoke(api, "get_lead", "lead_abc")
        # Far below the 60 s the first request was allowed (a loaded machine included).
        assert time.monotonic() - started < 20


async def test_an_unreachable_proxy_is_a_connection_error_before_sending(
    invoke: Any, live_server: Any, refused_host: str
) -> None:
    """Nothing reached the server, so even a POST is retried."""
    proxy = refused_host.removesuffix("/api/v2")
    async with _client(live_server.host, proxy=proxy, retries=1) as client:
        with pytest.raises(ApiConnectionError) as caught:
            await invoke(DefaultApi(client), "create_lead", NEW_LEAD)
    assert caught.value.request_sent is False
    assert live_server.requests == []


def test_a_custom_retry_that_gives_up_names_the_last_failure(refused_host: str) -> None:
    """urllib3 wraps the failure in MaxRetryError once the user's Retry is spent: the SDK's
    error says what failed (here, nothing was sent)."""
    with _client(refused_host, retries=0) as client:
        client.rest_client.pool_manager = PoolManager(retries=Retry(total=1, backoff_factor=0))
        with pytest.raises(ApiConnectionError) as caught:
            DefaultApi(client).create_lead(NEW_LEAD)
    assert caught.value.request_sent is False
    assert "NewConnectionError" in str(caught.value)


def test_only_the_sdks_own_pool_manager_is_cleared_when_replaced(
    live_server: Any, lead_json: Callable[..., Any]
) -> None:
    live_server.script(200, lead_json())
    with _client(live_server.host) as client:
        rest = client.rest_client
        rest.pool_manager = rest.pool_manager  # the same one: nothing changes
        assert not rest.uses_custom_pool_manager
        ours = rest.pool_manager
        DefaultApi(client).get_lead("lead_abc")
        assert len(ours.pools) == 1
        first = PoolManager()
        rest.pool_manager = first
        assert len(ours.pools) == 0  # ours: its idle connections released at once
        DefaultApi(client).get_lead("lead_abc")
        assert len(first.pools) == 1
        rest.pool_manager = PoolManager()
        assert len(first.pools) == 1  # the user's: left as it is
        first.clear()


def test_urllib3_streams_an_export_after_retrying_its_head(
    live_server: Any, lead_json: Callable[..., Any], error_body: Callable[..., Any]
) -> None:
    live_server.script(503, error_body(503, "DATABASE_UNAVAILABLE", "down"), {"Retry-After": "0"})
    live_server.script(200, [lead_json(id=f"lead_{i}") for i in range(2000)])
    with _client(live_server.host) as client:
        chunks = list(DefaultApi(client).export_leads(status="active"))
    body = b"".join(chunks)
    assert len(chunks) > 1  # read as it came, 64 KiB at a time
    assert [lead["id"] for lead in json.loads(body)][-1] == "lead_1999"
    assert [r.path for r in live_server.requests] == ["/api/v2/leads/export?status=active"] * 2


async def test_aiohttp_streams_an_export_and_raises_an_error_answer(
    live_server: Any, lead_json: Callable[..., Any], error_body: Callable[..., Any]
) -> None:
    live_server.script(200, [lead_json(id=f"lead_{i}") for i in range(2000)])
    live_server.script(404, error_body(404, "NOT_FOUND", "no"))
    async with _client(live_server.host) as client:
        api = DefaultApi(client)
        body = b"".join([chunk async for chunk in api.export_leads_async("ndjson")])
        assert len(json.loads(body)) == 2000
        with pytest.raises(buena_sdk.NotFoundException):
            async for _ in api.export_leads_async():
                pass


async def test_aiohttp_export_timeout_says_what_timed_out(
    live_server: Any, lead_json: Callable[..., Any]
) -> None:
    live_server.script(200, [lead_json()], held=True)
    async with _client(live_server.host, timeout=0.2, retries=0) as client:
        with pytest.raises(ApiTimeoutError) as caught:
            async for _ in DefaultApi(client).export_leads_async():
                pass
    message = str(caught.value)
    assert f"GET {live_server.host}/leads/export" in message
    assert message.endswith("(timeout=0.2 s to connect and for each read)")
