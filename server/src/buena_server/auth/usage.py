"""API key "last used" times, kept in memory and written to the database in batches.

Writing ``last_used`` on every request would turn every read into a write (and, on SQLite,
serialise all requests behind the write lock). Instead each process remembers the latest use
of each key and flushes that map every few seconds, at shutdown, and before keys are listed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from buena_server.keys.repository import ApiKeyRepository
from buena_server.kit.driver import Database

logger = logging.getLogger("buena_server.auth")


class KeyUsageTracker:
    def __init__(self) -> None:
        self._pending: dict[str, datetime] = {}

    def touch(self, key_id: str, when: datetime) -> None:
        self._pending[key_id] = when

    def pending(self, key_id: str) -> datetime | None:
        return self._pending.get(key_id)

    async def flush(self, database: Database) -> None:
        if not self._pending:
            return
        batch, self._pending = self._pending, {}
        try:
            async with database.transaction(write=True) as conn:
                await ApiKeyRepository(conn).record_last_used(batch)
        except BaseException:  # a cancellation too: shutdown stops a flush mid-way
            # Put the batch back (newer touches win) so the next flush retries it.
            for key_id, when in batch.items():
                current = self._pending.get(key_id)
                if current is None or current < when:
                    self._pending[key_id] = when
            raise

    async def run(self, database: Database, interval: float) -> None:
        """Flush forever, every ``interval`` seconds; cancelled at shutdown."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.flush(database)
            except Exception as exc:  # the database may be briefly unavailable
                logger.warning("could not record API key usage: %s", exc)

    async def stop(self, database: Database, task: asyncio.Task[None]) -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        try:
            await self.flush(database)
        except Exception as exc:
            logger.warning("could not record API key usage at shutdown: %s", exc)
