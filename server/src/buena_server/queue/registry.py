"""Which handler runs each task.

Each domain that has tasks exposes ``register_tasks(registry)``; ``tasks.task_registry``
calls them all, for the app's worker and for ``buena-server worker``. A domain may register
a default for a task another domain owns (``register_default``): the events domain's
"events.dispatch" does nothing until the webhooks domain registers the real one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from buena_server.queue.context import JobContext
    from buena_server.queue.model import Job

Handler = Callable[["Job", "JobContext"], Awaitable[None]]


class UnknownTask(LookupError):
    pass


class TaskRegistry:
    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}
        self._defaults: dict[str, Handler] = {}

    def register(self, name: str, handler: Handler) -> None:
        """``handler`` runs every job of task ``name``; a second handler for one name is a
        wiring mistake and raises."""
        if name in self._handlers:
            raise ValueError(f"task {name!r} already has a handler")
        self._handlers[name] = handler

    def register_default(self, name: str, handler: Handler) -> None:
        """``handler`` runs task ``name``'s jobs unless another is registered for it."""
        self._defaults[name] = handler

    def handler(self, name: str) -> Handler:
        found = self._handlers.get(name) or self._defaults.get(name)
        if found is None:
            raise UnknownTask(f"no handler for task {name!r}")
        return found

    def __contains__(self, name: object) -> bool:
        return name in self._handlers or name in self._defaults

    @property
    def names(self) -> list[str]:
        return sorted({*self._handlers, *self._defaults})
