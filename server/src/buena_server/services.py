"""The app's services: everything ``create_app`` builds once and the request code reads.

One typed object in Litestar's app state under one key (``SERVICES_KEY``), read through
``services_of``, so mypy checks every use; Litestar's ``State`` itself is untyped (attribute
access by name). The hot paths read what they need once, at construction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec
from litestar import Litestar
from litestar.datastructures import State
from litestar.middleware import DefineMiddleware

if TYPE_CHECKING:
    from litestar.handlers import BaseRouteHandler

    from buena_server.auth.cache import KeyCache, KeyVersions
    from buena_server.auth.middleware import AuthServices
    from buena_server.auth.usage import KeyUsageTracker
    from buena_server.config import Settings
    from buena_server.enrichment.registry import ProviderRegistry
    from buena_server.health.service import HealthService
    from buena_server.idempotency import Idempotency
    from buena_server.kit.blobs import BlobStore
    from buena_server.kit.driver import Database
    from buena_server.kit.metrics import Metrics, MetricsListener
    from buena_server.kit.query_rules import QueryRules
    from buena_server.kit.ratelimit import RateLimitService
    from buena_server.linkedin.registry import ExecutorRegistry
    from buena_server.voice.engine import VoiceEngine
    from buena_server.webhooks.sender import WebhookSender

SERVICES_KEY = "services"


class OpenApiJson:
    """The app's OpenAPI document as JSON, encoded on first use (served by
    ``kit.openapi_docs.openapi_json``), and the steps that finish the document when it is
    first built (``kit.openapi_docs.finish_document_when_built``; None once they ran)."""

    __slots__ = ("_encoded", "finish")

    def __init__(self) -> None:
        self._encoded: bytes | None = None
        self.finish: Callable[[Litestar], None] | None = None

    def of(self, app: Litestar) -> bytes:
        if self._encoded is None:
            self._encoded = msgspec.json.encode(app.openapi_schema.to_schema())
        return self._encoded


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    database: Database
    key_usage: KeyUsageTracker
    rate_limiter: RateLimitService | None
    key_cache: KeyCache
    auth: AuthServices
    key_versions: KeyVersions | None
    health: HealthService
    metrics: Metrics | None
    metrics_listener: MetricsListener | None
    idempotency: Idempotency
    webhook_sender: WebhookSender
    enrichment_providers: ProviderRegistry
    linkedin_executors: ExecutorRegistry
    # Voice samples and previews (BUENA_STORAGE_URL).
    blobs: BlobStore
    # The engine previews are synthesised with (BUENA_VOICE_ENGINE), loaded once.
    voice_engine: VoiceEngine
    # Built from the app's routes, once the app exists.
    allowed_methods: dict[str, str]
    query_rules: dict[BaseRouteHandler, QueryRules]
    openapi_json: OpenApiJson
    # The queue's worker (a queue.Worker, read through app.worker_of: the queue's handlers
    # are given these services, so naming its type here would make an import cycle), when
    # this process runs one.
    worker: object | None = None


class SharedMiddleware(DefineMiddleware):
    """A middleware given some of the app's services: Litestar deep-copies a router when it
    is registered, middleware arguments included, and the services (a database pool, Redis
    clients) are shared, not copied."""

    def __deepcopy__(self, memo: dict[int, Any]) -> SharedMiddleware:
        return self


def services_of(owner: Litestar | State) -> Services:
    """The app's services, from the app (``request.app``, ``scope["litestar_app"]``) or its
    state."""
    state = owner.state if isinstance(owner, Litestar) else owner
    services: Services = state[SERVICES_KEY]
    return services
