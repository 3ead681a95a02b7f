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
  (``Connection.execute_together``). The delivery jobs are written already leased to the
  worker that fans out, and the statement returns what their first attempts need: once it
  commits, the worker runs them at once (``JobContext.hand_over``), without a claim, a
  wake-up or a read of its own; if the worker dies first, their leases run out and any
  worker claims them. One claimed job per event, not two (docs/decisions/queue.md).

Writing the deliveries later, in the worker, rather than in the change's own statement
keeps the request path at one small row per event: three deliveries and their jobs written
by the request cost ~30 % of `POST /leads` throughput (docs/decisions/queue.md).

Ids drawn by the database have the form of ``kit.ids``: a prefix and 96 bits, as hex.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, bindparam, select, text

from buena_server.kit.driver import Connection
from buena_server.kit.ids import new_id
from buena_server.queue import Job, wake_after_commit
from buena_server.queue.model import DEFAULT_MAX_ATTEMPTS
from buena_server.queue.repository import JobRepository
from buena_server.tables import UTCDateTime, events, jobs, webhook_deliveries, webhooks
from buena_server.webhooks.jobs import DELIVER_MAX_ATTEMPTS, DELIVER_TASK
from buena_server.webhooks.outbox import Attempting, attempting_from_row

FAN_OUT_TASK = "webhooks.fan_out"

_PG_ID = "substr(md5(CAST(gen_random_uuid() AS TEXT)), 1, 24)"


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
# by the statement that writes its deliveries and their jobs, leased to the worker that
# fanned out (it runs them at once: ``JobContext.hand_over``). Each fan-out's rows start with
# its job's id, then what an attempt needs (``outbox.attempting_from_row``); a fan-out whose
# event has no subscriber left has one row of NULLs after its id.
_FAN_OUT_TOGETHER = text(
    f"""WITH given AS (
    SELECT * FROM unnest(CAST(:job_id AS TEXT[]), CAST(:attempt AS INTEGER[]),
        CAST(:token AS TEXT[]), CAST(:account_id AS TEXT[]), CAST(:event_id AS TEXT[]),
        CAST(:at AS TIMESTAMPTZ[]), CAST(:lease_until AS TIMESTAMPTZ[]))
        AS given(job_id, attempt, token, account_id, event_id, at, lease_until)
), done AS (
    DELETE FROM jobs USING given
    WHERE jobs.id = given.job_id AND jobs.attempts = given.attempt
        AND jobs.locked_by = given.token
    RETURNING jobs.id
), subscribed AS (
    SELECT given.job_id AS fan_out_id, 'whd_' || {_PG_ID} AS id, hook.account_id,
        hook.id AS webhook_id, 'job_' || {_PG_ID} AS job_id, given.at, given.lease_until,
        given.token, hook.url, hook.is_active, hook.secret, hook.previous_secret,
        hook.previous_secret_expires_at, event.id AS event_id, event.type AS event_type,
        event.created_at AS event_at, event.data
    FROM given
    JOIN done ON done.id = given.job_id
    JOIN events AS event ON event.id = given.event_id AND event.account_id = given.account_id
    JOIN webhooks AS hook ON hook.account_id = event.account_id
    WHERE hook.created_at <= event.created_at AND {_subscribed("event", _PG_SUBSCRIBED)}
), delivered AS (
    INSERT INTO webhook_deliveries (id, account_id, webhook_id, event_id, event_type, status,
        attempts, next_attempt_at, created_at, job_id)
    SELECT id, account_id, webhook_id, event_id, event_type, 'pending', 0, at, at, job_id
    FROM subscribed
), queued AS (
    INSERT INTO jobs ({_JOB_COLUMNS}, locked_by)
    SELECT job_id, '{DELIVER_TASK}',
        json_build_object('account_id', account_id, 'delivery_id', id), 'running',
        lease_until, 1, 0, {DELIVER_MAX_ATTEMPTS}, at, token
    FROM subscribed
)
SELECT done.id, s.id, s.account_id, s.webhook_id, s.job_id, 0, s.at, s.url, s.is_active,
    s.secret, s.previous_secret, s.previous_secret_expires_at, s.event_id, s.event_type,
    s.event_at, s.data
FROM done LEFT JOIN subscribed AS s ON s.fan_out_id = done.id"""  # noqa: S608
)
# SQLite: the same, one event at a time (in-process, under the write lock): the subscribed
# webhooks with the event, then their deliveries and leased jobs.
_HOOK, _EVENT = webhooks.alias("hook"), events.alias("event")
_SUBSCRIBERS_SQLITE = (
    select(
        _HOOK.c.account_id,
        _HOOK.c.id,
        _HOOK.c.url,
        _HOOK.c.is_active,
        _HOOK.c.secret,
        _HOOK.c.previous_secret,
        _HOOK.c.previous_secret_expires_at,
        _EVENT.c.id,
        _EVENT.c.type,
        _EVENT.c.created_at,
        _EVENT.c.data,
    )
    .select_from(_EVENT.join(_HOOK, _HOOK.c.account_id == _EVENT.c.account_id))
    .where(
        _EVENT.c.id == bindparam("event_id"),
        _EVENT.c.account_id == bindparam("account_id"),
        _HOOK.c.created_at <= _EVENT.c.created_at,
        text(_subscribed("event", _SQLITE_SUBSCRIBED)),
    )
)
_DELIVERY_SQLITE = webhook_deliveries.insert().values(
    id=bindparam("delivery_id"),
    account_id=bindparam("account_id"),
    webhook_id=bindparam("webhook_id"),
    event_id=bindparam("event_id"),
    event_type=bindparam("event_type"),
    status="pending",
    attempts=0,
    next_attempt_at=bindparam("at"),
    created_at=bindparam("at"),
    job_id=bindparam("job_id"),
)
_HELD_DELIVERY_SQLITE = jobs.insert().values(
    id=bindparam("job_id"),
    task=DELIVER_TASK,
    payload=bindparam("payload"),
    status="running",
    run_at=bindparam("lease_until"),
    attempts=1,
    failures=0,
    max_attempts=DELIVER_MAX_ATTEMPTS,
    locked_by=bindparam("token"),
    created_at=bindparam("at"),
)


@dataclass(frozen=True, slots=True)
class Handed:
    """A delivery's job, written leased to the worker that fanned out, with what its first
    attempt needs."""

    job: Job
    attempt: Attempting


def _handed(attempt: Attempting) -> Handed:
    assert attempt.job_id is not None
    payload = {"account_id": attempt.account_id, "delivery_id": attempt.delivery_id}
    job = Job(
        attempt.job_id,
        DELIVER_TASK,
        payload,
        attempts=1,
        failures=0,
        max_attempts=DELIVER_MAX_ATTEMPTS,
        created_at=attempt.created_at,
    )
    return Handed(job, attempt)


class FanOutRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def fan_out(
        self, job: Job, *, token: str, at: datetime, lease_until: datetime
    ) -> list[Handed] | None:
        """Complete the fan-out ``job`` (while ``token`` holds its lease) and write its
        event's deliveries, created ``at``, with their jobs leased to ``token`` until
        ``lease_until``; those jobs, for the worker to run once this commits (``[]``: nobody
        subscribes any more), or None when the lease was lost (the run that holds it now fans
        out)."""
        account_id = str(job.payload["account_id"])
        event_id = str(job.payload["event_id"])
        if self.conn.runs_together:
            values = {
                "job_id": job.id,
                "attempt": job.attempts,
                "token": token,
                "account_id": account_id,
                "event_id": event_id,
                "at": at,
                "lease_until": lease_until,
            }
            result = await self.conn.execute_together(_FAN_OUT_TOGETHER, values)
            rows = result.rows_starting(job.id)
            if not rows:
                return None
            return [_handed(attempting_from_row(row[1:])) for row in rows if row[1] is not None]
        if not await JobRepository(self.conn).complete(job, token):
            return None
        asked = {"event_id": event_id, "account_id": account_id}
        handed = []
        for row in (await self.conn.execute(_SUBSCRIBERS_SQLITE, asked)).all():
            delivery_id, held_job_id = new_id("whd"), new_id("job")
            handed.append(
                _handed(
                    attempting_from_row((delivery_id, row[0], row[1], held_job_id, 0, at, *row[2:]))
                )
            )
        if handed:
            await self.conn.execute_many(
                _DELIVERY_SQLITE,
                [
                    {
                        "delivery_id": one.attempt.delivery_id,
                        "account_id": account_id,
                        "webhook_id": one.attempt.webhook_id,
                        "event_id": event_id,
                        "event_type": one.attempt.event.type,
                        "at": at,
                        "job_id": one.job.id,
                    }
                    for one in handed
                ],
            )
            await self.conn.execute_many(
                _HELD_DELIVERY_SQLITE,
                [
                    {
                        "job_id": one.job.id,
                        "payload": one.job.payload,
                        "lease_until": lease_until,
                        "token": token,
                        "at": at,
                    }
                    for one in handed
                ],
            )
        return handed
