"""The fan-out: an event's first attempt at each webhook subscribed to it (its queries; the
handler is ``delivery.fan_out``).

- With the event, in the change's transaction: a "webhooks.fan_out" job, written only when
  the account has an active webhook subscribed to the event's type (or to ``*``), so an
  event nobody subscribes to queues nothing. On PostgreSQL it goes in the event's own
  statement (``fan_out_job_cte``); on SQLite it is one more statement (``queue_fan_out``).
- The job reads the event and the webhooks active and subscribed now that existed when it
  happened (``FanOutRepository.targets``), POSTs the event to each, and then one
  transaction completes the job (while its lease is held) and writes each delivery with its
  first attempt's outcome. When every attempt succeeded, on PostgreSQL, that is one
  statement (``record_delivered``); the read and that statement are shared with the other
  fan-outs of the same pass of the event loop (``Connection.execute_together``). A failed
  first attempt is written with the "webhooks.deliver" job of its next one
  (``delivery.py``).

Writing the deliveries later, in the worker, rather than in the change's own statement
keeps the request path at one small row per event: three deliveries and their jobs written
by the request cost ~30 % of `POST /leads` throughput (docs/decisions/queue.md). Sending
the first attempts from the fan-out itself, rather than from a job per delivery, halves
the rows the queue writes per event (docs/decisions/queue.md).

Ids drawn by the database have the form of ``kit.ids``: a prefix and 96 bits, as hex.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import msgspec
from sqlalchemy import JSON, bindparam, select, text

from buena_server.events.schemas import Event
from buena_server.kit.driver import Connection
from buena_server.kit.ids import new_id
from buena_server.queue import Job, wake_after_commit
from buena_server.queue.model import DEFAULT_MAX_ATTEMPTS
from buena_server.tables import UTCDateTime, events, webhooks
from buena_server.webhooks.outbox import ENDS_FAILING_STREAKS
from buena_server.webhooks.sender import Attempt
from buena_server.webhooks.signing import signing_secrets

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


# The event and its targets: every webhook active and subscribed now that existed when the
# event happened, oldest first. PostgreSQL, grouped: the fan-outs of a pass in one statement,
# each block keeping the rows of its own event and account.
_TARGET_COLUMNS = """event.id, event.account_id, event.type, event.created_at, event.data,
    hook.id, hook.url, hook.secret, hook.previous_secret, hook.previous_secret_expires_at"""
_TARGETS_TOGETHER = text(
    f"""SELECT {_TARGET_COLUMNS}
FROM events AS event JOIN webhooks AS hook ON hook.account_id = event.account_id
WHERE event.id = ANY(CAST(:event_id AS TEXT[]))
    AND hook.created_at <= event.created_at AND {_subscribed("event", _PG_SUBSCRIBED)}
ORDER BY hook.created_at, hook.id"""  # noqa: S608
)
_event, _hook = events.alias("event"), webhooks.alias("hook")
_TARGETS = (
    select(
        _event.c.id,
        _event.c.account_id,
        _event.c.type,
        _event.c.created_at,
        _event.c.data,
        _hook.c.id,
        _hook.c.url,
        _hook.c.secret,
        _hook.c.previous_secret,
        _hook.c.previous_secret_expires_at,
    )
    .select_from(_event.join(_hook, _hook.c.account_id == _event.c.account_id))
    .where(
        _event.c.id == bindparam("event_id"),
        _event.c.account_id == bindparam("account_id"),
        _hook.c.created_at <= _event.c.created_at,
        text(_subscribed("event", _SQLITE_SUBSCRIBED)),
    )
    .order_by(_hook.c.created_at, _hook.c.id)
)

# PostgreSQL, grouped: the fan-outs of a pass whose attempts all succeeded, recorded in one
# statement. Each job is deleted only while the lease named is still held; only then are its
# deliveries written (``sent``: a JSON array of [delivery id, webhook id, status code]), for
# the webhooks that still exist, and their failing streaks ended.
_DELIVERED_TOGETHER = text(
    """WITH given AS (
    SELECT * FROM unnest(CAST(:job_id AS TEXT[]), CAST(:attempt AS INTEGER[]),
        CAST(:token AS TEXT[]), CAST(:account_id AS TEXT[]), CAST(:event_id AS TEXT[]),
        CAST(:event_type AS TEXT[]), CAST(:created_at AS TIMESTAMPTZ[]),
        CAST(:delivered_at AS TIMESTAMPTZ[]), CAST(:sent AS TEXT[]))
        AS given(job_id, attempt, token, account_id, event_id, event_type, created_at,
            delivered_at, sent)
), done AS (
    DELETE FROM jobs USING given
    WHERE jobs.id = given.job_id AND jobs.attempts = given.attempt
        AND jobs.locked_by = given.token
    RETURNING jobs.id
), recorded AS (
    INSERT INTO webhook_deliveries (id, account_id, webhook_id, event_id, event_type, status,
        attempts, last_status_code, delivered_at, created_at)
    SELECT item.value ->> 0, given.account_id, hook.id, given.event_id, given.event_type,
        'delivered', 1, CAST(item.value ->> 2 AS INTEGER), given.delivered_at,
        given.created_at
    FROM given
    JOIN done ON done.id = given.job_id
    CROSS JOIN LATERAL json_array_elements(CAST(given.sent AS JSON)) AS item(value)
    JOIN webhooks AS hook
        ON hook.account_id = given.account_id AND hook.id = item.value ->> 1
    RETURNING account_id, webhook_id
)"""  # noqa: S608 (a constant of this package; every value is bound)
    + ENDS_FAILING_STREAKS
)


@dataclass(frozen=True, slots=True)
class Target:
    """A webhook an event is sent to: its address and signing secrets."""

    webhook_id: str
    url: str
    secret: str
    previous_secret: str | None
    previous_secret_expires_at: datetime | None

    def signing_secrets(self, now: datetime) -> list[str]:
        """The secrets that sign a delivery sent at ``now`` (``signing.signing_secrets``)."""
        return signing_secrets(
            self.secret, self.previous_secret, self.previous_secret_expires_at, now
        )


@dataclass(frozen=True, slots=True)
class FirstAttempt:
    """A delivery's first attempt, sent: the delivery's id, its webhook, what came of it."""

    delivery_id: str
    target: Target
    attempt: Attempt


class FanOutRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def targets(self, account_id: str, event_id: str) -> tuple[Event | None, list[Target]]:
        """The event and the webhooks to send it to (none: the event was purged, or nobody
        subscribes to it any more)."""
        if self.conn.runs_together:
            result = await self.conn.execute_together(_TARGETS_TOGETHER, {"event_id": event_id})
            rows = result.rows_starting(event_id, account_id)
        else:
            values = {"event_id": event_id, "account_id": account_id}
            rows = (await self.conn.execute(_TARGETS, values)).all()
        if not rows:
            return None, []
        _, _, event_type, created_at, data = rows[0][:5]
        event = Event(id=event_id, type=event_type, created_at=created_at, data=data)
        return event, [Target(*row[5:]) for row in rows]

    async def record_delivered(
        self,
        job: Job,
        *,
        token: str,
        account_id: str,
        event: Event | None,
        sent: Sequence[FirstAttempt],
        created_at: datetime,
        at: datetime,
    ) -> bool:
        """PostgreSQL: complete the fan-out ``job`` (while ``token`` holds its lease) and write
        its deliveries, every one delivered ``at`` (created ``created_at``); whether the job
        was completed here (else its lease was lost, and the run that holds it now sends)."""
        values = {
            "job_id": job.id,
            "attempt": job.attempts,
            "token": token,
            "account_id": account_id,
            "event_id": event.id if event is not None else "",
            "event_type": event.type if event is not None else "",
            "created_at": created_at,
            "delivered_at": at,
            "sent": msgspec.json.encode(
                [[one.delivery_id, one.target.webhook_id, one.attempt.status_code] for one in sent]
            ).decode(),
        }
        done = await self.conn.execute_together(_DELIVERED_TOGETHER, values)
        return done.row_starting(job.id) is not None
