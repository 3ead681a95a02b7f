"""The worker as the settings ask for it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from buena_server.queue.registry import TaskRegistry
from buena_server.queue.worker import Worker

if TYPE_CHECKING:
    from buena_server.services import Services


def build_worker(services: Services, registry: TaskRegistry) -> Worker:
    settings = services.settings
    return Worker(
        services.database,
        registry,
        services,
        concurrency=settings.queue_concurrency,
        lease_seconds=settings.queue_lease_seconds,
        poll_seconds=settings.queue_poll_seconds,
    )
