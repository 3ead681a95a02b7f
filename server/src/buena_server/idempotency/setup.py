"""The idempotency service as the settings ask for it, and its background purge."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from buena_server.config import IdempotencyStoreKind, Settings
from buena_server.idempotency.layer import Idempotency
from buena_server.idempotency.redis_store import RedisStore
from buena_server.idempotency.store import DatabaseStore, IdempotencyStore
from buena_server.kit import retention
from buena_server.kit.driver import Database
from buena_server.kit.redis_script import RedisLink

logger = logging.getLogger("buena_server.idempotency")

# How often expired answers are deleted from the database (Redis expires its own).
PURGE_EVERY_SECONDS = 600.0


def build_idempotency(
    settings: Settings, database: Database, redis: RedisLink | None
) -> Idempotency:
    kind = settings.idempotency_store
    store: IdempotencyStore
    times = {
        "ttl_seconds": settings.idempotency_ttl_seconds,
        "lease_seconds": settings.idempotency_lease_seconds,
    }
    if redis is not None and kind is not IdempotencyStoreKind.DATABASE:
        store = RedisStore(redis, settings.redis_key_prefix, **times)
    else:
        store = DatabaseStore(database, **times)
    return Idempotency(store, max_body_bytes=settings.max_body_bytes)


async def purge_forever(store: IdempotencyStore, every: float = PURGE_EVERY_SECONDS) -> None:
    """Delete expired answers now and then (the first time at once), until cancelled."""
    await retention.purge_forever(
        "idempotency keys", store.purge, logger, every=every, first_after=0
    )


async def stop(store: IdempotencyStore, purger: asyncio.Task[None]) -> None:
    purger.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await purger
    await store.close()
