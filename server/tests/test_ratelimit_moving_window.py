"""The moving-window strategy with Redis (``limits``' moving window on redis-py's pool):
verdicts, headers, counters shared by every process, and the per-process fallback while
Redis is down. Each test runs a redis-server of its own (private_services.py).
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from buena_server.app import create_app
from buena_server.config import Settings
from buena_server.kit.ratelimit import KeyRateLimiter
from buena_server.services import services_of

from private_services import PrivateRedis
from server_testing import API, Account, InProcessClient, assert_error, running


@pytest.fixture
def settings_overrides(fresh_redis: PrivateRedis) -> dict[str, Any]:
    return {
        "redis_url": fresh_redis.url,
        "rate_limits": "3/minute;10/hour",
        "rate_limit_strategy": "moving-window",
    }


async def leads(client: InProcessClient, account: Account) -> Any:
    return await client.get(f"{API}/leads", headers=account.headers())


async def test_verdicts_and_headers_come_from_redis(
    client: InProcessClient, account: Account, fresh_redis: PrivateRedis
) -> None:
    limiter = services_of(client.app).rate_limiter
    assert isinstance(limiter.shared, KeyRateLimiter)
    for remaining in (2, 1, 0):
        response = await leads(client, account)
        assert response.status_code == 200
        assert response.headers["x-ratelimit-limit"] == "3"
        assert response.headers["x-ratelimit-remaining"] == str(remaining)
        assert time.time() <= int(response.headers["x-ratelimit-reset"]) <= time.time() + 61
    refused = await leads(client, account)
    body = assert_error(refused, 429, "RATE_LIMIT_EXCEEDED")
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert body["details"]["limit"] == 3
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert limiter.active is limiter.shared
    assert limiter.fallbacks == 0
    assert any(b":ratelimit" in key for key in fresh_redis.stored_keys())


async def test_refused_requests_do_not_use_longer_windows(
    client: InProcessClient, account: Account
) -> None:
    for _ in range(5):
        await leads(client, account)
    limiter = services_of(client.app).rate_limiter
    (_minute, in_minute), (_hour, in_hour) = await limiter.shared.window_stats(account.key_id)
    assert in_minute.remaining == 0
    assert in_hour.remaining == 7


async def test_every_process_counts_in_the_same_windows(
    client: InProcessClient, account: Account, settings: Settings
) -> None:
    """A second app on the same Redis (another server process) sees the first one's hits."""
    for _ in range(2):
        assert (await leads(client, account)).status_code == 200
    async with running(create_app(settings)) as other:
        last = await other.get(f"{API}/leads", headers=account.headers())
        assert last.headers["x-ratelimit-remaining"] == "0"
        assert (await other.get(f"{API}/leads", headers=account.headers())).status_code == 429
    assert (await leads(client, account)).status_code == 429


async def test_limited_per_process_while_redis_is_down(
    client: InProcessClient, account: Account, fresh_redis: PrivateRedis
) -> None:
    assert (await leads(client, account)).status_code == 200
    limiter = services_of(client.app).rate_limiter
    # Redis is tried again after retry_seconds or a health check that reaches it: only the
    # health check here, however slowly the machine runs this test.
    limiter.retry_seconds = 3600
    fresh_redis.stop()
    # This process counts on its own meanwhile, from zero: 3 more, then refused.
    statuses = [(await leads(client, account)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert limiter.falling_back
    assert limiter.fallbacks == 1  # the first failure; then Redis is left alone
    report = (await client.get(f"{API}/health")).json()
    assert (report["status"], report["services"]["redis"]) == ("degraded", "down")

    fresh_redis.start()  # empty: it kept nothing on disk
    report = (await client.get(f"{API}/health")).json()
    assert report["services"]["redis"] == "healthy"
    assert not limiter.falling_back
    back = await leads(client, account)
    assert back.status_code == 200
    assert back.headers["x-ratelimit-remaining"] == "2"  # counted in Redis again
    assert any(b":ratelimit" in key for key in fresh_redis.stored_keys())
