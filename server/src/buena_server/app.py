"""The application factory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from redis.asyncio import ConnectionPool, Redis

from buena_server import __version__
from buena_server.auth.cache import KeyCache, KeyVersions
from buena_server.auth.middleware import (
    EXCLUDE_OPT_KEY,
    ApiKeyAuthenticationMiddleware,
    AuthServices,
)
from buena_server.auth.usage import KeyUsageTracker
from buena_server.config import RateLimitStrategy, Settings, get_settings
from buena_server.db import open_database, provide_connection
from buena_server.errors import handle_exception
from buena_server.health.controller import health_check
from buena_server.health.service import HealthService
from buena_server.hot_paths import HotPaths
from buena_server.http_hooks import add_response_headers, allowed_methods_by_path, require_json_body
from buena_server.idempotency import IdempotencyMiddleware, keep_rendered_answer
from buena_server.idempotency.openapi import document_idempotency
from buena_server.idempotency.setup import build_idempotency, purge_forever
from buena_server.idempotency.setup import stop as stop_idempotency
from buena_server.keys.controller import ApiKeyController
from buena_server.keys.schemas import CreateApiKeyRequest
from buena_server.leads.controller import LeadController
from buena_server.leads.schemas import CreateLeadRequest, UpdateLeadRequest
from buena_server.openapi_docs import (
    BASE_PATH,
    close_request_schemas,
    openapi_config,
    openapi_json,
)
from buena_server.ratelimit import FIXED_WINDOWS_SCRIPT, RateLimitService, parse_rate_limits
from buena_server.redis_script import ScriptClient


def _redis_pool(settings: Settings) -> ConnectionPool | None:
    if settings.redis_url is None:
        return None
    timeout = settings.redis_timeout_seconds
    return ConnectionPool.from_url(
        settings.redis_url, socket_timeout=timeout, socket_connect_timeout=timeout
    )


def _rate_limiter(
    settings: Settings, redis_pool: ConnectionPool | None
) -> tuple[RateLimitService | None, ScriptClient | None]:
    items = parse_rate_limits(settings.rate_limits)
    if not items:
        return None, None
    script = None
    if settings.redis_url and settings.rate_limit_strategy is RateLimitStrategy.FIXED_WINDOW:
        script = ScriptClient(
            settings.redis_url, FIXED_WINDOWS_SCRIPT, timeout=settings.redis_timeout_seconds
        )
    service = RateLimitService(
        items, settings.rate_limit_strategy, redis_pool, settings.redis_key_prefix, script
    )
    return service, script


class BuenaApp(Litestar):
    """The Litestar app, with the hot paths (hot_paths.py) in front of its router."""

    hot_paths: HotPaths | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self.hot_paths is not None and scope["type"] == "http":
            await self.hot_paths(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)

    async def litestar_call(self, scope: Any, receive: Any, send: Any) -> None:
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    database = open_database(
        settings.database_url,
        pool_size=settings.database_pool_size,
        timeout=settings.database_timeout_seconds,
    )
    key_usage = KeyUsageTracker()
    redis_pool = _redis_pool(settings)
    rate_limiter, limit_script = _rate_limiter(settings, redis_pool)
    redis_check = None
    if redis_pool is not None:
        pool = redis_pool

        async def redis_check() -> None:
            await Redis(connection_pool=pool).ping()
            if rate_limiter is not None:
                rate_limiter.shared_is_back()

    key_cache = KeyCache()
    idempotency = build_idempotency(settings, database)
    state = State(
        {
            "settings": settings,
            "database": database,
            "key_usage": key_usage,
            "rate_limiter": rate_limiter,
            "key_cache": key_cache,
            "auth": AuthServices(database, key_cache, rate_limiter, key_usage),
            "key_versions": (
                KeyVersions(redis_pool, settings.redis_key_prefix) if redis_pool else None
            ),
            "health": HealthService(database, settings.health_timeout_seconds, redis_check),
            "idempotency": idempotency,
        }
    )

    @asynccontextmanager
    async def lifespan(_app: Litestar) -> AsyncIterator[None]:
        await database.start()
        flusher = asyncio.create_task(key_usage.run(database, settings.key_usage_flush_seconds))
        purger = asyncio.create_task(purge_forever(idempotency.store))
        try:
            yield
        finally:
            await stop_idempotency(idempotency.store, purger)
            await key_usage.stop(database, flusher)
            await database.close()
            if limit_script is not None:
                await limit_script.close()
            if redis_pool is not None:
                await redis_pool.aclose()

    public = Router(path=BASE_PATH, route_handlers=[health_check, openapi_json])
    api = Router(
        path=BASE_PATH,
        route_handlers=[LeadController, ApiKeyController],
        middleware=[
            DefineMiddleware(ApiKeyAuthenticationMiddleware, exclude_from_auth_key=EXCLUDE_OPT_KEY),
            IdempotencyMiddleware,
        ],
        security=[{"ApiKeyAuth": []}],
        before_request=require_json_body,
        after_request=keep_rendered_answer,
    )
    app = BuenaApp(
        route_handlers=[public, api],
        dependencies={
            "conn": Provide(provide_connection),
        },
        exception_handlers={Exception: handle_exception},
        before_send=[add_response_headers],
        request_max_body_size=settings.max_body_bytes,
        openapi_config=openapi_config(),
        lifespan=[lifespan],
        state=state,
        debug=False,
    )
    app.state.allowed_methods = allowed_methods_by_path(
        [(route.path, route.methods) for route in app.routes]
    )
    close_request_schemas(app, CreateLeadRequest, UpdateLeadRequest, CreateApiKeyRequest)
    document_idempotency(app)
    if settings.hot_paths:
        app.hot_paths = HotPaths(
            app.state, app.litestar_call, max_body_bytes=settings.max_body_bytes
        )
    return app


__all__ = ["BASE_PATH", "__version__", "create_app"]
