"""The job operations: follow, read the result of, and cancel long work the account asked
for (an enrichment of thousands of leads answers 202 with a job).

``list_jobs``, ``get_job`` and ``cancel_job`` come in the same six forms as every other
operation (see ``default_api``); ``get_job_result`` yields the result's items as they
arrive, like ``export_leads``. All are also methods of ``DefaultApi``.
"""

import json
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any, Optional

import urllib3
from typing_extensions import Unpack

from buena_sdk._call_options import CallOptions
from buena_sdk._raw import AsyncRawResponse
from buena_sdk._request import RequestOptions
from buena_sdk.api._base import ApiBase, path_param
from buena_sdk.api.bulk_leads_api import asplit_lines, split_lines
from buena_sdk.api_response import ApiResponse
from buena_sdk.models import Job, ListJobsResponse
from buena_sdk.models.literals import JobStatus


class JobsApi(ApiBase):
    """Jobs (``jobs:read``; canceling needs ``jobs:update``)."""

    # -- list_jobs ----------------------------------------------------------------------

    def list_jobs(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        status: Optional[JobStatus] = None,
        type: Optional[str] = None,
        created_after: Optional[datetime] = None,
        created_before: Optional[datetime] = None,
        **call: Unpack[CallOptions],
    ) -> ListJobsResponse:
        """One page of jobs, newest first, with statistics over the jobs the type and time
        filters select (a naive datetime is taken as local time)."""
        return self.list_jobs_with_http_info(
            limit, offset, status, type, created_after, created_before, **call
        ).data

    def list_jobs_with_http_info(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        status: Optional[JobStatus] = None,
        type: Optional[str] = None,
        created_after: Optional[datetime] = None,
        created_before: Optional[datetime] = None,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[ListJobsResponse]:
        options = _list_jobs(limit, offset, status, type, created_after, created_before)
        return self.api_client.call_api(options, ListJobsResponse, **call)

    async def list_jobs_async(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        status: Optional[JobStatus] = None,
        type: Optional[str] = None,
        created_after: Optional[datetime] = None,
        created_before: Optional[datetime] = None,
        **call: Unpack[CallOptions],
    ) -> ListJobsResponse:
        answer = await self.list_jobs_with_http_info_async(
            limit, offset, status, type, created_after, created_before, **call
        )
        return answer.data

    async def list_jobs_with_http_info_async(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        status: Optional[JobStatus] = None,
        type: Optional[str] = None,
        created_after: Optional[datetime] = None,
        created_before: Optional[datetime] = None,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[ListJobsResponse]:
        options = _list_jobs(limit, offset, status, type, created_after, created_before)
        return await self.api_client.call_api_async(options, ListJobsResponse, **call)

    def list_jobs_without_preload_content(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        status: Optional[JobStatus] = None,
        type: Optional[str] = None,
        created_after: Optional[datetime] = None,
        created_before: Optional[datetime] = None,
        **call: Unpack[CallOptions],
    ) -> urllib3.BaseHTTPResponse:
        options = _list_jobs(limit, offset, status, type, created_after, created_before)
        return self.api_client.call_api_raw(options, **call)

    async def list_jobs_without_preload_content_async(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        status: Optional[JobStatus] = None,
        type: Optional[str] = None,
        created_after: Optional[datetime] = None,
        created_before: Optional[datetime] = None,
        **call: Unpack[CallOptions],
    ) -> AsyncRawResponse:
        options = _list_jobs(limit, offset, status, type, created_after, created_before)
        return await self.api_client.call_api_raw_async(options, **call)

    # -- get_job ------------------------------------------------------------------------

    def get_job(self, job_id: str, **call: Unpack[CallOptions]) -> Job:
        """One job by id; ``NotFoundException`` if it is not the account's."""
        return self.get_job_with_http_info(job_id, **call).data

    def get_job_with_http_info(self, job_id: str, **call: Unpack[CallOptions]) -> ApiResponse[Job]:
        return self.api_client.call_api(_get_job(job_id), Job, **call)

    async def get_job_async(self, job_id: str, **call: Unpack[CallOptions]) -> Job:
        return (await self.get_job_with_http_info_async(job_id, **call)).data

    async def get_job_with_http_info_async(
        self, job_id: str, **call: Unpack[CallOptions]
    ) -> ApiResponse[Job]:
        return await self.api_client.call_api_async(_get_job(job_id), Job, **call)

    def get_job_without_preload_content(
        self, job_id: str, **call: Unpack[CallOptions]
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(_get_job(job_id), **call)

    async def get_job_without_preload_content_async(
        self, job_id: str, **call: Unpack[CallOptions]
    ) -> AsyncRawResponse:
        return await self.api_client.call_api_raw_async(_get_job(job_id), **call)

    # -- cancel_job ---------------------------------------------------------------------

    def cancel_job(self, job_id: str, **call: Unpack[CallOptions]) -> Job:
        """Stop a pending or running job at once (what earlier chunks did stays done);
        ``ConflictException`` (``JOB_ALREADY_FINISHED``) once it has finished."""
        return self.cancel_job_with_http_info(job_id, **call).data

    def cancel_job_with_http_info(
        self, job_id: str, **call: Unpack[CallOptions]
    ) -> ApiResponse[Job]:
        return self.api_client.call_api(_cancel_job(job_id), Job, **call)

    async def cancel_job_async(self, job_id: str, **call: Unpack[CallOptions]) -> Job:
        return (await self.cancel_job_with_http_info_async(job_id, **call)).data

    async def cancel_job_with_http_info_async(
        self, job_id: str, **call: Unpack[CallOptions]
    ) -> ApiResponse[Job]:
        return await self.api_client.call_api_async(_cancel_job(job_id), Job, **call)

    def cancel_job_without_preload_content(
        self, job_id: str, **call: Unpack[CallOptions]
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(_cancel_job(job_id), **call)

    async def cancel_job_without_preload_content_async(
        self, job_id: str, **call: Unpack[CallOptions]
    ) -> AsyncRawResponse:
        return await self.api_client.call_api_raw_async(_cancel_job(job_id), **call)

    # -- get_job_result -----------------------------------------------------------------

    def get_job_result(self, job_id: str, **call: Unpack[CallOptions]) -> Iterator[dict[str, Any]]:
        """The job's result so far: one dict per processed item, in the order processed,
        read as it arrives. Nothing is sent before the iteration starts; error answers
        raise as elsewhere."""
        lines = split_lines(self.api_client.stream(_get_job_result(job_id), **call))
        return (json.loads(line) for line in lines if line)

    async def get_job_result_async(
        self, job_id: str, **call: Unpack[CallOptions]
    ) -> AsyncIterator[dict[str, Any]]:
        """The async form of :meth:`get_job_result`, for ``async for``."""
        lines = asplit_lines(self.api_client.stream_async(_get_job_result(job_id), **call))
        async for line in lines:
            if line:
                yield json.loads(line)


# -- request descriptions, shared by the sync and async forms --------------------------


def _list_jobs(
    limit: Optional[int],
    offset: Optional[int],
    status: Optional[str],
    type: Optional[str],
    created_after: Optional[datetime],
    created_before: Optional[datetime],
) -> RequestOptions:
    query = {
        "limit": limit,
        "offset": offset,
        "status": status,
        "type": type,
        "created_after": created_after,
        "created_before": created_before,
    }
    return RequestOptions("GET", "/jobs", query=query)


def _get_job(job_id: str) -> RequestOptions:
    return RequestOptions("GET", f"/jobs/{path_param('job_id', job_id)}")


def _cancel_job(job_id: str) -> RequestOptions:
    return RequestOptions("POST", f"/jobs/{path_param('job_id', job_id)}/cancel")


def _get_job_result(job_id: str) -> RequestOptions:
    return RequestOptions("GET", f"/jobs/{path_param('job_id', job_id)}/result")
