"""The application factory."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgspec
from litestar import Litestar, MediaType, Request, Response, Router, get
from litestar.datastructures import MutableScopeHeaders, State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme, Tag
from litestar.types import Message, Scope
from redis.asyncio import ConnectionPool, Redis

from buena_server import API_VERSION, __version__
from buena_server.auth.middleware import EXCLUDE_OPT_KEY, ApiKeyAuthenticationMiddleware
from buena_server.auth.usage import KeyUsageTracker
from buena_server.config import Settings, get_settings
from buena_server.db import create_engine, provide_connection
from buena_server.dependencies import provide_principal, provide_validation_context
from buena_server.errors import InvalidJson, NotFound, UnsupportedMediaType, handle_exception
from buena_server.health.controller import health_check
from buena_server.health.service import HealthService
from buena_server.keys.controller import ApiKeyController
from buena_server.keys.schemas import CreateApiKeyRequest
from buena_server.leads.controller import LeadController
from buena_server.leads.schemas import CreateLeadRequest, UpdateLeadRequest
from buena_server.ratelimit import (
    HEADERS_STATE_KEY,
    RateLimitMiddleware,
    RateLimitService,
    parse_rate_limits,
)
from buena_server.request_id import add_request_id_header

BASE_PATH = "/api/v2"
DOCS_PATH = f"{BASE_PATH}/docs"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


async def require_json_body(request: Request[Any, Any, Any]) -> None:
    """415 for a body that is not declared as JSON (before it is parsed)."""
    if request.method not in _BODY_METHODS:
        return
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType(
            "Send the request body as JSON with 'Content-Type: application/json'",
            details={"content_type": media_type or None},
        )
    if not (await request.body()).strip():
        raise InvalidJson("A JSON request body is required")


async def add_response_headers(message: Message, scope: Scope) -> None:
    """Every response: X-Request-ID; every authenticated one: the X-RateLimit-* headers."""
    await add_request_id_header(message, scope)
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in scope.get("state", {}).get(HEADERS_STATE_KEY, {}).items():
        headers[name] = value
    if scope.get("method") == "OPTIONS" and message["status"] == 204:
        # Litestar's automatic OPTIONS handler can list only the methods of the first handler
        # registered on a path; answer with every method the path really has.
        template = _untyped(str(scope.get("path_template", "")))
        allowed = scope["litestar_app"].state.allowed_methods.get(template)
        if allowed:
            headers["allow"] = allowed


def _untyped(path: str) -> str:
    """``/leads/{lead_id:str}`` → ``/leads/{lead_id}``."""
    return re.sub(r"\{(\w+):[^}]*\}", r"{\1}", path)


def _close_request_schemas(app: Litestar, *structs: type[msgspec.Struct]) -> None:
    """Document ``additionalProperties: false`` for bodies that refuse unknown fields."""
    components = app.openapi_schema.components.schemas or {}
    for struct in structs:
        schema = components.get(struct.__name__)
        if schema is not None and struct.__struct_config__.forbid_unknown_fields:
            schema.additional_properties = False


@get("/openapi.json", include_in_schema=False, sync_to_thread=False)
def openapi_json(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The OpenAPI document (also at /api/v2/docs/openapi.json, where Swagger UI reads it),
    encoded once per process: the schema cannot change while the process runs."""
    state = request.app.state
    if state.get("openapi_json") is None:
        state.openapi_json = msgspec.json.encode(request.app.openapi_schema.to_schema())
    return Response(state.openapi_json, media_type=MediaType.JSON)


def _json_not_found(response: Response[Any]) -> Response[Any]:
    """Litestar's schema router answers unknown paths below it with an HTML 404 page; turn
    that into our JSON error like every other unknown route."""
    if response.status_code == 404:
        raise NotFound("No such endpoint")
    return response


def _openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Buena API",
        version=API_VERSION,
        description="Lead management, API keys and health. Every error has the same JSON shape "
        "(`error`, `code`, `message`, `version`, `timestamp`, `request_id`, `details`).",
        # Litestar's schema router also catches every unknown single-segment path below its
        # own path; it lives under /docs so that /api/v2/<anything else> stays ours (404,
        # not 405). /api/v2/openapi.json is served by `openapi_json` below.
        path=DOCS_PATH,
        render_plugins=[SwaggerRenderPlugin(path="/")],
        openapi_router=Router(
            path=DOCS_PATH,
            route_handlers=[],
            include_in_schema=False,
            after_request=_json_not_found,
        ),
        components=Components(
            security_schemes={
                "ApiKeyAuth": SecurityScheme(
                    type="apiKey",
                    name="x-api-key",
                    security_scheme_in="header",
                    description="An API key (bna_...). `Authorization: Bearer <key>` also works.",
                )
            }
        ),
        tags=[
            Tag(name="Leads", description="Lead management"),
            Tag(name="API Keys", description="API keys and their permissions"),
            Tag(name="System", description="Health"),
        ],
        use_handler_docstrings=False,
    )


def _redis_pool(settings: Settings) -> ConnectionPool | None:
    if settings.redis_url is None:
        return None
    timeout = settings.redis_timeout_seconds
    return ConnectionPool.from_url(
        settings.redis_url, socket_timeout=timeout, socket_connect_timeout=timeout
    )


def _rate_limiter(settings: Settings, redis_pool: ConnectionPool | None) -> RateLimitService | None:
    items = parse_rate_limits(settings.rate_limits)
    if not items:
        return None
    return RateLimitService(
        items, settings.rate_limit_strategy, redis_pool, settings.redis_key_prefix
    )


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    engine = create_engine(
        settings.database_url,
        pool_size=settings.database_pool_size,
        timeout=settings.database_timeout_seconds,
    )
    key_usage = KeyUsageTracker()
    redis_pool = _redis_pool(settings)
    rate_limiter = _rate_limiter(settings, redis_pool)
    redis_check = None
    if redis_pool is not None:
        pool = redis_pool

        async def redis_check() -> None:
            await Redis(connection_pool=pool).ping()
            if rate_limiter is not None:
                rate_limiter.shared_is_back()

    state = State(
        {
            "settings": settings,
            "engine": engine,
            "key_usage": key_usage,
            "rate_limiter": rate_limiter,
            "health": HealthService(engine, settings.health_timeout_seconds, redis_check),
        }
    )

    @asynccontextmanager
    async def lifespan(_app: Litestar) -> AsyncIterator[None]:
        flusher = asyncio.create_task(key_usage.run(engine, settings.key_usage_flush_seconds))
        try:
            yield
        finally:
            await key_usage.stop(engine, flusher)
            await engine.dispose()
            if redis_pool is not None:
                await redis_pool.aclose()

    public = Router(path=BASE_PATH, route_handlers=[health_check, openapi_json])
    api = Router(
        path=BASE_PATH,
        route_handlers=[LeadController, ApiKeyController],
        middleware=[
            DefineMiddleware(ApiKeyAuthenticationMiddleware, exclude_from_auth_key=EXCLUDE_OPT_KEY),
            RateLimitMiddleware,
        ],
        security=[{"ApiKeyAuth": []}],
        before_request=require_json_body,
    )
    app = Litestar(
        route_handlers=[public, api],
        dependencies={
            "conn": Provide(provide_connection),
            "principal": Provide(provide_principal, sync_to_thread=False),
            "validation_context": Provide(provide_validation_context, sync_to_thread=False),
        },
        exception_handlers={Exception: handle_exception},
        before_send=[add_response_headers],
        request_max_body_size=settings.max_body_bytes,
        openapi_config=_openapi_config(),
        lifespan=[lifespan],
        state=state,
        debug=False,
    )
    app.state.allowed_methods = {
        _untyped(route.path): ", ".join(sorted(route.methods)) for route in app.routes
    }
    _close_request_schemas(app, CreateLeadRequest, UpdateLeadRequest, CreateApiKeyRequest)
    return app


__all__ = ["BASE_PATH", "__version__", "create_app"]
