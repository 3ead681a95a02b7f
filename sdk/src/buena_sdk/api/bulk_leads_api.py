"""Leads in bulk: ``batch_leads`` (up to 1000 created or upserted per call) and
``export_leads`` (every lead matching the list filters, streamed as NDJSON or CSV).

``batch_leads`` comes in the same four forms as every other operation (see
``default_api``); ``export_leads`` yields the body as it arrives (``export_leads_async`` is
its ``async for`` twin) and ``export_leads_to`` writes it to a file. All of them are also
methods of ``DefaultApi``.
"""

from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import datetime
from typing import Any, Optional, Union

import urllib3
from typing_extensions import Unpack

from buena_sdk._call_options import CallOptions
from buena_sdk._raw import AsyncRawResponse
from buena_sdk._request import RequestOptions
from buena_sdk.api._base import ApiBase, as_model
from buena_sdk.api._download import Destination, write_chunks
from buena_sdk.api_response import ApiResponse
from buena_sdk.models import BatchLeadsRequest, BatchLeadsResponse
from buena_sdk.models.literals import LeadSort, LeadStatus, SortOrder

# ``tags`` filter: "a,b" or ["a", "b"] (leads with any of them).
Tags = Union[str, Sequence[str], None]

EXPORT_MEDIA_TYPES = {"ndjson": "application/x-ndjson", "csv": "text/csv"}


class BulkLeadsApi(ApiBase):
    """Batch writes (``leads:write``) and the streamed export (``leads:read``)."""

    # -- batch_leads --------------------------------------------------------------------

    def batch_leads(
        self,
        batch_leads_request: BatchLeadsRequest,
        *,
        idempotency_key: Optional[str] = None,
        **call: Unpack[CallOptions],
    ) -> BatchLeadsResponse:
        """Create (or, with ``mode="upsert"``, create or update by email) up to 1000 leads
        in one call. One bad lead never fails the others: the answer has each lead's
        outcome in the order sent (``error`` ones say why), and the counts. Only a
        malformed batch (empty, over 1000, unknown mode) raises.

        ``idempotency_key`` replaces the random key sent by default: a repeat of the call
        with the same key (within the server's retention) gets the first answer back
        instead of acting again."""
        return self.batch_leads_with_http_info(
            batch_leads_request, idempotency_key=idempotency_key, **call
        ).data

    def batch_leads_with_http_info(
        self,
        batch_leads_request: BatchLeadsRequest,
        *,
        idempotency_key: Optional[str] = None,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[BatchLeadsResponse]:
        options = _batch_leads(batch_leads_request, idempotency_key)
        return self.api_client.call_api(options, BatchLeadsResponse, **call)

    async def batch_leads_async(
        self,
        batch_leads_request: BatchLeadsRequest,
        *,
        idempotency_key: Optional[str] = None,
        **call: Unpack[CallOptions],
    ) -> BatchLeadsResponse:
        answer = await self.batch_leads_with_http_info_async(
            batch_leads_request, idempotency_key=idempotency_key, **call
        )
        return answer.data

    async def batch_leads_with_http_info_async(
        self,
        batch_leads_request: BatchLeadsRequest,
        *,
        idempotency_key: Optional[str] = None,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[BatchLeadsResponse]:
        options = _batch_leads(batch_leads_request, idempotency_key)
        return await self.api_client.call_api_async(options, BatchLeadsResponse, **call)

    def batch_leads_without_preload_content(
        self,
        batch_leads_request: BatchLeadsRequest,
        *,
        idempotency_key: Optional[str] = None,
        **call: Unpack[CallOptions],
    ) -> urllib3.BaseHTTPResponse:
        options = _batch_leads(batch_leads_request, idempotency_key)
        return self.api_client.call_api_raw(options, **call)

    async def batch_leads_without_preload_content_async(
        self,
        batch_leads_request: BatchLeadsRequest,
        *,
        idempotency_key: Optional[str] = None,
        **call: Unpack[CallOptions],
    ) -> AsyncRawResponse:
        options = _batch_leads(batch_leads_request, idempotency_key)
        return await self.api_client.call_api_raw_async(options, **call)

    # -- export_leads -------------------------------------------------------------------

    def export_leads(
        self,
        format: Optional[str] = None,
        search: Optional[str] = None,
        company: Optional[str] = None,
        status: Optional[LeadStatus] = None,
        tags: Tags = None,
        created_after: Optional[datetime] = None,
        created_before: Optional[datetime] = None,
        updated_after: Optional[datetime] = None,
        updated_before: Optional[datetime] = None,
        has_email: Optional[bool] = None,
        sort: Optional[LeadSort] = None,
        order: Optional[SortOrder] = None,
        *,
        lines: bool = False,
        **call: Unpack[CallOptions],
    ) -> Iterator[bytes]:
        """Every lead matching the filters (those of ``list_leads``), as ``format``
        ``"ndjson"`` (the default: one Lead JSON object per line) or ``"csv"`` (a header
        row, tags joined with ``|``, a ``custom_fields.<key>`` column per custom field).

        Yields the body as it arrives, in chunks of bytes, or with ``lines=True`` line by
        line (without the line end; a CSV field holding a line break spans two lines).
        Nothing is sent before the iteration starts; error answers raise as elsewhere."""
        options = _export_leads(
            format, search, company, status, tags, created_after, created_before,
            updated_after, updated_before, has_email, sort, order,
        )  # fmt: skip
        chunks = self.api_client.stream(options, **call)
        return split_lines(chunks) if lines else chunks

    def export_leads_async(
        self,
        format: Optional[str] = None,
        search: Optional[str] = None,
        company: Optional[str] = None,
        status: Optional[LeadStatus] = None,
        tags: Tags = None,
        created_after: Optional[datetime] = None,
        created_before: Optional[datetime] = None,
        updated_after: Optional[datetime] = None,
        updated_before: Optional[datetime] = None,
        has_email: Optional[bool] = None,
        sort: Optional[LeadSort] = None,
        order: Optional[SortOrder] = None,
        *,
        lines: bool = False,
        **call: Unpack[CallOptions],
    ) -> AsyncIterator[bytes]:
        """The async form of :meth:`export_leads`, for ``async for``."""
        options = _export_leads(
            format, search, company, status, tags, created_after, created_before,
            updated_after, updated_before, has_email, sort, order,
        )  # fmt: skip
        chunks = self.api_client.stream_async(options, **call)
        return asplit_lines(chunks) if lines else chunks

    def export_leads_to(self, destination: Destination, **filters: Any) -> int:
        """Write the export (``filters``: the arguments of :meth:`export_leads`) to a path
        or a binary file object; returns the number of bytes written. A path is written
        whole or not at all: the export goes to a temporary file beside it, renamed into
        place once complete."""
        return write_chunks(destination, self.export_leads(**filters))


def split_lines(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """``chunks`` cut at each ``\\n`` (dropped, as is a ``\\r`` before it)."""
    rest = b""
    for chunk in chunks:
        *complete, rest = (rest + chunk).split(b"\n")
        for line in complete:
            yield line.removesuffix(b"\r")
    if rest:
        yield rest.removesuffix(b"\r")


async def asplit_lines(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The async form of :func:`split_lines`."""
    rest = b""
    async for chunk in chunks:
        *complete, rest = (rest + chunk).split(b"\n")
        for line in complete:
            yield line.removesuffix(b"\r")
    if rest:
        yield rest.removesuffix(b"\r")


# -- request descriptions, shared by the sync and async forms --------------------------


def _batch_leads(
    body: Union[BatchLeadsRequest, dict[str, Any]], idempotency_key: Optional[str]
) -> RequestOptions:
    return RequestOptions(
        "POST",
        "/leads/batch",
        body=as_model(BatchLeadsRequest, body),
        idempotency_key=idempotency_key,
    )


def tags_query(tags: Tags) -> Optional[str]:
    """The ``tags`` query value: a list is joined with commas."""
    if tags is None or isinstance(tags, str):
        return tags
    return ",".join(tags)


def _export_leads(
    format: Optional[str],
    search: Optional[str],
    company: Optional[str],
    status: Optional[LeadStatus],
    tags: Tags,
    created_after: Optional[datetime],
    created_before: Optional[datetime],
    updated_after: Optional[datetime],
    updated_before: Optional[datetime],
    has_email: Optional[bool],
    sort: Optional[LeadSort],
    order: Optional[SortOrder],
) -> RequestOptions:
    if format is not None and format not in EXPORT_MEDIA_TYPES:
        raise ValueError(f"format must be 'ndjson' or 'csv', got {format!r}")
    query = {
        "format": format,
        "search": search,
        "company": company,
        "status": status,
        "tags": tags_query(tags),
        "created_after": created_after,
        "created_before": created_before,
        "updated_after": updated_after,
        "updated_before": updated_before,
        "has_email": has_email,
        "sort": sort,
        "order": order,
    }
    # Error answers are JSON whatever the format.
    accept = f"{EXPORT_MEDIA_TYPES[format or 'ndjson']}, application/json"
    return RequestOptions("GET", "/leads/export", query=query, accept=accept)
