"""The headers every response carries whoever answers it (a Litestar route, an error, the hot
paths): X-Request-ID, ``Cache-Control: no-store`` (answers are per key, and a key's creation
carries its secret) and ``X-Content-Type-Options: nosniff``; and no server banner."""

from __future__ import annotations

from typing import Any

import pytest

from buena_server.auth.permissions import Permission

from server_testing import API, Account, InProcessClient

SECURITY_HEADERS = {"cache-control": "no-store", "x-content-type-options": "nosniff"}


@pytest.fixture(params=[True, False], ids=["hot-paths", "litestar-only"])
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"hot_paths": request.param, "rate_limits": "1000/minute"}


async def test_every_response_carries_the_common_headers(
    client: InProcessClient, account: Account
) -> None:
    lead = await account.create_lead()
    write_only = await account.key_with(Permission.LEADS_WRITE)
    new_lead = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}
    new_key = {"name": "ci", "permissions": ["leads:read"]}
    cases: list[tuple[str, str, dict[str, str], Any, int]] = [
        ("GET", "/health", {}, None, 200),
        ("GET", "/openapi.json", {}, None, 200),
        ("GET", f"/leads/{lead['id']}", account.headers(), None, 200),
        ("POST", "/leads", account.headers(), new_lead, 201),
        ("GET", "/leads", account.headers(), None, 200),
        ("POST", "/keys", account.headers(), new_key, 201),  # the answer holds a secret
        ("GET", "/keys", account.headers(), None, 200),
        ("GET", f"/leads/{lead['id']}", {}, None, 401),
        ("GET", f"/leads/{lead['id']}", {"x-api-key": write_only}, None, 403),
        ("GET", "/leads/lead_unknown", account.headers(), None, 404),
        ("POST", "/leads", account.headers(), {"first_name": "A"}, 400),
        ("PUT", "/leads", account.headers(), None, 405),
        ("OPTIONS", "/leads", {}, None, 204),
        ("GET", "/nothing", {}, None, 404),
    ]
    for method, path, headers, body, status in cases:
        response = await client.request(method, API + path, headers=headers, json=body)
        assert response.status_code == status, (method, path, response.text)
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, (method, path, name)
        assert response.headers["x-request-id"], (method, path)
        assert "server" not in response.headers
        _assert_no_name_twice(response.headers.multi_items(), method, path)


def _assert_no_name_twice(headers: list[tuple[str, str]], *where: str) -> None:
    names = [name.lower() for name, _ in headers]
    assert len(names) == len(set(names)), (where, headers)


@pytest.mark.parametrize("settings_overrides", [{"rate_limits": "2/minute"}])
async def test_a_refusal_for_the_rate_limit_carries_each_header_once(
    client: InProcessClient, account: Account
) -> None:
    lead = await account.create_lead()
    for _ in range(2):
        await client.get(f"{API}/leads/{lead['id']}", headers=account.headers())
    response = await client.get(f"{API}/leads/{lead['id']}", headers=account.headers())
    assert response.status_code == 429
    assert response.headers["x-ratelimit-remaining"] == "0"
    assert response.headers["retry-after"]
    _assert_no_name_twice(response.headers.multi_items(), "429")
