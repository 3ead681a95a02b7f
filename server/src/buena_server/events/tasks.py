"""The events domain's tasks.

Every recorded event enqueues ``events.dispatch`` (``record_event``). The webhooks domain
registers the handler that turns it into deliveries; until one is registered (a build
without webhooks), the default below completes each dispatch job at once, so that they
never pile up or spin through retries. Events stay readable through GET /events either way.
"""

from __future__ import annotations

from buena_server.queue import Job, JobContext, TaskRegistry

DISPATCH_TASK = "events.dispatch"


async def dispatch_nowhere(job: Job, context: JobContext) -> None:
    """No subscriber: nothing to do (the job completes)."""


def register_tasks(registry: TaskRegistry) -> None:
    registry.register_default(DISPATCH_TASK, dispatch_nowhere)
