"""The one error shape for every failure, and the request id on every response."""

from __future__ import annotations

import pytest

from buena_server import errors
from buena_server.app import hot_paths_of
from buena_server.errors import ApiError
from buena_server.leads.service import LeadService

from server_testing import API, Account, InProcessClient, assert_error


async def test_unknown_route(client: InProcessClient) -> None:
    for path in (f"{API}/nothing", "/elsewhere", f"{API}/leads/a/b", f"{API}/docs/nothing"):
        assert_error(await client.get(path), 404, "NOT_FOUND")
    # Any method on a path the API does not have is 404, not 405.
    for method in ("post", "put", "delete"):
        assert_error(await client.request(method, f"{API}/nowhere"), 404, "NOT_FOUND")


async def test_method_not_allowed(client: InProcessClient, account: Account) -> None:
    response = await client.put(f"{API}/leads", headers=account.headers())
    assert_error(response, 405, "METHOD_NOT_ALLOWED")


async def test_internal_error_hides_the_details(
    client: InProcessClient, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def explode(*_args: object) -> None:
        raise RuntimeError("secret internals at /srv/buena/db.py line 42")

    monkeypatch.setattr(LeadService, "get", explode)
    response = await client.get(f"{API}/leads/lead_x", headers=account.headers())
    assert_error(response, 500, "INTERNAL_ERROR")
    assert "secret" not in response.text
    assert "Traceback" not in response.text


async def test_request_id_on_success_and_error(client: InProcessClient, account: Account) -> None:
    ok = await client.get(f"{API}/health")
    error = await client.get(f"{API}/leads")
    ids = {ok.headers["x-request-id"], error.headers["x-request-id"]}
    assert len(ids) == 2
    assert error.json()["request_id"] == error.headers["x-request-id"]


async def test_plain_client_request_id_is_echoed(client: InProcessClient) -> None:
    response = await client.get(f"{API}/leads", headers={"x-request-id": "trace-abc.123"})
    assert response.headers["x-request-id"] == "trace-abc.123"
    assert response.json()["request_id"] == "trace-abc.123"
    odd = await client.get(f"{API}/leads", headers={"x-request-id": "<script>" * 30})
    assert odd.headers["x-request-id"].startswith("req_")


async def test_database_unavailable_is_503(
    client: InProcessClient, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    async def unavailable(*_args: object) -> None:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(LeadService, "list", unavailable)
    response = await client.get(f"{API}/leads", headers=account.headers())
    assert_error(response, 503, "SERVICE_UNAVAILABLE")
    assert response.headers["retry-after"] == "1"


class TestNothingEscapesAsPlainText:
    """The app's last guard (the front door): an exception that escapes Litestar's own
    handler, or the hot paths, still gets the one JSON error shape and the request id."""

    async def test_escaping_the_hot_paths(self, client: InProcessClient, account: Account) -> None:
        hot_paths = hot_paths_of(client.app)
        assert hot_paths is not None

        async def broken(*_args: object) -> None:
            raise RuntimeError("secret internals")

        hot_paths.fallback = broken  # handing over GET of an unknown lead fails
        response = await client.get(f"{API}/leads/lead_unknown", headers=account.headers())
        assert_error(response, 500, "INTERNAL_ERROR")
        assert "secret" not in response.text

    @pytest.mark.parametrize("settings_overrides", [{"hot_paths": False}])
    async def test_escaping_litestar(
        self, client: InProcessClient, account: Account, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        assert hot_paths_of(client.app) is None

        def broken(_exc: Exception) -> ApiError:
            raise RuntimeError("secret internals")

        # Litestar's exception handler fails (on the 404 of an unknown lead): the exception
        # leaves Litestar, and the front door answers it.
        monkeypatch.setattr(errors, "to_api_error", broken)
        response = await client.get(f"{API}/leads/lead_unknown", headers=account.headers())
        assert_error(response, 500, "INTERNAL_ERROR")
        assert "secret" not in response.text
