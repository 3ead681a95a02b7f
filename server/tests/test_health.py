"""GET /health."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server_testing import API


async def test_healthy(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get(f"{API}/health")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"status", "timestamp", "version", "services", "response_time"}
    assert body["status"] == "healthy"
    assert body["services"] == {"database": "healthy", "redis": "disabled", "api": "healthy"}
    assert body["version"] == "2.0"
    assert isinstance(body["response_time"], int)
    assert datetime.fromisoformat(body["timestamp"]).utcoffset() is not None


class TestDatabaseDown:
    @pytest.fixture
    def settings_overrides(self, tmp_path: Path) -> dict[str, Any]:
        # A directory where the database file should be: every connection fails.
        broken = tmp_path / "not-a-file.db"
        broken.mkdir()
        return {"database_url": f"sqlite:///{broken}"}

    async def test_health_is_down_with_503(self, client: AsyncTestClient[Litestar]) -> None:
        response = await client.get(f"{API}/health")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "down"
        assert body["services"]["database"] == "down"
        assert body["services"]["api"] == "healthy"

    async def test_api_answers_503_not_500(self, client: AsyncTestClient[Litestar]) -> None:
        response = await client.get(f"{API}/leads", headers={"x-api-key": "bna_" + "0" * 64})
        assert response.status_code == 503
        assert response.json()["code"] == "SERVICE_UNAVAILABLE"
