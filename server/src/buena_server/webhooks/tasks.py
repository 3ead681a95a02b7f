"""The webhooks domain's tasks: "events.dispatch" (an event becomes one delivery per
subscribed webhook) and "webhooks.deliver" (``delivery``)."""

from __future__ import annotations

from buena_server.events.repository import EventRepository
from buena_server.events.tasks import DISPATCH_TASK
from buena_server.kit.ids import new_id
from buena_server.queue import Job, JobContext, TaskRegistry
from buena_server.webhooks.delivery import deliver
from buena_server.webhooks.jobs import DELIVER_TASK, enqueue_delivery
from buena_server.webhooks.repository import DeliveryRecord, DeliveryRepository, WebhookRepository
from buena_server.webhooks.schemas import ALL_EVENTS


async def dispatch(job: Job, context: JobContext) -> None:
    """In one transaction with the job's completion: a pending delivery and its
    "webhooks.deliver" job for each webhook of the event's account that is active when the
    dispatch runs, existed when the event happened, and subscribes to its type (or to every
    type)."""
    event_id = str(job.payload["event_id"])
    async with context.database.transaction(write=True) as conn:
        webhooks = WebhookRepository(conn)
        account_id = await webhooks.account_of_event(event_id)
        event = await EventRepository(conn).get(account_id, event_id) if account_id else None
        if account_id is not None and event is not None:
            now = context.clock.now()
            deliveries = DeliveryRepository(conn)
            for webhook in await webhooks.find_active(account_id):
                if event.type not in webhook.events and ALL_EVENTS not in webhook.events:
                    continue
                if webhook.created_at > event.created_at:
                    continue  # an endpoint gets the events that happen once it exists
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
