"""Every authenticated route, past its key's rate limit: 429 RATE_LIMIT_EXCEEDED with
Retry-After and the X-RateLimit-* headers, on hot paths on and off; the public paths are
never limited. The routes are read from the app (server_testing.served_routes)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from buena_server.auth.permissions import Permission

from server_testing import (
    ANY_METHOD,
    API,
    PUBLIC_PATHS,
    Account,
    InProcessClient,
    assert_error,
    served_routes,
)

LIMIT = 2


@pytest.fixture(params=[True, False], ids=["hot-paths", "litestar-only"])
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"hot_paths": request.param, "rate_limits": f"{LIMIT}/minute"}


async def test_every_route_past_its_limit_says_when_to_retry(
    client: InProcessClient, account: Account
) -> None:
    routes = sorted(
        {
            (method, path)
            for method, path, _ in served_routes(client.app)
            if path not in PUBLIC_PATHS
        }
    )
    assert routes
    for method, path in routes:
        # A key of its own per route, so that each route starts with the whole limit. The
        # limit is checked while authenticating, before the route, its guard or its body.
        key = await account.key_with(*Permission)
        target = API + re.sub(r"\{\w+\}", "x_unknown", path.removeprefix(API))
        method = "GET" if method == ANY_METHOD else method
        body = {} if method in {"POST", "PATCH"} else None
        for _ in range(LIMIT):
            allowed = await client.request(method, target, json=body, headers={"x-api-key": key})
            assert allowed.status_code != 429, (method, path)
        refused = await client.request(method, target, json=body, headers={"x-api-key": key})
        error = assert_error(refused, 429, "RATE_LIMIT_EXCEEDED")
        retry_after = int(refused.headers["retry-after"])
        assert 1 <= retry_after <= 60, (method, path)
        assert error["details"] == {"limit": LIMIT, "retry_after": retry_after}
        assert refused.headers["x-ratelimit-limit"] == str(LIMIT)
        assert refused.headers["x-ratelimit-remaining"] == "0"
        assert int(refused.headers["x-ratelimit-reset"]) > 0


async def test_public_paths_are_never_limited(client: InProcessClient) -> None:
    for method, path, _ in served_routes(client.app):
        if path not in PUBLIC_PATHS:
            continue
        concrete = path.replace("{path}", "swagger")
        for _ in range(LIMIT + 1):
            response = await client.request("GET" if method == ANY_METHOD else method, concrete)
            assert response.status_code != 429, (method, path)
            assert "x-ratelimit-limit" not in response.headers, (method, path)
