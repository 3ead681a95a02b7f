"""The webhooks domain's tasks: "webhooks.fan_out" (an event becomes a delivery and its job
per subscribed webhook, ``fanout``) and "webhooks.deliver" (``delivery``)."""

from __future__ import annotations

from buena_server.queue import Job, JobContext, TaskRegistry
from buena_server.webhooks.delivery import deliver
from buena_server.webhooks.fanout import FAN_OUT_TASK, FanOutRepository
from buena_server.webhooks.jobs import DELIVER_TASK


async def fan_out(job: Job, context: JobContext) -> None:
    """The "webhooks.fan_out" handler: one statement (grouped with the other fan-outs of the
    pass on PostgreSQL) completes the job and writes the deliveries."""
    async with context.database.transaction(write=True, single_write=True) as conn:
        if await FanOutRepository(conn).fan_out(
            job, token=context.lease_token, at=context.clock.now()
        ):
            context.completed_by(conn)


def register_tasks(registry: TaskRegistry) -> None:
    registry.register(FAN_OUT_TASK, fan_out)
    registry.register(DELIVER_TASK, deliver)
