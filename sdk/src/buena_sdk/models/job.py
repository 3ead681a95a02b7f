from typing import Optional

from buena_sdk.models._base import ResponseModel, ServerDatetime
from buena_sdk.models._page import Page


class Job(ResponseModel):
    """Long work the account asked for (an enrichment of thousands of leads), run by the
    server in chunks. ``status`` is ``pending``, ``running``, ``completed``, ``failed`` or
    ``canceled``; ``progress`` (0-100) is ``processed`` of ``total`` items; ``message`` says
    why a job failed or was canceled. Its result, one JSON object per processed item, is
    read with ``get_job_result`` (``result_url``)."""

    id: str
    type: str
    status: str
    progress: int
    total: int
    processed: int
    succeeded: int
    failed: int
    message: Optional[str] = None
    result_url: str
    created_at: ServerDatetime
    started_at: Optional[ServerDatetime] = None
    finished_at: Optional[ServerDatetime] = None
    updated_at: ServerDatetime


class JobStatistics(ResponseModel):
    """The account's jobs selected by the list's type and time filters, by status;
    ``success_rate`` is completed / (completed + failed), None while none has finished."""

    total: int
    pending: int
    running: int
    completed: int
    failed: int
    canceled: int
    success_rate: Optional[float] = None


class ListJobsResponse(Page[Job]):
    """One page of the account's jobs, newest first, with ``statistics``."""

    statistics: JobStatistics
