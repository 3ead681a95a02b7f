"""The queries of a delivery attempt ("webhooks.deliver"; the deliveries are written by the
fan-out, ``fanout.py``).

- An attempt's read (the delivery, its webhook and its event in one statement) and the
  record of a success (the job deleted while its lease is held, the delivery marked
  delivered, the webhook's failing streak ended) run grouped on PostgreSQL: the attempts
  that read or record in the same pass of the event loop share one statement
  (``Connection.execute_together``). Other outcomes (a failure, a retry) are rarer and take
  the per-delivery path of ``repository.DeliveryRepository``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, bindparam, select, text

from buena_server.events.schemas import Event
from buena_server.kit.driver import Connection
from buena_server.queue import Job
from buena_server.queue.repository import JobRepository
from buena_server.tables import events, webhook_deliveries, webhooks
from buena_server.webhooks.signing import signing_secrets

# -- an attempt ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attempting:
    """What an attempt of a delivery needs: the delivery, its webhook's target and secrets,
    and the event it carries."""

    delivery_id: str
    account_id: str
    webhook_id: str
    job_id: str | None
    attempts: int
    created_at: datetime
    url: str
    is_active: bool
    secret: str
    previous_secret: str | None
    previous_secret_expires_at: datetime | None
    event: Event

    def signing_secrets(self, now: datetime) -> list[str]:
        """The secrets that sign a delivery sent at ``now`` (``signing.signing_secrets``)."""
        return signing_secrets(
            self.secret, self.previous_secret, self.previous_secret_expires_at, now
        )


_ATTEMPT_COLUMNS = (
    webhook_deliveries.c.id,
    webhook_deliveries.c.account_id,
    webhook_deliveries.c.webhook_id,
    webhook_deliveries.c.job_id,
    webhook_deliveries.c.attempts,
    webhook_deliveries.c.created_at,
    webhooks.c.url,
    webhooks.c.is_active,
    webhooks.c.secret,
    webhooks.c.previous_secret,
    webhooks.c.previous_secret_expires_at,
    events.c.id,
    events.c.type,
    events.c.created_at,
    events.c.data,
)
_FROM = webhook_deliveries.join(
    webhooks,
    (webhooks.c.id == webhook_deliveries.c.webhook_id)
    & (webhooks.c.account_id == webhook_deliveries.c.account_id),
).join(
    events,
    (events.c.id == webhook_deliveries.c.event_id)
    & (events.c.account_id == webhook_deliveries.c.account_id),
)
_LOAD = (
    select(*_ATTEMPT_COLUMNS)
    .select_from(_FROM)
    .where(
        webhook_deliveries.c.account_id == bindparam("account_id"),
        webhook_deliveries.c.id == bindparam("delivery_id"),
    )
)
# PostgreSQL, grouped: every attempt's read of a pass in one statement. The deliveries are
# looked up by primary key (``= ANY``: a join to ``unnest`` let the planner walk a webhook's
# every delivery instead); each block keeps the row of its own delivery and account.
_LOAD_TOGETHER = text(
    """SELECT d.id, d.account_id, d.webhook_id, d.job_id, d.attempts, d.created_at, hook.url,
    hook.is_active, hook.secret, hook.previous_secret, hook.previous_secret_expires_at,
    e.id, e.type, e.created_at, e.data
FROM webhook_deliveries AS d
JOIN webhooks AS hook ON hook.id = d.webhook_id AND hook.account_id = d.account_id
JOIN events AS e ON e.id = d.event_id AND e.account_id = d.account_id
WHERE d.id = ANY(CAST(:delivery_id AS TEXT[]))"""
)


def _attempting(row: Sequence[Any]) -> Attempting:
    (
        delivery_id,
        account_id,
        webhook_id,
        job_id,
        attempts,
        created_at,
        url,
        is_active,
        secret,
        previous_secret,
        previous_expires,
        event_id,
        event_type,
        event_at,
        data,
    ) = row
    return Attempting(
        delivery_id,
        account_id,
        webhook_id,
        job_id,
        attempts,
        created_at,
        url,
        bool(is_active),
        secret,
        previous_secret,
        previous_expires,
        Event(id=event_id, type=event_type, created_at=event_at, data=data),
    )


# The end of a grouped record of successes (a CTE ``recorded`` returning each delivery's
# account and webhook): the webhooks' failing streaks ended, the completed jobs' ids returned.
ENDS_FAILING_STREAKS = """, cleared AS (
    UPDATE webhooks AS hook SET failing_since = NULL
    FROM recorded
    WHERE hook.account_id = recorded.account_id AND hook.id = recorded.webhook_id
        AND hook.failing_since IS NOT NULL
)
SELECT id FROM done"""
# PostgreSQL, grouped: the successes of a pass recorded in one statement. Each job is
# deleted only while the lease named is still held; only then is its delivery marked.
_DELIVERED_TOGETHER = text(
    """WITH given AS (
    SELECT * FROM unnest(CAST(:job_id AS TEXT[]), CAST(:attempt AS INTEGER[]),
        CAST(:token AS TEXT[]), CAST(:account_id AS TEXT[]), CAST(:delivery_id AS TEXT[]),
        CAST(:status_code AS INTEGER[]), CAST(:delivered_at AS TIMESTAMPTZ[]))
        AS given(job_id, attempt, token, account_id, delivery_id, status_code, delivered_at)
), done AS (
    DELETE FROM jobs USING given
    WHERE jobs.id = given.job_id AND jobs.attempts = given.attempt
        AND jobs.locked_by = given.token
    RETURNING jobs.id
), recorded AS (
    UPDATE webhook_deliveries AS d
    SET status = 'delivered', attempts = d.attempts + 1,
        last_status_code = given.status_code, last_error = NULL,
        delivered_at = given.delivered_at, next_attempt_at = NULL
    FROM given JOIN done ON done.id = given.job_id
    WHERE d.account_id = given.account_id AND d.id = given.delivery_id
        AND d.job_id = given.job_id
    RETURNING d.account_id, d.webhook_id
)"""  # noqa: S608 (a constant of this package; every value is bound)
    + ENDS_FAILING_STREAKS
)
# SQLite: the same, one delivery at a time (in-process, under the write lock).
_MARK_DELIVERED = (
    webhook_deliveries.update()
    .where(
        webhook_deliveries.c.account_id == bindparam("marked_account"),
        webhook_deliveries.c.id == bindparam("marked_delivery"),
        webhook_deliveries.c.job_id == bindparam("marked_job"),
    )
    .values(
        status="delivered",
        attempts=webhook_deliveries.c.attempts + 1,
        last_status_code=bindparam("marked_status_code", type_=Integer()),
        last_error=None,
        delivered_at=bindparam("marked_at"),
        next_attempt_at=None,
    )
    .returning(webhook_deliveries.c.webhook_id)
)
_CLEAR_FAILING = (
    webhooks.update()
    .where(
        webhooks.c.account_id == bindparam("cleared_account"),
        webhooks.c.id == bindparam("cleared_webhook"),
        webhooks.c.failing_since.is_not(None),
    )
    .values(failing_since=None)
)


class OutboxRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def attempting(self, account_id: str, delivery_id: str) -> Attempting | None:
        """The delivery with its webhook and event, or None (deleted, or purged)."""
        values = {"account_id": account_id, "delivery_id": delivery_id}
        if self.conn.runs_together:
            given = {"delivery_id": delivery_id}
            rows = await self.conn.execute_together(_LOAD_TOGETHER, given)
            mine = rows.row_starting(delivery_id, account_id)
        else:
            mine = (await self.conn.execute(_LOAD, values)).first()
        return _attempting(mine) if mine is not None else None

    async def record_delivered(
        self, attempt: Attempting, *, job: Job, token: str, status_code: int, at: datetime
    ) -> bool:
        """Complete ``job`` (while ``token`` holds its lease) and mark the delivery
        delivered; whether the job was completed here (else its lease was lost: the run
        that holds it now records its own attempt)."""
        if self.conn.runs_together:
            values = {
                "job_id": job.id,
                "attempt": job.attempts,
                "token": token,
                "account_id": attempt.account_id,
                "delivery_id": attempt.delivery_id,
                "status_code": status_code,
                "delivered_at": at,
            }
            done = await self.conn.execute_together(_DELIVERED_TOGETHER, values)
            return done.row_starting(job.id) is not None
        if not await JobRepository(self.conn).complete(job, token):
            return False
        marked = (
            await self.conn.execute(
                _MARK_DELIVERED,
                {
                    "marked_account": attempt.account_id,
                    "marked_delivery": attempt.delivery_id,
                    "marked_job": job.id,
                    "marked_status_code": status_code,
                    "marked_at": at,
                },
            )
        ).first()
        if marked is not None:
            await self.conn.execute(
                _CLEAR_FAILING,
                {"cleared_account": attempt.account_id, "cleared_webhook": marked[0]},
            )
        return True
