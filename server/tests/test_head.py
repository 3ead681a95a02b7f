"""HEAD on every GET route: the GET's status and headers (Content-Length included), no body,
authenticated and rate-limited like the GET; Allow lists HEAD wherever GET is."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from buena_server.auth.permissions import Permission

from server_testing import API, Account, InProcessClient

# Values that differ between two answers to the same request.
VOLATILE = {"date", "x-request-id", "x-ratelimit-remaining", "x-ratelimit-reset"}


@pytest.fixture(params=[True, False], ids=["hot-paths", "litestar-only"])
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"hot_paths": request.param, "rate_limits": "1000/minute"}


def comparable(response: httpx.Response, *volatile: str) -> tuple[int, dict[str, str]]:
    ignored = VOLATILE | set(volatile)
    return response.status_code, {
        name: value for name, value in response.headers.items() if name not in ignored
    }


async def test_head_answers_as_get_without_a_body(
    client: InProcessClient, account: Account
) -> None:
    lead = await account.create_lead()
    write_only = await account.key_with(Permission.LEADS_WRITE)
    cases: list[tuple[str, dict[str, str], int]] = [
        (f"/leads/{lead['id']}", account.headers(), 200),
        ("/leads?limit=5&sort=first_name", account.headers(), 200),
        ("/keys", account.headers(), 200),
        ("/openapi.json", {}, 200),
        ("/docs", {}, 200),
        (f"/leads/{lead['id']}", {}, 401),
        ("/leads", {"x-api-key": "bna_" + "0" * 64}, 401),
        (f"/leads/{lead['id']}", {"x-api-key": write_only}, 403),
        ("/leads/lead_unknown", account.headers(), 404),
        ("/leads?limit=0", account.headers(), 422),
        ("/nothing", {}, 404),
    ]
    for path, headers, status in cases:
        get = await client.get(API + path, headers=headers)
        head = await client.head(API + path, headers=headers)
        assert get.status_code == status, (path, get.text)
        # Error bodies carry a timestamp and the request id: equal lengths only on success.
        volatile = () if status == 200 else ("content-length",)
        assert comparable(head, *volatile) == comparable(get, *volatile), path
        assert head.content == b"", path
        if status == 200:
            assert int(head.headers["content-length"]) == len(get.content)


async def test_health_answers_head(client: InProcessClient) -> None:
    head = await client.head(f"{API}/health")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == "application/json"


async def test_head_is_counted_like_get(client: InProcessClient, account: Account) -> None:
    lead = await account.create_lead()
    first = await client.head(f"{API}/leads/{lead['id']}", headers=account.headers())
    second = await client.get(f"{API}/leads/{lead['id']}", headers=account.headers())
    remaining = int(first.headers["x-ratelimit-remaining"])
    assert int(second.headers["x-ratelimit-remaining"]) == remaining - 1


async def test_allow_lists_head_with_get(client: InProcessClient, account: Account) -> None:
    expected = {
        "/leads": "GET, HEAD, OPTIONS, POST",
        "/leads/lead_x": "DELETE, GET, HEAD, OPTIONS, PATCH",
        "/keys": "GET, HEAD, OPTIONS, POST",
        "/keys/key_x": "DELETE, OPTIONS",
        "/health": "GET, HEAD, OPTIONS",
    }
    for path, allow in expected.items():
        options = await client.options(API + path)
        assert options.status_code == 204
        assert options.headers["allow"] == allow, path
    not_allowed = await client.put(f"{API}/leads", headers=account.headers())
    assert not_allowed.status_code == 405
    assert not_allowed.headers["allow"] == expected["/leads"]
    # No GET, so no HEAD either.
    head = await client.head(f"{API}/keys/key_x", headers=account.headers())
    assert head.status_code == 405
    assert head.headers["allow"] == expected["/keys/key_x"]
    assert head.content == b""
