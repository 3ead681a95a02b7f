"""The webhooks domain's tasks: "events.dispatch" (an event becomes one delivery per
subscribed webhook) and "webhooks.deliver" (``delivery``)."""

from __future__ import annotations

from buena_server.events.repository import EventRepository
from buena_server.events.schemas import Event
from buena_server.events.tasks import DISPATCH_TASK
from buena_server.kit.driver import Connection
from buena_server.kit.ids import new_id
from buena_server.queue import Job, JobContext, TaskRegistry
from buena_server.webhooks.delivery import deliver
from buena_server.webhooks.jobs import DELIVER_TASK, enqueue_delivery
from buena_server.webhooks.repository import (
    DeliveryRecord,
    DeliveryRepository,
    WebhookRecord,
    WebhookRepository,
)
from buena_server.webhooks.schemas import ALL_EVENTS


async def _subscribers(
    conn: Connection, event_id: str
) -> tuple[str, Event, list[WebhookRecord]] | None:
    """The event, its account, and the webhooks of the account that are active now, existed
    when it happened, and subscribe to its type (or to every type)."""
    found = await EventRepository(conn).find(event_id)
    if found is None:  # purged
        return None
    account_id, event = found
    webhooks = WebhookRepository(conn)
    return (
        account_id,
        event,
        [
            webhook
            for webhook in await webhooks.find_active(account_id)
            if (event.type in webhook.events or ALL_EVENTS in webhook.events)
            # An endpoint gets the events that happen once it exists.
            and webhook.created_at <= event.created_at
        ],
    )


async def dispatch(job: Job, context: JobContext) -> None:
    """A pending delivery and its "webhooks.deliver" job for each subscriber of the event
    (``_subscribers``), written in one transaction with the job's completion. Most events
    have none: they are found so in a read, and the job ends without a write of its own."""
    event_id = str(job.payload["event_id"])
    async with context.database.transaction(write=False) as conn:
        found = await _subscribers(conn, event_id)
    if found is None or not found[2]:
        return
    async with context.database.transaction(write=True) as conn:
        # Read again under the write: a webhook deleted meanwhile gets nothing.
        found = await _subscribers(conn, event_id)
        if found is not None:
            account_id, event, subscribers = found
            now = context.clock.now()
            deliveries = DeliveryRepository(conn)
            for webhook in subscribers:
                delivery_id = new_id("whd")
                job_id = await enqueue_delivery(conn, account_id, delivery_id)
                await deliveries.insert(
                    DeliveryRecord(
                        id=delivery_id,
                        account_id=account_id,
                        webhook_id=webhook.id,
                        event_id=event.id,
                        event_type=event.type,
                        status="pending",
                        attempts=0,
                        last_status_code=None,
                        last_error=None,
                        next_attempt_at=now,
                        delivered_at=None,
                        created_at=now,
                        job_id=job_id,
                    )
                )
        await context.complete_in(conn)


def register_tasks(registry: TaskRegistry) -> None:
    registry.register(DISPATCH_TASK, dispatch)
    registry.register(DELIVER_TASK, deliver)
