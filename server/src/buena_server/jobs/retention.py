"""Finished jobs are kept ``BUENA_JOBS_RETENTION_DAYS`` after they finish, with their
results: a background task in every process deletes older ones now and then, a few jobs
per transaction (a job's result may hold thousands of lines)."""

from __future__ import annotations

import logging
from datetime import timedelta

from buena_server.jobs.repository import BackgroundJobRepository
from buena_server.kit import clock, retention
from buena_server.kit.driver import Database

logger = logging.getLogger("buena_server.jobs")

PURGE_BATCH = 10


async def purge_expired(database: Database, retention_days: int) -> int:
    """Delete the jobs that finished before the retention; how many."""
    cutoff = clock.utcnow() - timedelta(days=retention_days)
    return await retention.purge_in_batches(
        database,
        lambda conn, *limits: BackgroundJobRepository(conn).purge(*limits),
        cutoff,
        PURGE_BATCH,
    )


async def purge_forever(database: Database, retention_days: int) -> None:
    """``purge_expired`` now and then, until cancelled."""
    await retention.purge_forever("jobs", lambda: purge_expired(database, retention_days), logger)
