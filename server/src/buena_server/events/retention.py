"""Events are kept ``BUENA_EVENTS_RETENTION_DAYS``: a background task in every process
deletes older ones now and then, a batch per transaction (short write locks)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from buena_server.events.repository import EventRepository
from buena_server.kit import clock
from buena_server.kit.driver import Database

logger = logging.getLogger("buena_server.events")

PURGE_EVERY_SECONDS = 600.0
# The first purge waits this long after start: start-up has its own work for the database.
FIRST_PURGE_AFTER_SECONDS = 60.0
PURGE_BATCH = 1000


async def purge_expired(database: Database, retention_days: int) -> int:
    """Delete the events older than the retention; how many."""
    cutoff = clock.utcnow() - timedelta(days=retention_days)
    purged = 0
    while True:
        async with database.transaction(write=True, single_write=True) as conn:
            deleted = await EventRepository(conn).purge(cutoff, PURGE_BATCH)
        purged += deleted
        if deleted < PURGE_BATCH:
            return purged


async def purge_forever(
    database: Database,
    retention_days: int,
    every: float = PURGE_EVERY_SECONDS,
    first_after: float = FIRST_PURGE_AFTER_SECONDS,
) -> None:
    """``purge_expired`` now and then, until cancelled."""
    await asyncio.sleep(first_after)
    while True:
        try:
            purged = await purge_expired(database, retention_days)
        except Exception as exc:  # the database is down, or not migrated yet: next time
            logger.warning("could not purge expired events: %r", exc)
        else:
            if purged:
                logger.info("purged %d events older than %d days", purged, retention_days)
        await asyncio.sleep(every)
