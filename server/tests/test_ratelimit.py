"""Per-key rate limits and their headers."""

from __future__ import annotations

import time
from typing import Any

import pytest

from buena_server.auth.permissions import Permission
from buena_server.kit.ratelimit_rules import parse_rate_limits
from buena_server.services import services_of

from server_testing import API, Account, InProcessClient, assert_error


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"rate_limits": "3/minute;10/hour"}


async def test_headers_on_every_authenticated_response(
    client: InProcessClient, account: Account
) -> None:
    ok = await client.get(f"{API}/leads", headers=account.headers())
    missing = await client.get(f"{API}/leads/lead_nope", headers=account.headers())
    assert_error(missing, 404, "LEAD_NOT_FOUND")
    for response, remaining in ((ok, 2), (missing, 1)):
        assert response.headers["x-ratelimit-limit"] == "3"
        assert response.headers["x-ratelimit-remaining"] == str(remaining)
        reset = int(response.headers["x-ratelimit-reset"])
        assert time.time() <= reset <= time.time() + 61


async def test_exceeding_the_limit(client: InProcessClient, account: Account) -> None:
    for _ in range(3):
        assert (await client.get(f"{API}/leads", headers=account.headers())).status_code == 200
    refused = await client.get(f"{API}/leads", headers=account.headers())
    body = assert_error(refused, 429, "RATE_LIMIT_EXCEEDED")
    retry_after = int(refused.headers["retry-after"])
    assert 1 <= retry_after <= 60
    assert body["details"] == {"limit": 3, "retry_after": retry_after}
    assert refused.headers["x-ratelimit-remaining"] == "0"


async def test_limits_are_per_key(client: InProcessClient, account: Account) -> None:
    other_key = await account.key_with(Permission.LEADS_READ)
    for _ in range(4):
        await client.get(f"{API}/leads", headers=account.headers())
    response = await client.get(f"{API}/leads", headers={"x-api-key": other_key})
    assert response.status_code == 200
    assert response.headers["x-ratelimit-remaining"] == "2"


async def test_refused_requests_do_not_use_longer_windows(
    client: InProcessClient, account: Account
) -> None:
    for _ in range(8):
        await client.get(f"{API}/leads", headers=account.headers())
    limiter = services_of(client.app).rate_limiter
    keys = (await client.get(f"{API}/keys", headers=account.headers())).json()
    # (the /keys call above was itself refused: the minute window is exhausted)
    assert keys["code"] == "RATE_LIMIT_EXCEEDED"
    (_minute, in_minute), (_hour, in_hour) = await limiter.active.window_stats(account.key_id)
    assert in_minute.remaining == 0
    assert in_hour.remaining == 7


async def test_health_is_not_limited(client: InProcessClient) -> None:
    for _ in range(5):
        assert (await client.get(f"{API}/health")).status_code == 200


class TestOff:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"rate_limits": "off"}

    async def test_no_limit_and_no_headers(self, client: InProcessClient, account: Account) -> None:
        for _ in range(70):
            response = await client.get(f"{API}/leads/lead_x", headers=account.headers())
            assert response.status_code == 404
        assert "x-ratelimit-limit" not in response.headers


def test_default_limits_follow_the_public_api() -> None:
    from buena_server.config import Settings

    items = parse_rate_limits(Settings().rate_limits)
    assert [(i.amount, i.get_expiry()) for i in items] == [(60, 60), (1000, 3600), (10000, 86400)]


@pytest.mark.parametrize("value", ["lots", "60 per fortnight", ""])
def test_invalid_setting_is_refused(value: str) -> None:
    from pydantic import ValidationError

    from buena_server.config import Settings

    with pytest.raises(ValidationError, match="rate limits"):
        Settings(rate_limits=value)
