"""BUENA_REDIS_URL is read one way, by redis-py's parser, for every Redis user
(redis_connection.py): the health check (redis-py's pool) and the rate limits and idempotency
store (the script client) reach the same Redis with the same TLS settings and database, or
the URL is refused when the settings load.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from buena_server.config import Settings
from buena_server.kit.redis_connection import RedisEndpoint
from buena_server.services import services_of

from private_services import PrivateRedis, RedisTls, private_redis
from server_testing import API, Account, InProcessClient


@pytest.mark.parametrize(
    ("url", "refusal"),
    [
        (
            "redis://127.0.0.1:6379/0?socket_timeout=3",
            "unsupported query parameter.*socket_timeout",
        ),
        ("redis://127.0.0.1:6379/0?protocol=3", "unsupported query parameter.*protocol"),
        (
            "rediss://127.0.0.1:6379/0?ssl_ca_cert=/ca.pem",
            "unsupported query parameter.*ssl_ca_cert",
        ),
        ("redis://127.0.0.1:6379/0?ssl_ca_certs=/ca.pem", "TLS options .*ssl_ca_certs.* rediss://"),
        ("unix:///run/redis.sock", "must start with redis:// or rediss://"),
        ("redis://127.0.0.1:6379/0?db=x", "Invalid value for 'db'"),
    ],
)
def test_a_url_the_script_client_could_not_follow_is_refused_at_load(
    url: str, refusal: str
) -> None:
    with pytest.raises(ValidationError, match=refusal):
        Settings(redis_url=url)


def test_both_clients_take_their_connection_from_one_reading() -> None:
    endpoint = RedisEndpoint.from_url(
        "rediss://reader:s%40cret@redis.internal:6380/2?ssl_check_hostname=false", 0.25
    )
    assert (endpoint.host, endpoint.port, endpoint.db) == ("redis.internal", 6380, 2)
    assert (endpoint.username, endpoint.password) == ("reader", "s@cret")
    context = endpoint.ssl_context()
    assert context is not None
    assert context.check_hostname is False
    pool_connection = endpoint.pool().make_connection()
    assert (pool_connection.host, pool_connection.port, pool_connection.db) == (
        "redis.internal",
        6380,
        2,
    )
    assert pool_connection.socket_timeout == 0.25
    assert RedisEndpoint.from_url("redis://127.0.0.1/?db=3", 1).db == 3
    assert RedisEndpoint.from_url("redis://127.0.0.1", 1).ssl_context() is None


@pytest.fixture
def tls_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    with private_redis(RedisTls.issue(tmp_path)) as server:
        yield server


async def _served_and_stored(
    client: InProcessClient, account: Account, redis: PrivateRedis, db: int = 0
) -> dict[str, Any]:
    """A request counted, a keyed create kept, and the health report."""
    response = await client.get(f"{API}/leads", headers=account.headers())
    assert response.status_code == 200
    assert response.headers["x-ratelimit-remaining"] == "99"
    created = await client.post(
        f"{API}/leads",
        json={"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"},
        headers={**account.headers(), "Idempotency-Key": "one-reading"},
    )
    assert created.status_code == 201
    report: dict[str, Any] = (await client.get(f"{API}/health")).json()
    return report


class TestPrivateCertificateAuthority:
    """A Redis whose certificate a private CA signed, named by ``ssl_ca_certs``: the script
    client once ignored the parameter, so health said Redis was up while the rate limits
    quietly fell back to per-process counting."""

    @pytest.fixture
    def settings_overrides(self, tls_redis: PrivateRedis) -> dict[str, Any]:
        assert tls_redis.tls is not None
        url = f"{tls_redis.url}?ssl_ca_certs={tls_redis.tls.ca}"
        return {"redis_url": url, "rate_limits": "100/minute", "idempotency_store": "redis"}

    async def test_health_rate_limits_and_idempotency_all_reach_redis(
        self, client: InProcessClient, account: Account, tls_redis: PrivateRedis
    ) -> None:
        report = await _served_and_stored(client, account, tls_redis)
        assert report["services"]["redis"] == "healthy"
        assert services_of(client.app).rate_limiter.fallbacks == 0
        stored = tls_redis.stored_keys()
        assert any(b":ratelimit:" in key for key in stored)
        assert any(b":idempotency:" in key for key in stored)


class TestCertificateNotTrusted:
    """The same Redis without ``ssl_ca_certs``: every client refuses its certificate alike."""

    @pytest.fixture
    def settings_overrides(self, tls_redis: PrivateRedis) -> dict[str, Any]:
        return {"redis_url": tls_redis.url, "rate_limits": "100/minute"}

    async def test_health_and_rate_limits_both_find_redis_unreachable(
        self, client: InProcessClient, account: Account, tls_redis: PrivateRedis
    ) -> None:
        response = await client.get(f"{API}/leads", headers=account.headers())
        assert response.status_code == 200  # limited by this process meanwhile
        assert services_of(client.app).rate_limiter.fallbacks == 1
        report = (await client.get(f"{API}/health")).json()
        assert report["services"]["redis"] == "down"
        assert tls_redis.stored_keys() == []


class TestDatabaseAsQueryParameter:
    """``?db=3`` (redis-py's spelling): the script client once read the database from the
    path only, so the rate-limit counters and the key versions landed in different
    databases."""

    @pytest.fixture
    def settings_overrides(self, fresh_redis: PrivateRedis) -> dict[str, Any]:
        url = fresh_redis.url.removesuffix("/0") + "/?db=3"
        return {"redis_url": url, "rate_limits": "100/minute"}

    async def test_every_key_lands_in_that_database(
        self, client: InProcessClient, account: Account, fresh_redis: PrivateRedis
    ) -> None:
        report = await _served_and_stored(client, account, fresh_redis)
        assert report["services"]["redis"] == "healthy"
        revoked = await client.delete(f"{API}/keys/{account.key_id}", headers=account.headers())
        assert revoked.status_code == 200  # bumps the key's version through redis-py
        stored = fresh_redis.stored_keys(db=3)
        assert any(b":ratelimit:" in key for key in stored)
        assert any(b":idempotency:" in key for key in stored)
        assert any(b":keyversion:" in key for key in stored)
        assert fresh_redis.stored_keys(db=0) == []
