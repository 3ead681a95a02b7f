"""CORS for browser apps (BUENA_CORS_ORIGINS): preflights answered without a key, answers
readable by the allowed origins only, on the hot paths as on every other route."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from buena_server.config import Settings

from server_testing import API, Account, InProcessClient

APP = "https://app.example.com"
EXPOSED = {
    "x-request-id",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "retry-after",
    "idempotent-replayed",
}


def listed(value: str) -> set[str]:
    return {item.strip().lower() for item in value.split(",") if item.strip()}


def cors_headers(response: httpx.Response) -> dict[str, str]:
    return {
        name: value
        for name, value in response.headers.items()
        if name.startswith("access-control-") or name == "vary"
    }


def preflight(method: str, origin: str = APP, headers: str = "") -> dict[str, str]:
    request = {"origin": origin, "access-control-request-method": method}
    if headers:
        request["access-control-request-headers"] = headers
    return request


class TestConfigured:
    @pytest.fixture(params=[True, False], ids=["hot-paths", "litestar-only"])
    def settings_overrides(self, request: pytest.FixtureRequest) -> dict[str, Any]:
        return {
            "hot_paths": request.param,
            "cors_origins": f"{APP}, https://*.example.org",
            "rate_limits": "3/minute",
        }

    async def test_preflight_needs_no_key(self, client: InProcessClient) -> None:
        for path in ("/leads", "/leads/lead_x", "/keys"):
            response = await client.options(
                API + path,
                headers=preflight("POST", headers="x-api-key, content-type, idempotency-key"),
            )
            assert response.status_code == 204, response.text
            assert response.headers["access-control-allow-origin"] == APP
            assert response.headers["vary"] == "Origin"
            allowed = listed(response.headers["access-control-allow-headers"])
            assert {
                "x-api-key",
                "content-type",
                "idempotency-key",
                "authorization",
                "x-request-id",
            } <= allowed
            methods = listed(response.headers["access-control-allow-methods"])
            assert {"get", "head", "post", "patch", "delete"} <= methods
            assert int(response.headers["access-control-max-age"]) > 0
            # A preflight is not a request of the API: no key checked, none counted.
            assert "x-ratelimit-limit" not in response.headers

    async def test_answers_are_readable_by_the_origin(
        self, client: InProcessClient, account: Account
    ) -> None:
        lead = await account.create_lead()
        origin = {"origin": APP, **account.headers()}
        new_lead = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}
        answers = [
            await client.get(f"{API}/leads/{lead['id']}", headers=origin),  # hot path
            await client.post(f"{API}/leads", json=new_lead, headers=origin),  # hot path
            await client.get(f"{API}/leads", headers=origin),  # over the limit: 429
            await client.get(f"{API}/leads", headers={"origin": APP}),  # 401
            await client.get(f"{API}/health", headers={"origin": APP}),
        ]
        assert [r.status_code for r in answers] == [200, 201, 429, 401, 200]
        for response in answers:
            assert response.headers["access-control-allow-origin"] == APP
            assert response.headers["vary"] == "Origin"
            assert listed(response.headers["access-control-expose-headers"]) == EXPOSED
            # Preflight-only headers stay on preflights.
            assert "access-control-allow-methods" not in response.headers

    async def test_wildcard_origins(self, client: InProcessClient) -> None:
        allowed = await client.get(f"{API}/health", headers={"origin": "https://eu.example.org"})
        assert allowed.headers["access-control-allow-origin"] == "https://eu.example.org"
        refused = await client.get(f"{API}/health", headers={"origin": "https://example.org.evil"})
        assert "access-control-allow-origin" not in refused.headers

    async def test_other_origins_get_nothing_they_can_use(
        self, client: InProcessClient, account: Account
    ) -> None:
        lead = await account.create_lead()
        evil = "https://evil.example.net"
        for response in (
            await client.options(f"{API}/leads", headers=preflight("POST", origin=evil)),
            await client.get(
                f"{API}/leads/{lead['id']}", headers={"origin": evil, **account.headers()}
            ),
            await client.get(f"{API}/leads", headers={"origin": evil, **account.headers()}),
        ):
            # The answer itself is unchanged; the browser is simply not allowed to read it.
            assert response.status_code in (200, 204)
            assert cors_headers(response) == {"vary": "Origin"}

    async def test_no_origin_no_cors(self, client: InProcessClient, account: Account) -> None:
        lead = await account.create_lead()
        response = await client.get(f"{API}/leads/{lead['id']}", headers=account.headers())
        assert cors_headers(response) == {}


class TestAnyOrigin:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"cors_origins": "*"}

    async def test_any_origin(self, client: InProcessClient) -> None:
        response = await client.get(f"{API}/health", headers={"origin": "https://x.test"})
        assert response.headers["access-control-allow-origin"] == "*"
        assert "vary" not in response.headers
        pre = await client.options(f"{API}/leads", headers=preflight("GET", "https://x.test"))
        assert pre.headers["access-control-allow-origin"] == "*"


async def test_off_by_default(client: InProcessClient, account: Account) -> None:
    lead = await account.create_lead()
    for response in (
        await client.options(f"{API}/leads", headers=preflight("POST")),
        await client.get(f"{API}/leads/{lead['id']}", headers={"origin": APP, **account.headers()}),
    ):
        assert cors_headers(response) == {}


@pytest.mark.parametrize(
    "origins", ["https://app.example.com/", "app.example.com", "https://a.example.com/path"]
)
def test_malformed_origins_are_refused(origins: str) -> None:
    with pytest.raises(ValidationError, match="BUENA_CORS_ORIGINS"):
        Settings(cors_origins=origins)
