"""The loop every kept-for-a-while table shares (events, jobs): purge what has expired now
and then, in every server process, until cancelled; a failed purge (the database down)
is logged and tried again next time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from buena_server.kit.driver import Connection, Database

PURGE_EVERY_SECONDS = 600.0
# The first purge waits this long after start: start-up has its own work for the database.
FIRST_PURGE_AFTER_SECONDS = 60.0


async def purge_in_batches(
    database: Database,
    delete: Callable[[Connection, datetime, int], Awaitable[int]],
    cutoff: datetime,
    batch: int,
) -> int:
    """``delete(conn, cutoff, batch)`` (one statement deleting up to ``batch`` rows older
    than ``cutoff``) in a transaction of its own until a batch comes back short, so that no
    write lock is held long; how many rows in all."""
    purged = 0
    while True:
        async with database.transaction(write=True, single_write=True) as conn:
            deleted = await delete(conn, cutoff, batch)
        purged += deleted
        if deleted < batch:
            return purged


async def purge_forever(
    what: str,
    purge: Callable[[], Awaitable[int]],
    logger: logging.Logger,
    *,
    every: float = PURGE_EVERY_SECONDS,
    first_after: float = FIRST_PURGE_AFTER_SECONDS,
) -> None:
    """``purge()`` (how many ``what`` it deleted) now and then, until cancelled."""
    await asyncio.sleep(first_after)
    while True:
        try:
            purged = await purge()
        except Exception as exc:  # the database is down: next time
            logger.warning("could not purge expired %s: %r", what, exc)
        else:
            if purged:
                logger.info("purged %d expired %s", purged, what)
        await asyncio.sleep(every)
