"""GET /health."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from backends import ON_POSTGRES
from server_testing import API, InProcessClient, assert_error

HEALTH_FIELDS = {"status", "services", "response_time"}


async def test_healthy(client: InProcessClient) -> None:
    response = await client.get(f"{API}/health")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"status", "timestamp", "version", "services", "response_time"}
    assert body["status"] == "healthy"
    redis = "healthy" if ON_POSTGRES else "disabled"
    assert body["services"] == {"database": "healthy", "redis": redis, "api": "healthy"}
    assert body["version"] == "2.0"
    assert isinstance(body["response_time"], int)
    assert datetime.fromisoformat(body["timestamp"]).utcoffset() is not None


class TestRedisNotConfigured:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"redis_url": None}

    async def test_disabled_does_not_degrade(self, client: InProcessClient) -> None:
        body = (await client.get(f"{API}/health")).json()
        assert body["services"]["redis"] == "disabled"
        assert body["status"] == "healthy"


class TestDatabaseDown:
    @pytest.fixture
    def settings_overrides(self, tmp_path: Path) -> dict[str, Any]:
        if ON_POSTGRES:
            # Nothing listens on port 1: every connection is refused.
            return {"database_url": "postgresql://postgres@127.0.0.1:1/none"}
        # A directory where the database file should be: every connection fails.
        broken = tmp_path / "not-a-file.db"
        broken.mkdir()
        return {"database_url": f"sqlite:///{broken}"}

    async def test_health_is_down_with_503(self, client: InProcessClient) -> None:
        response = await client.get(f"{API}/health")
        # The error shape every error has, plus the health report.
        body = assert_error(response, 503, "SERVICE_UNAVAILABLE", extra_fields=HEALTH_FIELDS)
        assert response.headers["retry-after"] == "1"
        assert body["status"] == "down"
        assert body["services"]["database"] == "down"
        assert body["services"]["api"] == "healthy"

    async def test_api_answers_503_not_500(self, client: InProcessClient) -> None:
        response = await client.get(f"{API}/leads", headers={"x-api-key": "bna_" + "0" * 64})
        assert response.status_code == 503
        assert response.json()["code"] == "SERVICE_UNAVAILABLE"
