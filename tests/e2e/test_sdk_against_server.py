"""SDK behaviour beyond the reference's examples, against the live server: the async twins,
the pagination helpers, clearing fields with None, and errors mapped to the tree."""

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

import buena_sdk
from buena_sdk import DefaultApi, apaginate_leads, paginate_leads


def _configuration(server: Any, key: str | None = None) -> buena_sdk.Configuration:
    return buena_sdk.Configuration(host=server.host, api_key={"ApiKeyAuth": key or server.key})


@pytest.fixture
def api(server: Any) -> Iterator[DefaultApi]:
    with buena_sdk.ApiClient(_configuration(server)) as client:
        yield DefaultApi(client)


@pytest.fixture
async def async_api(server: Any) -> AsyncIterator[DefaultApi]:
    async with buena_sdk.ApiClient(_configuration(server)) as client:
        yield DefaultApi(client)


async def test_async_crud_cycle(server: Any, async_api: DefaultApi) -> None:
    request = buena_sdk.CreateLeadRequest(
        first_name="Ann", last_name="Async", email="ann@example.com", status="contacted"
    )
    created = await async_api.create_lead_async(request)
    assert created.status == "contacted"

    fetched = await async_api.get_lead_async(created.id)
    assert fetched == created

    update = buena_sdk.UpdateLeadRequest(job_title="CTO")
    updated = await async_api.update_lead_async(created.id, update)
    assert updated.job_title == "CTO"
    assert server.get(f"/leads/{created.id}")["job_title"] == "CTO"

    page = await async_api.list_leads_async(status="contacted")
    assert [lead.id for lead in page.data] == [created.id]

    result = await async_api.delete_lead_async(created.id)
    assert result["deleted_id"] == created.id
    assert server.lead_status(created.id) == 404

    health = await async_api.health_check_async()
    assert health.status == "healthy"


def test_update_with_none_clears_and_omitted_fields_stay(server: Any, api: DefaultApi) -> None:
    lead = server.create_lead(
        first_name="Cle",
        last_name="Ar",
        email="clear@example.com",
        company="Old Co",
        notes="keep me",
        custom_fields={"a": 1, "b": 2},
    )
    update = buena_sdk.UpdateLeadRequest(company=None, custom_fields={"a": None})
    updated = api.update_lead(lead["id"], update)

    assert updated.company is None
    stored = server.get(f"/leads/{lead['id']}")
    assert stored["company"] is None
    assert stored["notes"] == "keep me"
    assert stored["custom_fields"] == {"b": 2}


def test_pagination_helper_advances_by_the_applied_limit(server: Any, api: DefaultApi) -> None:
    for n in range(105):
        server.create_lead(first_name=f"P{n:03d}", last_name="Page", email=f"p{n}@example.com")
    # page_size 500 is capped to 100 by the server: two requests, every lead once.
    ids = [lead.id for lead in paginate_leads(api, page_size=500, sort="first_name", order="asc")]
    assert len(ids) == len(set(ids)) == 105
    by_name = sorted(server.all_leads(), key=lambda lead: lead["first_name"])
    assert ids == [lead["id"] for lead in by_name]


async def test_async_pagination_helper_with_filters(server: Any, async_api: DefaultApi) -> None:
    for n in range(7):
        server.create_lead(
            first_name=f"E{n}", last_name="X", email=f"e{n}@example.com", company="Example Corp"
        )
    server.create_lead(first_name="Z", last_name="Y", email="z@example.com", company="Else")
    names = [
        lead.first_name
        async for lead in apaginate_leads(async_api, page_size=3, company="example corp")
    ]
    assert sorted(names) == [f"E{n}" for n in range(7)]


def test_errors_from_the_server_map_to_the_tree(server: Any, api: DefaultApi) -> None:
    existing = server.create_lead(first_name="Du", last_name="Pe", email="dupe@example.com")

    with pytest.raises(buena_sdk.ConflictException) as conflict:
        api.create_lead(
            buena_sdk.CreateLeadRequest(first_name="D", last_name="P", email="DUPE@example.com")
        )
    assert conflict.value.code == "LEAD_EMAIL_EXISTS"
    assert conflict.value.details is not None
    assert conflict.value.details["existing_id"] == existing["id"]
    assert conflict.value.request_id == conflict.value.headers["X-Request-ID"]

    with pytest.raises(buena_sdk.UnprocessableEntityException) as invalid:
        api.create_lead(buena_sdk.CreateLeadRequest(first_name="I", last_name="V", email="nope"))
    assert invalid.value.details is not None
    assert [error["field"] for error in invalid.value.details["errors"]] == ["email"]

    with pytest.raises(buena_sdk.NotFoundException):
        api.delete_lead("lead_does_not_exist")

    with pytest.raises(buena_sdk.UnprocessableEntityException):
        api.list_leads(limit=0)


def test_bad_and_limited_keys(server: Any) -> None:
    stranger = buena_sdk.ApiClient(_configuration(server, "bna_" + "0" * 64))
    with stranger, pytest.raises(buena_sdk.UnauthorizedException) as unauthorized:
        DefaultApi(stranger).list_leads()
    assert unauthorized.value.status == 401

    with buena_sdk.ApiClient(_configuration(server)) as client:
        reader = DefaultApi(client).create_api_key(
            buena_sdk.CreateApiKeyRequest(name="reader", permissions=["leads:read"])
        )
    assert reader.key is not None
    with buena_sdk.ApiClient(_configuration(server, reader.key)) as client:
        limited = DefaultApi(client)
        assert limited.list_leads().total == 0
        with pytest.raises(buena_sdk.ForbiddenException) as forbidden:
            limited.create_lead(
                buena_sdk.CreateLeadRequest(first_name="N", last_name="O", email="no@example.com")
            )
    assert forbidden.value.code == "PERMISSION_DENIED"

    with buena_sdk.ApiClient(_configuration(server)) as client:
        revoked = DefaultApi(client).revoke_api_key(reader.id)
    assert revoked["revoked_id"] == reader.id
    revoked_client = buena_sdk.ApiClient(_configuration(server, reader.key))
    with revoked_client, pytest.raises(buena_sdk.UnauthorizedException):
        DefaultApi(revoked_client).list_leads()


def test_with_http_info_returns_the_response_details(api: DefaultApi) -> None:
    response = api.health_check_with_http_info()
    assert response.status_code == 200
    assert response.headers["x-request-id"]
    assert response.data.status == "healthy"
    assert buena_sdk.HealthCheck200Response.model_validate_json(response.raw_data) == response.data


def test_connection_refused_is_an_api_exception() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    configuration = buena_sdk.Configuration(host=f"http://127.0.0.1:{port}/api/v2", retries=0)
    with (
        buena_sdk.ApiClient(configuration) as client,
        pytest.raises(buena_sdk.ApiException) as caught,
    ):
        DefaultApi(client).health_check()
    assert isinstance(caught.value, buena_sdk.ApiConnectionError)
    assert caught.value.status == 0
