"""``buena-server worker``: the queue's worker without the API.

It waits for the database as ``serve`` does (migrating it, retrying with a capped backoff
while it is away), then runs the app's lifespan, where the worker lives, until SIGTERM or
SIGINT; running jobs then get ``BUENA_SHUTDOWN_TIMEOUT_SECONDS`` to finish, and the rest
are released for another worker. The app is built so that its services (the database,
the caches) are the ones the handlers expect; it serves no requests, and its metrics
listener stays off (the port belongs to ``serve``).
"""

from __future__ import annotations

import asyncio
import logging
import signal

from buena_server.config import Settings
from buena_server.kit.startup import (
    backoff_delays,
    database_location,
    migrate_database,
    one_line,
    worth_waiting_for,
)

logger = logging.getLogger("buena_server.worker")


async def wait_for_database(settings: Settings) -> None:
    """Migrate (waiting for the database to come up); errors waiting cannot cure raise."""
    delays = backoff_delays()
    while True:
        try:
            await migrate_database(settings)
            return
        except Exception as exc:
            if not worth_waiting_for(exc):
                raise
            delay = next(delays)
            logger.warning(
                "cannot reach the database %s (%s); retrying in %g s",
                database_location(settings),
                one_line(exc),
                delay,
            )
            await asyncio.sleep(delay)


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run until ``stop`` is set (or SIGTERM/SIGINT arrive)."""
    from buena_server.app import create_app

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await wait_for_database(settings)
        app = create_app(
            settings.model_copy(update={"worker_in_serve": True, "metrics_port": None})
        )
        async with app.lifespan():
            logger.info("worker running (concurrency %d)", settings.queue_concurrency)
            await stop.wait()
            logger.info("worker stopping")
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
