"""Every task the queue runs, from the domains that own them: each domain with tasks exposes
``register_tasks(registry)`` and is listed here, once, for the app's worker and for
``buena-server worker``."""

from __future__ import annotations

from buena_server.queue import TaskRegistry
from buena_server.webhooks import tasks as webhooks_tasks


def task_registry() -> TaskRegistry:
    registry = TaskRegistry()
    webhooks_tasks.register_tasks(registry)
    return registry
