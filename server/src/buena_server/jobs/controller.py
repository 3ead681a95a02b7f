"""HTTP endpoints for jobs: follow, read the result of, and cancel long work."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example, OpenAPIType
from litestar.params import Parameter
from litestar.response import Stream

from buena_server.auth.guards import requires
from buena_server.auth.permissions import Permission
from buena_server.jobs import examples
from buena_server.jobs.repository import JobQuery
from buena_server.jobs.schemas import JOB_STATUSES, Job, ListJobsResponse
from buena_server.jobs.service import JobService
from buena_server.kit.dependencies import AuthenticatedRequest
from buena_server.kit.http_hooks import check_optional_body
from buena_server.kit.openapi_docs import answer, error_responses, query_schema
from buena_server.kit.paging import (
    Limit,
    Offset,
    choice_errors,
    length_errors,
    page,
    page_errors,
    timestamp_param,
)
from buena_server.kit.validation import raise_invalid
from buena_server.services import services_of
from buena_server.tasks import job_kinds

NDJSON = "application/x-ndjson"
RESULT_CHUNK_LINES = 1000
_TIME_FILTER = query_schema(OpenAPIType.STRING, format="date-time")
MAX_TYPE_LENGTH = 50  # background_jobs.type
JobId = Annotated[str, Parameter(description="Job identifier (job_...)")]


def provide_job_service(state: State) -> JobService:
    return JobService(services_of(state), job_kinds())


def job_query(
    limit: int | None,
    offset: int | None,
    status: str | None,
    type: str | None,
    created_after: str | None,
    created_before: str | None,
) -> JobQuery:
    """Check the list's parameters (422 for each bad one) and apply defaults."""
    errors = (
        page_errors(limit, offset)
        + choice_errors("status", status, JOB_STATUSES)
        + length_errors("type", type, MAX_TYPE_LENGTH)
    )
    after = timestamp_param("created_after", created_after, errors)
    before = timestamp_param("created_before", created_before, errors)
    if errors:
        raise_invalid(errors)
    applied = page(limit, offset)
    return JobQuery(status, type, after, before, applied.limit, applied.offset)


class JobController(Controller):
    path = "/jobs"
    tags = ["Jobs"]
    dependencies = {"service": Provide(provide_job_service, sync_to_thread=False)}

    @get(
        operation_id="list_jobs",
        summary="List jobs",
        description="Requires `jobs:read`. The account's jobs, newest first, with statistics "
        "over the jobs the type and time filters select (all statuses).",
        guards=[requires(Permission.JOBS_READ)],
        responses={
            200: answer(ListJobsResponse, "A page of jobs", "One job running", examples.PAGE),
            **error_responses(400, 403, 422),
        },
    )
    async def list_jobs(
        self,
        service: NamedDependency[JobService],
        request: AuthenticatedRequest,
        limit: Limit = None,
        offset: Offset = None,
        status: Annotated[
            str | None,
            Parameter(
                description="Only jobs with this status",
                schema_extra=query_schema(OpenAPIType.STRING, enum=list(JOB_STATUSES)),
            ),
        ] = None,
        type: Annotated[
            str | None,
            Parameter(
                description="Only jobs of this type (e.g. enrichment)",
                schema_extra=query_schema(OpenAPIType.STRING, max_length=MAX_TYPE_LENGTH),
            ),
        ] = None,
        created_after: Annotated[
            str | None,
            Parameter(
                description="Only jobs created strictly after this RFC 3339 date-time",
                schema_extra=_TIME_FILTER,
            ),
        ] = None,
        created_before: Annotated[
            str | None,
            Parameter(
                description="Only jobs created strictly before this RFC 3339 date-time",
                schema_extra=_TIME_FILTER,
            ),
        ] = None,
    ) -> ListJobsResponse:
        query = job_query(limit, offset, status, type, created_after, created_before)
        return await service.list(request.user.account_id, query)

    @get(
        "/{job_id:str}",
        operation_id="get_job",
        summary="Get a job",
        description="Requires `jobs:read`. Its status (pending, running, completed, failed, "
        "canceled), progress 0-100 and counts.",
        guards=[requires(Permission.JOBS_READ)],
        responses={
            200: answer(Job, "The job", "A job running", examples.JOB),
            **error_responses(403, 404),
        },
    )
    async def get_job(
        self, service: NamedDependency[JobService], request: AuthenticatedRequest, job_id: JobId
    ) -> Job:
        return await service.get(request.user.account_id, job_id)

    @get(
        "/{job_id:str}/result",
        operation_id="get_job_result",
        summary="Get a job's result",
        description="Requires `jobs:read`. One JSON line per item processed so far, in the "
        "order processed (what a line holds depends on the job's type), streamed.",
        guards=[requires(Permission.JOBS_READ)],
        responses={
            200: ResponseSpec(
                data_container=str,
                description="The result lines (NDJSON)",
                media_type=NDJSON,
                generate_examples=False,
                examples=[Example(summary="Two items", value=examples.RESULT)],
            ),
            **error_responses(403, 404),
        },
    )
    async def get_job_result(
        self, service: NamedDependency[JobService], request: AuthenticatedRequest, job_id: JobId
    ) -> Stream:
        lines = await service.result_lines(request.user.account_id, job_id, RESULT_CHUNK_LINES)
        return Stream(
            lines,
            media_type=NDJSON,
            headers={"content-disposition": f'attachment; filename="{job_id}.ndjson"'},
        )

    @post(
        "/{job_id:str}/cancel",
        operation_id="cancel_job",
        summary="Cancel a job",
        description="Requires `jobs:update`. A pending or running job stops at once: the "
        "chunk in progress is discarded, what earlier chunks did stays done (and in the "
        "result). 409 `JOB_ALREADY_FINISHED` for a job that has finished. No body.",
        status_code=200,
        guards=[requires(Permission.JOBS_UPDATE)],
        before_request=check_optional_body,
        responses={
            200: answer(Job, "The job, canceled", "A job canceled", examples.CANCELED),
            **error_responses(403, 404, 409),
        },
    )
    async def cancel_job(
        self, service: NamedDependency[JobService], request: AuthenticatedRequest, job_id: JobId
    ) -> Job:
        return await service.cancel(request.user.account_id, job_id)
