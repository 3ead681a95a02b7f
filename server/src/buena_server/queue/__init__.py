"""The durable queue: jobs written in the same transaction as the change that caused them,
run by workers in every server process (see docs/decisions/queue.md)."""

from buena_server.queue.context import JobContext
from buena_server.queue.enqueue import enqueue, wake_after_commit
from buena_server.queue.model import SYSTEM_CLOCK, Clock, Job, RetryLater, SystemClock
from buena_server.queue.registry import Handler, TaskRegistry, UnknownTask
from buena_server.queue.worker import Worker

__all__ = [
    "SYSTEM_CLOCK",
    "Clock",
    "Handler",
    "Job",
    "JobContext",
    "RetryLater",
    "SystemClock",
    "TaskRegistry",
    "UnknownTask",
    "Worker",
    "enqueue",
    "wake_after_commit",
]
