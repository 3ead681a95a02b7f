"""The bodies of /jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

JobStatus = Literal["pending", "running", "completed", "failed", "canceled"]
JOB_STATUSES: tuple[str, ...] = ("pending", "running", "completed", "failed", "canceled")
# A job in one of these never changes again.
FINISHED: frozenset[str] = frozenset({"completed", "failed", "canceled"})


class Job(msgspec.Struct, kw_only=True):
    id: str
    type: str
    status: JobStatus
    progress: int  # 0-100: processed items of total
    total: int
    processed: int
    succeeded: int
    failed: int
    message: str | None
    result_url: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime


class JobStatistics(msgspec.Struct, kw_only=True):
    """The account's jobs that the list's type and time filters select, by status."""

    total: int
    pending: int
    running: int
    completed: int
    failed: int
    canceled: int
    # completed / (completed + failed); null while none has finished either way.
    success_rate: float | None


class ListJobsResponse(msgspec.Struct, kw_only=True):
    data: list[Job]
    total: int
    limit: int
    offset: int
    statistics: JobStatistics
