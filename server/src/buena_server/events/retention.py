"""Events are kept ``BUENA_EVENTS_RETENTION_DAYS``: a background task in every process
deletes older ones now and then, a batch per transaction (short write locks)."""

from __future__ import annotations

import logging
from datetime import timedelta

from buena_server.events.repository import EventRepository
from buena_server.kit import clock, retention
from buena_server.kit.driver import Database

logger = logging.getLogger("buena_server.events")

PURGE_BATCH = 1000


async def purge_expired(database: Database, retention_days: int) -> int:
    """Delete the events older than the retention; how many."""
    cutoff = clock.utcnow() - timedelta(days=retention_days)
    return await retention.purge_in_batches(
        database, lambda conn, *limits: EventRepository(conn).purge(*limits), cutoff, PURGE_BATCH
    )


async def purge_forever(database: Database, retention_days: int) -> None:
    """``purge_expired`` now and then, until cancelled."""
    await retention.purge_forever("events", lambda: purge_expired(database, retention_days), logger)
