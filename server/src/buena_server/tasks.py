"""Every task the queue runs, from the domains that own them: each domain with tasks exposes
``register_tasks(registry)`` and is listed here, once, for the app's worker and for
``buena-server worker``."""

from __future__ import annotations

from buena_server.enrichment.job import EnrichmentJob
from buena_server.jobs import runner as jobs_runner
from buena_server.jobs.kinds import JobKinds
from buena_server.linkedin import tasks as linkedin_tasks
from buena_server.queue import TaskRegistry
from buena_server.voice import tasks as voice_tasks
from buena_server.webhooks import tasks as webhooks_tasks


def job_kinds() -> JobKinds:
    """The kinds of job this process runs (the domains whose work is long add theirs)."""
    return JobKinds([EnrichmentJob()])


def task_registry() -> TaskRegistry:
    registry = TaskRegistry()
    webhooks_tasks.register_tasks(registry)
    jobs_runner.register_tasks(registry, job_kinds())
    linkedin_tasks.register_tasks(registry)
    voice_tasks.register_tasks(registry)
    return registry
