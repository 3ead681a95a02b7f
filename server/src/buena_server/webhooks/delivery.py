"""The attempts of a delivery: its first, sent by the event's fan-out ("webhooks.fan_out",
one per event: the event POSTed to each subscribed webhook at once, then every delivery
written with its outcome), and each later one ("webhooks.deliver", one per retry chain:
load the delivery, sign the event, POST it outside any transaction, record what came of it,
and decide what next).

2xx: delivered. Anything else (an error status, a timeout, a refused connection or address):
retried with exponential backoff and full jitter (``RETRY_BASE_SECONDS`` doubling, capped at
``RETRY_CAP_SECONDS``) until ``BUENA_WEBHOOKS_RETRY_SECONDS`` after the delivery was created,
then failed. A webhook whose attempts have all failed for
``BUENA_WEBHOOKS_DISABLE_AFTER_SECONDS`` since its last success is disabled, with a
``webhook.disabled`` event.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import msgspec

from buena_server.events.catalogue import WEBHOOK_DISABLED
from buena_server.events.schemas import Event
from buena_server.events.service import record_event
from buena_server.kit.driver import Connection
from buena_server.kit.ids import new_id
from buena_server.queue import Job, JobContext, RetryLater
from buena_server.queue.model import backoff_delay
from buena_server.queue.repository import JobRepository
from buena_server.webhooks.fanout import FanOutRepository, FirstAttempt
from buena_server.webhooks.jobs import enqueue_delivery
from buena_server.webhooks.outbox import Attempting, OutboxRepository
from buena_server.webhooks.repository import DeliveryRecord, DeliveryRepository, WebhookRepository
from buena_server.webhooks.sender import Attempt
from buena_server.webhooks.service import public_webhook
from buena_server.webhooks.signing import HEADER, signature_header

RETRY_BASE_SECONDS = 10.0
RETRY_CAP_SECONDS = 6 * 3600.0

logger = logging.getLogger("buena_server.webhooks")


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an attempt leads to: the next attempt's delay, or None when the delivery is
    settled (delivered, failed, or nothing left to send)."""

    retry_after: float | None = None
    error: str | None = None


def next_delay(attempts: int, rng: random.Random | None = None) -> float:
    """The wait after the ``attempts``-th failed attempt: full jitter over 10 s, 20 s, 40 s...
    up to 6 hours."""
    return backoff_delay(attempts, base=RETRY_BASE_SECONDS, cap=RETRY_CAP_SECONDS, rng=rng)


def _headers(
    event: Event, delivery_id: str, secrets: list[str], now: datetime, body: bytes
) -> dict[str, str]:
    """A delivery's headers: the event's and the delivery's ids, and ``body``'s signatures."""
    return {
        "Buena-Event-Id": event.id,
        "Buena-Delivery-Id": delivery_id,
        HEADER: signature_header(secrets, int(now.timestamp()), body),
    }


async def fan_out(job: Job, context: JobContext) -> None:
    """The "webhooks.fan_out" handler: the event's first attempt at each of its webhooks. The
    read, and the record when every attempt succeeded, run grouped with the other fan-outs of
    the same pass on PostgreSQL (``fanout``)."""
    account_id = str(job.payload["account_id"])
    database = context.database
    async with database.transaction(write=False) as conn:
        event, targets = await FanOutRepository(conn).targets(
            account_id, str(job.payload["event_id"])
        )
    created_at = now = context.clock.now()
    sent: list[FirstAttempt] = []
    if event is not None:
        body = msgspec.json.encode(event)
        sender = context.services.webhook_sender
        ids = [new_id("whd") for _ in targets]
        sends = [
            sender.send(
                target.url, body, _headers(event, id_, target.signing_secrets(now), now, body)
            )
            for target, id_ in zip(targets, ids, strict=True)
        ]
        attempts = [await sends[0]] if len(sends) == 1 else await asyncio.gather(*sends)
        sent = [FirstAttempt(*one) for one in zip(ids, targets, attempts, strict=True)]
        now = context.clock.now()
    delivered_only = all(one.attempt.delivered for one in sent)
    # The job ends with the record of its attempts (one statement when all succeeded on
    # PostgreSQL), so a crash in between cannot send them again.
    async with database.transaction(write=True, single_write=delivered_only) as conn:
        if conn.runs_together:
            done = await FanOutRepository(conn).record_delivered(
                job,
                token=context.lease_token,
                account_id=account_id,
                event=event,
                sent=sent,
                created_at=created_at,
                at=now,
            )
        else:
            done = await _record_first_attempts(
                conn, job, context, account_id, event, sent, created_at=created_at, now=now
            )
        if done:
            context.completed_by(conn)


async def _record_first_attempts(
    conn: Connection,
    job: Job,
    context: JobContext,
    account_id: str,
    event: Event | None,
    sent: Sequence[FirstAttempt],
    *,
    created_at: datetime,
    now: datetime,
) -> bool:
    """Complete the fan-out ``job`` (while its lease is held) and write each delivery of a
    webhook that still exists with its first attempt's outcome: delivered; pending, with the
    job of its next attempt; or failed, its retry window over. Whether the job was completed
    here (else its lease was lost: the run that holds it now sends)."""
    if not await JobRepository(conn).complete(job, context.lease_token):
        return False
    settings = context.services.settings
    webhooks, deliveries = WebhookRepository(conn), DeliveryRepository(conn)
    for one in sent:
        assert event is not None  # something was sent
        if await webhooks.get(account_id, one.target.webhook_id) is None:
            continue  # deleted since: its deliveries went with it
        attempt = one.attempt
        record = DeliveryRecord(
            id=one.delivery_id,
            account_id=account_id,
            webhook_id=one.target.webhook_id,
            event_id=event.id,
            event_type=event.type,
            status="delivered",
            attempts=1,
            last_status_code=attempt.status_code,
            last_error=attempt.error,
            next_attempt_at=None,
            delivered_at=now,
            created_at=created_at,
            job_id=None,
        )
        if attempt.delivered:
            await deliveries.insert(record)
            await webhooks.clear_failing(account_id, record.webhook_id)
            continue
        record = dataclasses.replace(record, status="failed", delivered_at=None)
        deadline = created_at + timedelta(seconds=settings.webhooks_retry_seconds)
        if now < deadline:
            delay = min(next_delay(1), (deadline - now).total_seconds())
            next_at = now + timedelta(seconds=delay)
            job_id = await enqueue_delivery(conn, account_id, record.id, run_at=next_at)
            record = dataclasses.replace(
                record, status="pending", next_attempt_at=next_at, job_id=job_id
            )
        await deliveries.insert(record)
        await _note_failure(
            conn, record, now, settings.webhooks_disable_after_seconds, str(attempt.error)
        )
    return True


async def deliver(job: Job, context: JobContext) -> None:
    """The "webhooks.deliver" handler. Its read and, when the attempt succeeds, its record
    run grouped with the other attempts of the same pass on PostgreSQL (``outbox``)."""
    account_id = str(job.payload["account_id"])
    delivery_id = str(job.payload["delivery_id"])
    database = context.database
    async with database.transaction(write=False) as conn:
        attempt = await OutboxRepository(conn).attempting(account_id, delivery_id)
    if attempt is None or attempt.job_id != job.id:
        # Deleted with its webhook, its event purged, or a redelivery's job has taken over.
        return
    now = context.clock.now()
    if not attempt.is_active:
        async with database.transaction(write=True) as conn:
            await DeliveryRepository(conn).update(
                account_id,
                delivery_id,
                status="failed",
                next_attempt_at=None,
                last_error="not sent: the webhook was disabled",
            )
        return
    body = msgspec.json.encode(attempt.event)
    headers = _headers(attempt.event, delivery_id, attempt.signing_secrets(now), now, body)
    sent = await context.services.webhook_sender.send(attempt.url, body, headers)
    if sent.delivered:
        assert sent.status_code is not None
        # The job ends with the record of its outcome (one statement), so a crash in between
        # cannot send it again.
        async with database.transaction(write=True, single_write=True) as conn:
            if await OutboxRepository(conn).record_delivered(
                attempt,
                job=job,
                token=context.lease_token,
                status_code=sent.status_code,
                at=context.clock.now(),
            ):
                context.completed_by(conn)
        return
    settings = context.services.settings
    async with database.transaction(write=True) as conn:
        outcome = await _record_failure(
            conn,
            attempt,
            sent,
            now=context.clock.now(),
            retry_seconds=settings.webhooks_retry_seconds,
            disable_after_seconds=settings.webhooks_disable_after_seconds,
            job_id=job.id,
        )
        if outcome.retry_after is None:
            # Settled (failed for good): the job ends with the record of its outcome.
            await context.complete_in(conn)
    if outcome.retry_after is not None:
        raise RetryLater(outcome.retry_after, error=outcome.error)


async def _record_failure(
    conn: Connection,
    attempt: Attempting,
    sent: Attempt,
    *,
    now: datetime,
    retry_seconds: int,
    disable_after_seconds: int,
    job_id: str,
) -> Outcome:
    """A failed attempt: retried later within the delivery's retry window, else failed."""
    deliveries = DeliveryRepository(conn)
    current = await deliveries.get(attempt.account_id, attempt.delivery_id, for_update=True)
    if current is None or current.job_id != job_id:
        return Outcome()
    attempts = current.attempts + 1
    values: dict[str, object] = {
        "attempts": attempts,
        "last_status_code": sent.status_code,
        "last_error": sent.error,
    }
    deadline = current.created_at + timedelta(seconds=retry_seconds)
    outcome = Outcome()
    if now < deadline:
        delay = min(next_delay(attempts), (deadline - now).total_seconds())
        outcome = Outcome(retry_after=delay, error=sent.error)
        values.update(status="pending", next_attempt_at=now + timedelta(seconds=delay))
    else:
        values.update(status="failed", next_attempt_at=None)
    await deliveries.update(current.account_id, current.id, **values)
    await _note_failure(conn, current, now, disable_after_seconds, str(sent.error))
    return outcome


async def _note_failure(
    conn: Connection,
    delivery: DeliveryRecord,
    now: datetime,
    disable_after_seconds: int,
    error: str,
) -> None:
    """The webhook's failing streak goes on; past the limit, it is disabled."""
    webhooks = WebhookRepository(conn)
    webhook = await webhooks.get(delivery.account_id, delivery.webhook_id, for_update=True)
    if webhook is None or not webhook.is_active:
        return
    since = webhook.failing_since or now
    if webhook.failing_since is None:
        await webhooks.update(webhook.account_id, webhook.id, failing_since=now)
    if now - since < timedelta(seconds=disable_after_seconds):
        return
    days = disable_after_seconds / 86_400
    reason = (
        f"Every delivery attempt since {since.isoformat().replace('+00:00', 'Z')} failed "
        f"({days:g} days without a success); the last: {error}"
    )
    await webhooks.update(
        webhook.account_id,
        webhook.id,
        is_active=False,
        disabled_reason=reason,
        disabled_at=now,
        updated_at=now,
    )
    disabled = public_webhook(
        dataclasses.replace(
            webhook, is_active=False, disabled_reason=reason, disabled_at=now, updated_at=now
        )
    )
    await record_event(
        conn,
        webhook.account_id,
        WEBHOOK_DISABLED,
        {"object": msgspec.to_builtins(disabled), "reason": reason},
    )
    logger.warning("webhook %s disabled: %s", webhook.id, reason)
