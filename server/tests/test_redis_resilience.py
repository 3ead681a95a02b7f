"""Rate limits in Redis, and what happens when Redis goes away and comes back.

Each test runs its own redis-server on a free port, so stopping it disturbs nothing else.
"""

from __future__ import annotations

from typing import Any

import pytest

from private_services import PrivateRedis
from server_testing import API, Account, InProcessClient


@pytest.fixture
def settings_overrides(fresh_redis: PrivateRedis) -> dict[str, Any]:
    return {"redis_url": fresh_redis.url, "rate_limits": "100/minute"}


async def health(client: InProcessClient) -> dict[str, Any]:
    body: dict[str, Any] = (await client.get(f"{API}/health")).json()
    return body


async def test_limits_live_in_redis_and_survive_an_outage(
    client: InProcessClient, account: Account, fresh_redis: PrivateRedis
) -> None:
    first = await client.get(f"{API}/leads", headers=account.headers())
    assert first.status_code == 200
    assert first.headers["x-ratelimit-remaining"] == "99"
    assert any(b"ratelimit" in key for key in fresh_redis.stored_keys())
    assert (await health(client))["services"]["redis"] == "healthy"

    fresh_redis.stop()
    during = await client.get(f"{API}/leads", headers=account.headers())
    # Still served, and still limited: by this process's own counters meanwhile.
    assert during.status_code == 200
    assert "x-ratelimit-remaining" in during.headers
    report = await client.get(f"{API}/health")
    assert report.status_code == 200
    assert report.json()["status"] == "degraded"
    assert report.json()["services"]["redis"] == "down"
    assert report.json()["services"]["database"] == "healthy"

    fresh_redis.start()  # an empty Redis: it kept nothing on disk
    assert (await health(client))["status"] == "healthy"
    after = await client.get(f"{API}/leads", headers=account.headers())
    assert after.status_code == 200
    assert any(b"ratelimit" in key for key in fresh_redis.stored_keys())


class TestRedisUnreachableFromTheStart:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"redis_url": "redis://127.0.0.1:1/0", "rate_limits": "3/minute"}

    async def test_served_and_limited_per_process(
        self, client: InProcessClient, account: Account
    ) -> None:
        statuses = [
            (await client.get(f"{API}/leads", headers=account.headers())).status_code
            for _ in range(4)
        ]
        assert statuses == [200, 200, 200, 429]
        body = await health(client)
        assert body["status"] == "degraded"
        assert body["services"]["redis"] == "down"
