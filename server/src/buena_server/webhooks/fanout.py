"""The fan-out: an event becomes a pending delivery, and its "webhooks.deliver" job, for each
webhook subscribed to it.

- With the event, in the change's transaction: a "webhooks.fan_out" job, written only when
  the account has an active webhook subscribed to the event's type (or to ``*``), so an
  event nobody subscribes to queues nothing. On PostgreSQL it goes in the event's own
  statement (``fan_out_job_cte``); on SQLite it is one more statement (``queue_fan_out``).
- The job (``FanOutRepository.fan_out``): the deliveries of the webhooks active and
  subscribed now that existed when the event happened, and their jobs, written by the
  statement that completes the job (while its lease is held): a crash cannot fan an event
  out twice. On PostgreSQL the fan-outs of one pass of the event loop share that statement
  (``Connection.execute_together``).

Writing the deliveries later, in the worker, rather than in the change's own statement
keeps the request path at one small row per event: three deliveries and their jobs written
by the request cost ~30 % of `POST /leads` throughput (docs/decisions/queue.md).

Ids drawn by the database have the form of ``kit.ids``: a prefix and 96 bits, as hex.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, bindparam, text

from buena_server.kit.driver import Connection
from buena_server.kit.ids import new_id
from buena_server.queue import Job, wake_after_commit
from buena_server.queue.model import DEFAULT_MAX_ATTEMPTS
from buena_server.queue.repository import JobRepository
from buena_server.tables import UTCDateTime, jobs
from buena_server.webhooks.jobs import DELIVER_MAX_ATTEMPTS, DELIVER_TASK

FAN_OUT_TASK = "webhooks.fan_out"

_PG_ID = "substr(md5(CAST(gen_random_uuid() AS TEXT)), 1, 24)"
_SQLITE_ID = "lower(hex(randomblob(12)))"


def _subscribed(event: str, elements: str) -> str:
    """The condition that webhook ``hook`` is active and subscribes to ``event``'s type."""
    return f"""hook.is_active AND EXISTS (
        SELECT 1 FROM {elements} WHERE subscribed.value IN ({event}.type, '*'))"""  # noqa: S608


_PG_SUBSCRIBED = "json_array_elements_text(hook.events) AS subscribed(value)"
_SQLITE_SUBSCRIBED = "json_each(hook.events) AS subscribed"
_JOB_COLUMNS = "id, task, payload, status, run_at, attempts, failures, max_attempts, created_at"


def fan_out_job_cte(evented: str) -> str:
    """PostgreSQL: a CTE queueing the fan-out of each event a CTE named ``evented`` inserted
    (``RETURNING id, account_id, type, created_at``) that has a subscriber."""
    # Constants of this module and the tables' own names: every value is bound.
    return f"""queued_fan_out AS (
    INSERT INTO jobs ({_JOB_COLUMNS})
    SELECT 'job_' || {_PG_ID}, '{FAN_OUT_TASK}',
        json_build_object('account_id', {evented}.account_id, 'event_id', {evented}.id),
        'queued', {evented}.created_at, 0, 0, {DEFAULT_MAX_ATTEMPTS}, {evented}.created_at
    FROM {evented}
    WHERE EXISTS (
        SELECT 1 FROM webhooks AS hook
        WHERE hook.account_id = {evented}.account_id
            AND {_subscribed(evented, _PG_SUBSCRIBED)})
)"""  # noqa: S608


_UTC = UTCDateTime(timezone=True)
_QUEUE_FAN_OUT_SQLITE = text(
    f"""INSERT INTO jobs ({_JOB_COLUMNS})
SELECT :job_id, '{FAN_OUT_TASK}', :payload, 'queued', :created_at, 0, 0,
    {DEFAULT_MAX_ATTEMPTS}, :created_at
WHERE EXISTS (
    SELECT 1 FROM webhooks AS hook, (SELECT :event_type AS type) AS event
    WHERE hook.account_id = :account_id AND {_subscribed("event", _SQLITE_SUBSCRIBED)})"""  # noqa: S608
).bindparams(bindparam("created_at", type_=_UTC), bindparam("payload", type_=JSON()))


# SQLite: whether an account has an active webhook subscribed to an event type.
_SUBSCRIBED_SQLITE = text(
    f"""SELECT EXISTS (
    SELECT 1 FROM webhooks AS hook, (SELECT :event_type AS type) AS event
    WHERE hook.account_id = :account_id AND {_subscribed("event", _SQLITE_SUBSCRIBED)})"""  # noqa: S608
)


async def queue_fan_out(
    conn: Connection, new_events: Sequence[tuple[str, str, str, datetime]]
) -> None:
    """SQLite: queue the fan-out of each event just inserted (account id, event id, type,
    time) that anyone subscribes to. Several events (a batch's): whether anyone subscribes
    is asked once per account and type, and the jobs of those that have a subscriber are
    written by one ``executemany``."""
    if len(new_events) > 1:
        kinds = {(account_id, event_type) for account_id, _, event_type, _ in new_events}
        subscribed = set()
        for account_id, event_type in sorted(kinds):
            asked = {"account_id": account_id, "event_type": event_type}
            if (await conn.execute(_SUBSCRIBED_SQLITE, asked)).scalar():
                subscribed.add((account_id, event_type))
        new_events = [event for event in new_events if (event[0], event[2]) in subscribed]
    values = [
        {
            "job_id": new_id("job"),
            "payload": {"account_id": account_id, "event_id": event_id},
            "created_at": created_at,
            "event_type": event_type,
            "account_id": account_id,
        }
        for account_id, event_id, event_type, created_at in new_events
    ]
    if await conn.execute_many(_QUEUE_FAN_OUT_SQLITE, values):
        wake_after_commit(conn)


# PostgreSQL, grouped: the fan-outs of a pass, each job completed (while its lease is held)
# by the statement that writes its deliveries.
_FAN_OUT_TOGETHER = text(
    f"""WITH given AS (
    SELECT * FROM unnest(CAST(:job_id AS TEXT[]), CAST(:attempt AS INTEGER[]),
        CAST(:token AS TEXT[]), CAST(:account_id AS TEXT[]), CAST(:event_id AS TEXT[]),
        CAST(:at AS TIMESTAMPTZ[]))
        AS given(job_id, attempt, token, account_id, event_id, at)
), done AS (
    DELETE FROM jobs USING given
    WHERE jobs.id = given.job_id AND jobs.attempts = given.attempt
        AND jobs.locked_by = given.token
    RETURNING jobs.id
), delivered AS (
    INSERT INTO webhook_deliveries (id, account_id, webhook_id, event_id, event_type, status,
        attempts, next_attempt_at, created_at, job_id)
    SELECT 'whd_' || {_PG_ID}, hook.account_id, hook.id, event.id, event.type, 'pending', 0,
        given.at, given.at, 'job_' || {_PG_ID}
    FROM given
    JOIN done ON done.id = given.job_id
    JOIN events AS event ON event.id = given.event_id AND event.account_id = given.account_id
    JOIN webhooks AS hook ON hook.account_id = event.account_id
    WHERE hook.created_at <= event.created_at AND {_subscribed("event", _PG_SUBSCRIBED)}
    RETURNING id, account_id, job_id, created_at
), queued AS (
    INSERT INTO jobs ({_JOB_COLUMNS})
    SELECT job_id, '{DELIVER_TASK}',
        json_build_object('account_id', account_id, 'delivery_id', id), 'queued',
        created_at, 0, 0, {DELIVER_MAX_ATTEMPTS}, created_at
    FROM delivered
)
SELECT id FROM done"""  # noqa: S608
)
# SQLite: the same, one event at a time (in-process, under the write lock).
_FAN_OUT_SQLITE = text(
    f"""INSERT INTO webhook_deliveries (id, account_id, webhook_id, event_id, event_type,
    status, attempts, next_attempt_at, created_at, job_id)
SELECT 'whd_' || {_SQLITE_ID}, hook.account_id, hook.id, event.id, event.type, 'pending', 0,
    :at, :at, 'job_' || {_SQLITE_ID}
FROM events AS event JOIN webhooks AS hook ON hook.account_id = event.account_id
WHERE event.id = :event_id AND event.account_id = :account_id
    AND hook.created_at <= event.created_at AND {_subscribed("event", _SQLITE_SUBSCRIBED)}
RETURNING id, job_id"""  # noqa: S608
).bindparams(bindparam("at", type_=_UTC))
_QUEUE_DELIVERY_SQLITE = jobs.insert().values(
    id=bindparam("job_id"),
    task=DELIVER_TASK,
    payload=bindparam("payload"),
    status="queued",
    run_at=bindparam("at"),
    attempts=0,
    failures=0,
    max_attempts=DELIVER_MAX_ATTEMPTS,
    created_at=bindparam("at"),
)


class FanOutRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def fan_out(self, job: Job, *, token: str, at: datetime) -> bool:
        """Complete the fan-out ``job`` (while ``token`` holds its lease) and write its
        event's deliveries, created ``at``, with their jobs; whether the job was completed
        here (else its lease was lost, and the run that holds it now fans out)."""
        values: dict[str, Any] = {
            "account_id": str(job.payload["account_id"]),
            "event_id": str(job.payload["event_id"]),
            "at": at,
        }
        if self.conn.runs_together:
            values.update(job_id=job.id, attempt=job.attempts, token=token)
            done = await self.conn.execute_together(_FAN_OUT_TOGETHER, values)
            return done.row_starting(job.id) is not None
        if not await JobRepository(self.conn).complete(job, token):
            return False
        written = (await self.conn.execute(_FAN_OUT_SQLITE, values)).all()
        for delivery_id, job_id in written:
            payload = {"account_id": values["account_id"], "delivery_id": delivery_id}
            await self.conn.execute(
                _QUEUE_DELIVERY_SQLITE, {"job_id": job_id, "payload": payload, "at": at}
            )
        if written:
            wake_after_commit(self.conn)
        return True
