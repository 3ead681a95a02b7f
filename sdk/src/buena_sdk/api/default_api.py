"""Every operation of the API. Each names its method, path and models; the request loop,
retries and errors live in ``ApiClient``.

Each operation comes in six forms: ``op`` returns the model, ``op_with_http_info``
returns an ``ApiResponse`` (status, headers, model, raw bytes),
``op_without_preload_content`` the urllib3 response with its body unread (whatever its
status), and ``op_async`` / ``op_with_http_info_async`` /
``op_without_preload_content_async`` are their awaitable twins. Every form takes the
per-call options ``_request_timeout``, ``_headers``, ``_request_auth`` and ``_retries``
(see ``buena_sdk._call_options``).
"""

from datetime import datetime
from typing import Any, Optional, Union

import urllib3
from typing_extensions import Unpack

from buena_sdk._call_options import CallOptions
from buena_sdk._raw import AsyncRawResponse
from buena_sdk._request import RequestOptions
from buena_sdk.api._base import as_model, path_param
from buena_sdk.api.api_keys_api import ApiKeysApi
from buena_sdk.api.bulk_leads_api import BulkLeadsApi, Tags, tags_query
from buena_sdk.api.enrichment_api import EnrichmentApi
from buena_sdk.api.events_api import EventsApi
from buena_sdk.api.jobs_api import JobsApi
from buena_sdk.api.lead_activities_api import LeadActivitiesApi
from buena_sdk.api.linkedin_api import LinkedInApi
from buena_sdk.api.prospect_lists_api import ProspectListsApi
from buena_sdk.api.voice_clones_api import VoiceClonesApi
from buena_sdk.api.webhooks_api import WebhooksApi
from buena_sdk.api_response import ApiResponse
from buena_sdk.models import (
    CreateLeadRequest,
    HealthCheck200Response,
    Lead,
    ListLeads200Response,
    UpdateLeadRequest,
)
from buena_sdk.models.literals import LeadSort, LeadStatus, SortOrder


class DefaultApi(
    BulkLeadsApi,
    WebhooksApi,
    EventsApi,
    EnrichmentApi,
    JobsApi,
    LinkedInApi,
    LeadActivitiesApi,
    ProspectListsApi,
    VoiceClonesApi,
    ApiKeysApi,
):
    """Every operation: leads and health here; batch writes and the export, webhooks,
    events, enrichment, jobs, LinkedIn, a lead's timeline, prospect lists, voice clones and
    API keys inherited from ``BulkLeadsApi``, ``WebhooksApi``, ``EventsApi``,
    ``EnrichmentApi``, ``JobsApi``, ``LinkedInApi``, ``LeadActivitiesApi``,
    ``ProspectListsApi``, ``VoiceClonesApi`` and ``ApiKeysApi`` (usable on their own
    too)."""

    # -- list_leads ---------------------------------------------------------------------

    def list_leads(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        sort: Optional[LeadSort] = None,
        order: Optional[SortOrder] = None,
        search: Optional[str] = None,
        company: Optional[str] = None,
        status: Optional[LeadStatus] = None,
        cursor: Optional[str] = None,
        tags: Tags = None,
        created_after: Optional[datetime] = None,
        created_before: Optional[datetime] = None,
        updated_after: Optional[datetime] = None,
        updated_before: Optional[datetime] = None,
        has_email: Optional[bool] = None,
        **call: Unpack[CallOptions],
    ) -> ListLeads200Response:
        """One page of leads; ``limit`` defaults to 50 on the server and is capped at 100.

        The reference's parameters come first, in its order; then ``cursor`` (the
        ``next_cursor`` of the previous page, instead of ``offset``: stable under concurrent
        writes and as fast at any depth) and the filters ``tags`` (any of them: "a,b" or a
        list), ``created_after`` / ``created_before`` / ``updated_after`` /
        ``updated_before`` (a naive datetime is local time) and ``has_email``."""
        return self.list_leads_with_http_info(
            limit, offset, sort, order, search, company, status, cursor, tags,
            created_after, created_before, updated_after, updated_before, has_email, **call,
        ).data  # fmt: skip

    def list_leads_with_http_info(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        sort: Optional[LeadSort] = None,
        order: Optional[SortOrder] = None,
        search: Optional[str] = None,
        company: Optional[str] = None,
        status: Optional[LeadStatus] = None,
        cursor: Optional[str] = None,
        tags: Tags = None,
        created_after: Optional[datetime] = None,
        created_before: Optional[datetime] = None,
        updated_after: Optional[datetime] = None,
        updated_before: Optional[datetime] = None,
        has_email: Optional[bool] = None,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[ListLeads200Response]:
        options = _list_leads(
            limit, offset, sort, order, search, company, status, cursor, tags,
            created_after, created_before, updated_after, updated_before, has_email,
        )  # fmt: skip
        return self.api_client.call_api(options, ListLeads200Response, **call)

    async def list_leads_async(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        sort: Optional[LeadSort] = None,
        order: Optional[SortOrder] = None,
        search: Optional[str] = None,
        company: Optional[str] = None,
        status: Optional[LeadStatus] = None,
        cursor: Optional[str] = None,
        tags: Tags = None,
        created_after: Optional[datetime] = None,
        created_before: Optional[datetime] = None,
        updated_after: Optional[datetime] = None,
        updated_before: Optional[datetime] = None,
        has_email: Optional[bool] = None,
        **call: Unpack[CallOptions],
    ) -> ListLeads200Response:
        response = await self.list_leads_with_http_info_async(
            limit, offset, sort, order, search, company, status, cursor, tags,
            created_after, created_before, updated_after, updated_before, has_email, **call,
        )  # fmt: skip
        return response.data

    async def list_leads_with_http_info_async(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        sort: Optional[LeadSort] = None,
        order: Optional[SortOrder] = None,
        search: Optional[str] = None,
        company: Optional[str] = None,
        status: Optional[LeadStatus] = None,
        cursor: Optional[str] = None,
        tags: Tags = None,
        created_after: Optional[datetime] = None,
        created_before: Optional[datetime] = None,
        updated_after: Optional[datetime] = None,
        updated_before: Optional[datetime] = None,
        has_email: Optional[bool] = None,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[ListLeads200Response]:
        options = _list_leads(
            limit, offset, sort, order, search, company, status, cursor, tags,
            created_after, created_before, updated_after, updated_before, has_email,
        )  # fmt: skip
        return await self.api_client.call_api_async(options, ListLeads200Response, **call)

    def list_leads_without_preload_content(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        sort: Optional[LeadSort] = None,
        order: Optional[SortOrder] = None,
        search: Optional[str] = None,
        company: Optional[str] = None,
        status: Optional[LeadStatus] = None,
        cursor: Optional[str] = None,
        tags: Tags = None,
        created_after: Optional[datetime] = None,
        created_before: Optional[datetime] = None,
        updated_after: Optional[datetime] = None,
        updated_before: Optional[datetime] = None,
        has_email: Optional[bool] = None,
        **call: Unpack[CallOptions],
    ) -> urllib3.BaseHTTPResponse:
        options = _list_leads(
            limit, offset, sort, order, search, company, status, cursor, tags,
            created_after, created_before, updated_after, updated_before, has_email,
        )  # fmt: skip
        return self.api_client.call_api_raw(options, **call)

    async def list_leads_without_preload_content_async(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        sort: Optional[LeadSort] = None,
        order: Optional[SortOrder] = None,
        search: Optional[str] = None,
        company: Optional[str] = None,
        status: Optional[LeadStatus] = None,
        cursor: Optional[str] = None,
        tags: Tags = None,
        created_after: Optional[datetime] = None,
        created_before: Optional[datetime] = None,
        updated_after: Optional[datetime] = None,
        updated_before: Optional[datetime] = None,
        has_email: Optional[bool] = None,
        **call: Unpack[CallOptions],
    ) -> AsyncRawResponse:
        options = _list_leads(
            limit, offset, sort, order, search, company, status, cursor, tags,
            created_after, created_before, updated_after, updated_before, has_email,
        )  # fmt: skip
        return await self.api_client.call_api_raw_async(options, **call)

    # -- create_lead --------------------------------------------------------------------

    def create_lead(
        self, create_lead_request: CreateLeadRequest, **call: Unpack[CallOptions]
    ) -> Lead:
        """Create a lead; 409 ``ConflictException`` if its email exists in the account."""
        return self.create_lead_with_http_info(create_lead_request, **call).data

    def create_lead_with_http_info(
        self, create_lead_request: CreateLeadRequest, **call: Unpack[CallOptions]
    ) -> ApiResponse[Lead]:
        return self.api_client.call_api(_create_lead(create_lead_request), Lead, **call)

    async def create_lead_async(
        self, create_lead_request: CreateLeadRequest, **call: Unpack[CallOptions]
    ) -> Lead:
        return (await self.create_lead_with_http_info_async(create_lead_request, **call)).data

    async def create_lead_with_http_info_async(
        self, create_lead_request: CreateLeadRequest, **call: Unpack[CallOptions]
    ) -> ApiResponse[Lead]:
        return await self.api_client.call_api_async(_create_lead(create_lead_request), Lead, **call)

    def create_lead_without_preload_content(
        self, create_lead_request: CreateLeadRequest, **call: Unpack[CallOptions]
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(_create_lead(create_lead_request), **call)

    async def create_lead_without_preload_content_async(
        self, create_lead_request: CreateLeadRequest, **call: Unpack[CallOptions]
    ) -> AsyncRawResponse:
        return await self.api_client.call_api_raw_async(_create_lead(create_lead_request), **call)

    # -- get_lead -----------------------------------------------------------------------

    def get_lead(self, lead_id: str, **call: Unpack[CallOptions]) -> Lead:
        """One lead by id; ``NotFoundException`` if it is not in the account."""
        return self.get_lead_with_http_info(lead_id, **call).data

    def get_lead_with_http_info(
        self, lead_id: str, **call: Unpack[CallOptions]
    ) -> ApiResponse[Lead]:
        return self.api_client.call_api(_get_lead(lead_id), Lead, **call)

    async def get_lead_async(self, lead_id: str, **call: Unpack[CallOptions]) -> Lead:
        return (await self.get_lead_with_http_info_async(lead_id, **call)).data

    async def get_lead_with_http_info_async(
        self, lead_id: str, **call: Unpack[CallOptions]
    ) -> ApiResponse[Lead]:
        return await self.api_client.call_api_async(_get_lead(lead_id), Lead, **call)

    def get_lead_without_preload_content(
        self, lead_id: str, **call: Unpack[CallOptions]
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(_get_lead(lead_id), **call)

    async def get_lead_without_preload_content_async(
        self, lead_id: str, **call: Unpack[CallOptions]
    ) -> AsyncRawResponse:
        return await self.api_client.call_api_raw_async(_get_lead(lead_id), **call)

    # -- update_lead --------------------------------------------------------------------

    def update_lead(
        self, lead_id: str, update_lead_request: UpdateLeadRequest, **call: Unpack[CallOptions]
    ) -> Lead:
        """Change the fields set in ``update_lead_request``; the others stay as they are."""
        return self.update_lead_with_http_info(lead_id, update_lead_request, **call).data

    def update_lead_with_http_info(
        self, lead_id: str, update_lead_request: UpdateLeadRequest, **call: Unpack[CallOptions]
    ) -> ApiResponse[Lead]:
        return self.api_client.call_api(_update_lead(lead_id, update_lead_request), Lead, **call)

    async def update_lead_async(
        self, lead_id: str, update_lead_request: UpdateLeadRequest, **call: Unpack[CallOptions]
    ) -> Lead:
        return (
            await self.update_lead_with_http_info_async(lead_id, update_lead_request, **call)
        ).data

    async def update_lead_with_http_info_async(
        self, lead_id: str, update_lead_request: UpdateLeadRequest, **call: Unpack[CallOptions]
    ) -> ApiResponse[Lead]:
        options = _update_lead(lead_id, update_lead_request)
        return await self.api_client.call_api_async(options, Lead, **call)

    def update_lead_without_preload_content(
        self, lead_id: str, update_lead_request: UpdateLeadRequest, **call: Unpack[CallOptions]
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(_update_lead(lead_id, update_lead_request), **call)

    async def update_lead_without_preload_content_async(
        self, lead_id: str, update_lead_request: UpdateLeadRequest, **call: Unpack[CallOptions]
    ) -> AsyncRawResponse:
        options = _update_lead(lead_id, update_lead_request)
        return await self.api_client.call_api_raw_async(options, **call)

    # -- delete_lead --------------------------------------------------------------------

    def delete_lead(self, lead_id: str, **call: Unpack[CallOptions]) -> dict[str, Any]:
        """Delete a lead for good: ``{"success": True, "message": ..., "deleted_id": ...}``."""
        return self.delete_lead_with_http_info(lead_id, **call).data

    def delete_lead_with_http_info(
        self, lead_id: str, **call: Unpack[CallOptions]
    ) -> ApiResponse[dict[str, Any]]:
        return self.api_client.call_api(_delete_lead(lead_id), dict, **call)

    async def delete_lead_async(self, lead_id: str, **call: Unpack[CallOptions]) -> dict[str, Any]:
        return (await self.delete_lead_with_http_info_async(lead_id, **call)).data

    async def delete_lead_with_http_info_async(
        self, lead_id: str, **call: Unpack[CallOptions]
    ) -> ApiResponse[dict[str, Any]]:
        return await self.api_client.call_api_async(_delete_lead(lead_id), dict, **call)

    def delete_lead_without_preload_content(
        self, lead_id: str, **call: Unpack[CallOptions]
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(_delete_lead(lead_id), **call)

    async def delete_lead_without_preload_content_async(
        self, lead_id: str, **call: Unpack[CallOptions]
    ) -> AsyncRawResponse:
        return await self.api_client.call_api_raw_async(_delete_lead(lead_id), **call)

    # -- health_check -------------------------------------------------------------------

    def health_check(self, **call: Unpack[CallOptions]) -> HealthCheck200Response:
        """Service status (no key needed); raises ``ServiceException`` (503) when down."""
        return self.health_check_with_http_info(**call).data

    def health_check_with_http_info(
        self, **call: Unpack[CallOptions]
    ) -> ApiResponse[HealthCheck200Response]:
        return self.api_client.call_api(_HEALTH_CHECK, HealthCheck200Response, **call)

    async def health_check_async(self, **call: Unpack[CallOptions]) -> HealthCheck200Response:
        return (await self.health_check_with_http_info_async(**call)).data

    async def health_check_with_http_info_async(
        self, **call: Unpack[CallOptions]
    ) -> ApiResponse[HealthCheck200Response]:
        return await self.api_client.call_api_async(_HEALTH_CHECK, HealthCheck200Response, **call)

    def health_check_without_preload_content(
        self, **call: Unpack[CallOptions]
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(_HEALTH_CHECK, **call)

    async def health_check_without_preload_content_async(
        self, **call: Unpack[CallOptions]
    ) -> AsyncRawResponse:
        return await self.api_client.call_api_raw_async(_HEALTH_CHECK, **call)


# -- request descriptions, shared by the sync and async forms --------------------------

_HEALTH_CHECK = RequestOptions("GET", "/health", authenticated=False)


def _list_leads(
    limit: Optional[int],
    offset: Optional[int],
    sort: Optional[LeadSort],
    order: Optional[SortOrder],
    search: Optional[str],
    company: Optional[str],
    status: Optional[LeadStatus],
    cursor: Optional[str],
    tags: Tags,
    created_after: Optional[datetime],
    created_before: Optional[datetime],
    updated_after: Optional[datetime],
    updated_before: Optional[datetime],
    has_email: Optional[bool],
) -> RequestOptions:
    query = {
        "limit": limit,
        "offset": offset,
        "sort": sort,
        "order": order,
        "search": search,
        "company": company,
        "status": status,
        "cursor": cursor,
        "tags": tags_query(tags),
        "created_after": created_after,
        "created_before": created_before,
        "updated_after": updated_after,
        "updated_before": updated_before,
        "has_email": has_email,
    }
    return RequestOptions("GET", "/leads", query=query)


def _create_lead(body: Union[CreateLeadRequest, dict[str, Any]]) -> RequestOptions:
    return RequestOptions("POST", "/leads", body=as_model(CreateLeadRequest, body))


def _get_lead(lead_id: str) -> RequestOptions:
    return RequestOptions("GET", f"/leads/{path_param('lead_id', lead_id)}")


def _update_lead(lead_id: str, body: Union[UpdateLeadRequest, dict[str, Any]]) -> RequestOptions:
    path = f"/leads/{path_param('lead_id', lead_id)}"
    return RequestOptions("PATCH", path, body=as_model(UpdateLeadRequest, body))


def _delete_lead(lead_id: str) -> RequestOptions:
    return RequestOptions("DELETE", f"/leads/{path_param('lead_id', lead_id)}")
