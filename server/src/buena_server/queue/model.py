"""What the queue is made of: jobs, how a handler asks for a later run, the retry backoff,
and the clock every decision about time reads."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from buena_server.kit import clock

# The PostgreSQL channel a trigger on ``jobs`` notifies when jobs are inserted (migration
# 0008): every process's worker listens, so work enqueued by one process starts at once in
# whichever has a free slot.
NOTIFY_CHANNEL = "buena_jobs"

# Default bounds of a job: how many of its runs may fail (raise, or lose their lease) before
# it is dead, and the backoff between them (full jitter: a delay drawn from 0 to
# min(cap, base * 2 ** (failures - 1)) seconds; AWS's "Exponential Backoff and Jitter").
# 25 failures spread over roughly half a day before a job gives up.
DEFAULT_MAX_ATTEMPTS = 25
BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 3600.0


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    """The project clock (``kit.clock.utcnow``, read at each call so that tests that move
    the project clock move the queue's too)."""

    def now(self) -> datetime:
        return clock.utcnow()


SYSTEM_CLOCK = SystemClock()


def backoff_delay(
    failures: int,
    *,
    base: float = BACKOFF_BASE_SECONDS,
    cap: float = BACKOFF_CAP_SECONDS,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait after the ``failures``-th failure (1 for the first): exponential with
    full jitter, so that jobs failing together (a database outage) do not retry together."""
    ceiling = min(cap, base * 2 ** max(failures - 1, 0))
    return (rng or random).uniform(0, ceiling)


class RetryLater(Exception):
    """Raised by a handler to run the job again in ``after_seconds``: the handler's own
    choice, not a failure (it does not count against the job's max attempts; the handler
    bounds its own retries, e.g. a webhook delivery's three days)."""

    def __init__(self, after_seconds: float, error: str | None = None) -> None:
        super().__init__(error or f"retry in {after_seconds} s")
        self.after_seconds = max(0.0, float(after_seconds))
        self.error = error


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed job, as its handler sees it."""

    id: str
    task: str
    payload: dict[str, Any]
    attempts: int  # runs started, this one included
    failures: int  # earlier runs that failed (raised, or lost their lease)
    max_attempts: int
    created_at: datetime


def due_in(now: datetime, seconds: float) -> datetime:
    return now + timedelta(seconds=seconds)
