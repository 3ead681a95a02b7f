"""The application factory."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any, cast

from litestar import Litestar, Router
from litestar.di import Provide
from redis.asyncio import ConnectionPool, Redis

from buena_server import __version__
from buena_server.activities.controller import LeadActivityController
from buena_server.auth.cache import KeyCache, KeyVersions
from buena_server.auth.failures import auth_failure_guard
from buena_server.auth.middleware import (
    EXCLUDE_OPT_KEY,
    ApiKeyAuthenticationMiddleware,
    AuthServices,
    end_with,
)
from buena_server.auth.usage import KeyUsageTracker
from buena_server.config import Settings, get_settings
from buena_server.credits.controller import CreditController
from buena_server.enrichment.controller import EnrichmentController, document_enrich_request
from buena_server.enrichment.registry import ProviderRegistry, ProviderSettings
from buena_server.enrichment.schemas import EnrichRequest
from buena_server.errors import handle_exception
from buena_server.events.controller import EventController
from buena_server.events.retention import purge_forever as purge_events_forever
from buena_server.health.controller import health_check
from buena_server.health.service import HealthService
from buena_server.idempotency import IdempotencyMiddleware, keep_rendered_answer
from buena_server.idempotency.openapi import document_idempotency
from buena_server.idempotency.setup import build_idempotency, purge_forever
from buena_server.idempotency.setup import stop as stop_idempotency
from buena_server.jobs.controller import JobController
from buena_server.jobs.retention import purge_forever as purge_jobs_forever
from buena_server.keys.controller import ApiKeyController
from buena_server.keys.schemas import CreateApiKeyRequest
from buena_server.kit.access_log import AccessLog
from buena_server.kit.asgi import ASGIHandler, Receive, Scope, Send
from buena_server.kit.blobs import open_blob_store
from buena_server.kit.cors import cors_policy
from buena_server.kit.db import open_database
from buena_server.kit.dependencies import provide_connection
from buena_server.kit.front import FrontDoor
from buena_server.kit.hot_paths import HotPaths
from buena_server.kit.http_hooks import (
    allowed_methods_by_path,
    check_api_request,
    check_query,
)
from buena_server.kit.http_limits import HeaderLimits
from buena_server.kit.metrics import Metrics, MetricsListener, metrics_endpoint
from buena_server.kit.openapi_docs import (
    BASE_PATH,
    close_request_schemas,
    document_locations,
    finish_document_when_built,
    openapi_config,
    openapi_json,
)
from buena_server.kit.query_rules import QueryRules
from buena_server.kit.ratelimit import FIXED_WINDOWS_SCRIPT, RateLimitService
from buena_server.kit.ratelimit_rules import RateLimitStrategy, parse_rate_limits
from buena_server.kit.redis_connection import RedisEndpoint
from buena_server.kit.redis_script import RedisLink, ScriptClient
from buena_server.kit.startup import Startup
from buena_server.leads.controller import LeadController
from buena_server.leads.examples import document_batch_and_export
from buena_server.leads.schemas import BatchLeadsRequest, CreateLeadRequest, UpdateLeadRequest
from buena_server.linkedin.controller import (
    HostedLinkedInController,
    LinkedInActionController,
    LinkedInIntegrationController,
    document_linkedin,
)
from buena_server.linkedin.registry import ExecutorRegistry, executor_settings
from buena_server.openapi_examples import document_examples
from buena_server.prospects.controller import ProspectListController, document_csv_import
from buena_server.prospects.schemas import CreateProspectListRequest, ScheduleProspectListRequest
from buena_server.queue import Worker
from buena_server.queue.setup import build_worker
from buena_server.services import (
    SERVICES_KEY,
    OpenApiJson,
    Services,
    SharedMiddleware,
    services_of,
)
from buena_server.tasks import task_registry
from buena_server.voice.controller import (
    VoiceCloneController,
    document_voice_preview,
    document_voice_upload,
    voice_upload_controller,
)
from buena_server.voice.engine import close_engine, load_engine
from buena_server.voice.schemas import PreviewVoiceCloneRequest, UpdateVoiceCloneRequest
from buena_server.webhooks.controller import WebhookController
from buena_server.webhooks.schemas import (
    CreateWebhookRequest,
    RotateWebhookSecretRequest,
    UpdateWebhookRequest,
)
from buena_server.webhooks.sender import WebhookSender


def _rate_limiter(
    settings: Settings, redis: RedisLink | None, redis_pool: ConnectionPool | None
) -> RateLimitService | None:
    items = parse_rate_limits(settings.rate_limits)
    if not items:
        return None
    script = None
    if redis is not None and settings.rate_limit_strategy is RateLimitStrategy.FIXED_WINDOW:
        script = ScriptClient(redis, FIXED_WINDOWS_SCRIPT)
    return RateLimitService(
        items, settings.rate_limit_strategy, redis_pool, settings.redis_key_prefix, script
    )


def front_door(app: Litestar) -> FrontDoor:
    """The app's front door: every HTTP request enters through it (``create_app``)."""
    handler = app.asgi_handler
    assert isinstance(handler, FrontDoor), handler
    return handler


def worker_of(app: Litestar) -> Worker | None:
    """The queue's worker, when this process runs one (``BUENA_WORKER_IN_SERVE``)."""
    worker = services_of(app).worker
    assert worker is None or isinstance(worker, Worker), worker
    return worker


def hot_paths_of(app: Litestar) -> HotPaths | None:
    """The hot paths behind the front door, or None when they are off."""
    behind = front_door(app).app
    return behind if isinstance(behind, HotPaths) else None


def create_app(settings: Settings | None = None, *, startup: Startup | None = None) -> Litestar:
    """The app; with ``startup`` (``serve``), it prepares its database in the background and
    answers 503 until that is done."""
    settings = settings or get_settings()
    database = open_database(
        settings.database_url,
        pool_size=settings.database_pool_size,
        timeout=settings.database_timeout_seconds,
        max_idle=settings.database_max_idle_seconds,
    )
    key_usage = KeyUsageTracker()
    # BUENA_REDIS_URL read once, for every Redis user (redis_connection.py).
    redis = (
        RedisEndpoint.from_url(settings.redis_url, settings.redis_timeout_seconds)
        if settings.redis_url is not None
        else None
    )
    redis_pool = redis.pool() if redis is not None else None
    # The per-request scripts (rate limits, idempotency claims) share one pipelined connection.
    redis_link = RedisLink(redis) if redis is not None else None
    rate_limiter = _rate_limiter(settings, redis_link, redis_pool)
    redis_check = None
    if redis_pool is not None:
        pool = redis_pool

        async def redis_check() -> None:
            await Redis(connection_pool=pool).ping()
            if rate_limiter is not None:
                rate_limiter.shared_is_back()

    key_cache = KeyCache()
    metrics = Metrics(database, rate_limiter) if settings.metrics else None
    metrics_listener = (
        MetricsListener(metrics, settings.metrics_host, settings.metrics_port)
        if metrics is not None and settings.metrics_port is not None
        else None
    )
    idempotency = build_idempotency(settings, database, redis_link)
    auth = AuthServices(
        database, key_cache, rate_limiter, key_usage, auth_failure_guard(settings, redis_pool)
    )
    key_versions = KeyVersions(redis_pool, settings.redis_key_prefix) if redis_pool else None
    webhook_sender = WebhookSender(
        allow_private=settings.webhooks_allow_private,
        connect_timeout=settings.webhooks_connect_timeout_seconds,
        timeout=settings.webhooks_timeout_seconds,
        user_agent=f"Buena-Webhooks/{__version__}",
        max_connections=max(100, settings.queue_concurrency),
    )
    enrichment_providers = ProviderRegistry.load(
        ProviderSettings(
            default_phone_region=settings.default_phone_region,
            dns=settings.enrichment_dns,
            http_providers=tuple(settings.enrichment_http_providers),
        ),
        settings.enrichment_costs,
    )
    blobs = open_blob_store(settings.storage_url)
    voice_engine = load_engine(settings.voice_engine)
    health = HealthService(
        database,
        settings.health_timeout_seconds,
        redis_check,
        database_ready=(lambda: startup.ready) if startup is not None else None,
    )

    @asynccontextmanager
    async def lifespan(_app: Litestar) -> AsyncIterator[None]:
        await database.start()
        if metrics_listener is not None:
            metrics_listener.start()
        preparing = asyncio.create_task(startup.run(database)) if startup is not None else None
        flusher = asyncio.create_task(key_usage.run(database, settings.key_usage_flush_seconds))
        purger = asyncio.create_task(_when_ready(startup, purge_forever(idempotency.store)))
        working = asyncio.create_task(_start_worker(worker, startup))
        events_purger = asyncio.create_task(
            _when_ready(startup, purge_events_forever(database, settings.events_retention_days))
        )
        jobs_purger = asyncio.create_task(
            _when_ready(startup, purge_jobs_forever(database, settings.jobs_retention_days))
        )
        try:
            yield
        finally:
            if startup is not None and preparing is not None:
                await startup.stop(preparing)
            for task in (working, events_purger, jobs_purger):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if worker is not None:
                # Running jobs get the shutdown timeout to finish; the rest are released.
                await worker.stop(grace=settings.shutdown_timeout_seconds)
            if metrics_listener is not None:
                await metrics_listener.stop()
            await stop_idempotency(idempotency.store, purger)
            await key_usage.stop(database, flusher)
            await webhook_sender.close()
            await enrichment_providers.aclose()
            await blobs.close()
            await close_engine(voice_engine)
            await database.close()
            if redis_link is not None:
                await redis_link.close()
            if redis_pool is not None:
                await redis_pool.aclose()

    public = Router(
        path=BASE_PATH, route_handlers=[health_check, openapi_json], before_request=check_query
    )
    # /metrics beside the API, unless it has a listener of its own (or is off).
    operator = (
        [metrics_endpoint(metrics)] if metrics is not None and metrics_listener is None else []
    )
    api = Router(
        path=BASE_PATH,
        route_handlers=[
            LeadController,
            LeadActivityController,
            ApiKeyController,
            WebhookController,
            EventController,
            CreditController,
            EnrichmentController,
            JobController,
            LinkedInIntegrationController,
            LinkedInActionController,
            HostedLinkedInController,
            ProspectListController,
            VoiceCloneController,
            voice_upload_controller(settings),
        ],
        middleware=[
            SharedMiddleware(
                ApiKeyAuthenticationMiddleware, auth=auth, exclude_from_auth_key=EXCLUDE_OPT_KEY
            ),
            SharedMiddleware(IdempotencyMiddleware, service=idempotency),
        ],
        security=[{"ApiKeyAuth": []}],
        before_request=check_api_request,
        after_request=keep_rendered_answer,
    )
    app = Litestar(
        route_handlers=[public, api, *operator],
        dependencies={
            "conn": Provide(provide_connection),
        },
        exception_handlers={Exception: handle_exception},
        request_max_body_size=settings.max_body_bytes,
        openapi_config=openapi_config(),
        lifespan=[lifespan],
        debug=False,
        logging_config=None,  # `serve` configures logging (access_log.logging_config)
    )
    services = Services(
        settings=settings,
        database=database,
        key_usage=key_usage,
        rate_limiter=rate_limiter,
        key_cache=key_cache,
        auth=auth,
        key_versions=key_versions,
        health=health,
        metrics=metrics,
        metrics_listener=metrics_listener,
        idempotency=idempotency,
        webhook_sender=webhook_sender,
        enrichment_providers=enrichment_providers,
        linkedin_executors=ExecutorRegistry.load(executor_settings(settings)),
        blobs=blobs,
        voice_engine=voice_engine,
        allowed_methods=allowed_methods_by_path(
            [(route.path, route.methods) for route in app.routes]
        ),
        query_rules=QueryRules.of_routes(app.routes),
        openapi_json=OpenApiJson(),
    )
    # The queue's worker (queue/), unless this process serves the API only.
    worker = build_worker(services, task_registry()) if settings.worker_in_serve else None
    services = dataclasses.replace(services, worker=worker)
    if worker is not None:
        worker.services = services  # its handlers are given the app's services, worker included
    app.state[SERVICES_KEY] = services
    if metrics is not None:
        metrics.worker = worker
    finish_document_when_built(app, functools.partial(_finish_document, services=services))
    # Every HTTP request: Litestar's entry (the app in the scope), then the front door (an
    # ASGI middleware in place of Litestar's own handler), then the hot paths, which hand
    # everything but their successful cases to Litestar's router and exception handling.
    router = cast(ASGIHandler, app.asgi_handler)
    inner: ASGIHandler = router
    if settings.hot_paths:
        inner = HotPaths(services, router, max_body_bytes=settings.max_body_bytes)
    front = FrontDoor(
        inner,
        others=router,
        limits=HeaderLimits(settings.max_header_bytes, settings.max_header_count),
        cors=cors_policy(settings.cors_origins),
        metrics=metrics,
        access_log=AccessLog(),
    )
    if startup is not None:
        _serve_when_ready(front, startup, router)
    app.asgi_handler = cast(Any, front)
    return app


def _finish_document(app: Litestar, *, services: Services) -> None:
    """What the OpenAPI document says beyond what Litestar writes (run once, when the
    document is first read: ``finish_document_when_built``)."""
    close_request_schemas(
        app,
        CreateLeadRequest,
        UpdateLeadRequest,
        BatchLeadsRequest,
        CreateApiKeyRequest,
        CreateWebhookRequest,
        UpdateWebhookRequest,
        RotateWebhookSecretRequest,
        EnrichRequest,
        CreateProspectListRequest,
        ScheduleProspectListRequest,
        UpdateVoiceCloneRequest,
        PreviewVoiceCloneRequest,
    )
    document_enrich_request(app)
    document_batch_and_export(app)
    document_linkedin(app, services.linkedin_executors.names())
    document_csv_import(app)
    document_voice_upload(app)
    document_voice_preview(app)
    document_locations(app)
    document_idempotency(app)
    document_examples(app)


async def _when_ready(startup: Startup | None, work: Coroutine[Any, Any, None]) -> None:
    """Run ``work`` once the database is ready (migrated: its tables exist)."""
    try:
        if startup is not None and not startup.ready:
            ready = asyncio.Event()
            startup.when_ready(ready.set)
            await ready.wait()
    except BaseException:
        work.close()  # never started
        raise
    await work


async def _start_worker(worker: Worker | None, startup: Startup | None) -> None:
    """Start the worker once the database is ready (the jobs table exists)."""
    if worker is not None:
        await _when_ready(startup, worker.start())


def _serve_when_ready(front: FrontDoor, startup: Startup, router: ASGIHandler) -> None:
    """Until ``startup`` is done, every request goes to Litestar, the API's with a 503."""
    ready = front.app

    async def starting(scope: Scope, receive: Receive, send: Send) -> None:
        end_with(scope, startup.unavailable())  # every authenticated route: 503
        await router(scope, receive, send)

    def open_up() -> None:
        front.app = ready

    front.app = starting
    startup.when_ready(open_up)


__all__ = ["BASE_PATH", "__version__", "create_app"]
