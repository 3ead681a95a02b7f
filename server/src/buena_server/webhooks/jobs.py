"""The "webhooks.deliver" job: one per delivery's chain of retries, enqueued by a fan-out
whose first attempt failed and by a redelivery, in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from buena_server.kit.driver import Connection
from buena_server.queue import enqueue

DELIVER_TASK = "webhooks.deliver"
# Deliveries retry through RetryLater (a delivery bounds its own retries, three days by
# default); this bounds only runs that raised (the database away while recording, say).
DELIVER_MAX_ATTEMPTS = 50


async def enqueue_delivery(
    conn: Connection, account_id: str, delivery_id: str, *, run_at: datetime | None = None
) -> str:
    """The job that attempts ``delivery_id`` at ``run_at`` (or now); its id (kept on the
    delivery)."""
    return await enqueue(
        conn,
        DELIVER_TASK,
        {"account_id": account_id, "delivery_id": delivery_id},
        run_at=run_at,
        max_attempts=DELIVER_MAX_ATTEMPTS,
    )
