"""Health checks: a real database round trip, bounded in time."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Literal

import msgspec

from buena_server import API_VERSION
from buena_server.kit.clock import utcnow
from buena_server.kit.driver import Database

logger = logging.getLogger("buena_server.health")

ServiceStatus = Literal["healthy", "degraded", "down", "disabled"]
OverallStatus = Literal["healthy", "degraded", "down"]


class HealthCheck200Response(msgspec.Struct, kw_only=True):
    status: OverallStatus
    timestamp: datetime
    version: str
    services: dict[str, ServiceStatus]
    response_time: int  # milliseconds


class HealthUnavailable(msgspec.Struct, kw_only=True):
    """The 503 body: the error shape every error has, plus the health report."""

    error: bool
    code: str
    message: str
    version: str
    timestamp: datetime
    request_id: str
    details: dict[str, Any]
    status: OverallStatus
    services: dict[str, ServiceStatus]
    response_time: int


class HealthService:
    def __init__(
        self,
        database: Database,
        timeout: float,
        redis_check: Callable[[], Awaitable[None]] | None = None,
        database_ready: Callable[[], bool] | None = None,
    ) -> None:
        self.database = database
        self.timeout = timeout
        self.redis_check = redis_check
        # False while `serve` is still migrating (kit/startup.py): the database is not usable yet.
        self.database_ready = database_ready

    async def _probe(self, name: str, check: Callable[[], Awaitable[None]]) -> ServiceStatus:
        try:
            async with asyncio.timeout(self.timeout):
                await check()
        except Exception as exc:  # any failure, including the timeout, means the service is down
            logger.warning("%s health check failed: %r", name, exc)
            return "down"
        return "healthy"

    async def check(self) -> HealthCheck200Response:
        started = time.perf_counter()

        database_status: ServiceStatus = "down"
        if self.database_ready is None or self.database_ready():
            database_status = await self._probe("database", self.database.ping)
        redis_status: ServiceStatus = "disabled"
        if self.redis_check is not None:
            redis_status = await self._probe("redis", self.redis_check)

        overall: OverallStatus = "healthy"
        if database_status == "down":
            overall = "down"
        elif redis_status == "down":
            overall = "degraded"
        return HealthCheck200Response(
            status=overall,
            timestamp=utcnow(),
            version=API_VERSION,
            services={"database": database_status, "redis": redis_status, "api": "healthy"},
            response_time=round((time.perf_counter() - started) * 1000),
        )
