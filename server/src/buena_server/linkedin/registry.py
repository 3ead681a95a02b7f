"""The executors a server runs: the built-in sandbox, then those installed packages
register in the entry point group ``buena.linkedin_executors`` (as the enrichment
providers are found).

An entry point names a class or a factory; it is called with ``ExecutorSettings``. A
plug-in whose name is already taken, or that is not an executor, stops the server at
start-up with a message rather than being skipped quietly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from buena_server.linkedin.executors import ExecutorSettings, LinkedInExecutor
from buena_server.linkedin.executors.sandbox import SandboxExecutor

if TYPE_CHECKING:
    from buena_server.config import Settings

ENTRY_POINT_GROUP = "buena.linkedin_executors"


def executor_settings(settings: Settings) -> ExecutorSettings:
    return ExecutorSettings(
        sandbox_seed=settings.linkedin_sandbox_seed,
        sandbox_acceptance_rate=settings.linkedin_sandbox_acceptance_rate,
        sandbox_reply_rate=settings.linkedin_sandbox_reply_rate,
        sandbox_min_response_seconds=settings.linkedin_sandbox_min_response_seconds,
        sandbox_max_response_seconds=settings.linkedin_sandbox_max_response_seconds,
    )


class ExecutorRegistrationError(RuntimeError):
    """An executor that cannot be registered (start-up stops with this message)."""


class ExecutorRegistry:
    def __init__(self, executors: Iterable[LinkedInExecutor]) -> None:
        self._by_name: dict[str, LinkedInExecutor] = {}
        for executor in executors:
            if not isinstance(executor, LinkedInExecutor):
                raise ExecutorRegistrationError(f"{executor!r} is not a LinkedIn executor")
            if executor.name in self._by_name:
                raise ExecutorRegistrationError(
                    f"two LinkedIn executors are named {executor.name!r}"
                )
            self._by_name[executor.name] = executor

    @classmethod
    def load(cls, settings: ExecutorSettings) -> ExecutorRegistry:
        """The sandbox, then every installed plug-in."""
        return cls([SandboxExecutor(settings), *plugin_executors(settings)])

    def names(self) -> list[str]:
        return list(self._by_name)

    def find(self, name: str) -> LinkedInExecutor | None:
        return self._by_name.get(name)


def plugin_executors(settings: ExecutorSettings) -> list[LinkedInExecutor]:
    executors = []
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            factory: Callable[..., Any] = entry.load()
            executor = factory(settings)
        except Exception as exc:
            raise ExecutorRegistrationError(
                f"LinkedIn executor plug-in {entry.name!r} ({entry.value}) failed to load: {exc}"
            ) from exc
        executors.append(executor)
    return executors
