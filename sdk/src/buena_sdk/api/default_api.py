"""Every operation of the API. Each names its method, path and models; the request loop,
retries and errors live in ``ApiClient``.

Each operation comes in four forms: ``op`` returns the model, ``op_with_http_info``
returns an ``ApiResponse`` (status, headers, model, raw bytes), and ``op_async`` /
``op_with_http_info_async`` are their awaitable twins.
"""

from datetime import datetime
from typing import Any, Optional, Union

from buena_sdk.api._base import as_model, path_param
from buena_sdk.api.bulk_leads_api import BulkLeadsApi, Tags, tags_query
from buena_sdk.api.events_api import EventsApi
from buena_sdk.api.webhooks_api import WebhooksApi
from buena_sdk.api_client import RequestOptions
from buena_sdk.api_response import ApiResponse
from buena_sdk.models import (
    ApiKey,
    CreateApiKeyRequest,
    CreateLeadRequest,
    HealthCheck200Response,
    Lead,
    ListApiKeysResponse,
    ListLeads200Response,
    UpdateLeadRequest,
)
from buena_sdk.models.literals import LeadSort, LeadStatus, SortOrder


class DefaultApi(BulkLeadsApi, WebhooksApi, EventsApi):
    """Every operation: leads, API keys and health here; batch writes and the export,
    webhooks and events inherited from ``BulkLeadsApi``, ``WebhooksApi`` and ``EventsApi``
    (usable on their own too)."""

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
    ) -> ListLeads200Response:
        """One page of leads; ``limit`` defaults to 50 on the server and is capped at 100.

        The reference's parameters come first, in its order; then ``cursor`` (the
        ``next_cursor`` of the previous page, instead of ``offset``: stable under concurrent
        writes and as fast at any depth) and the filters ``tags`` (any of them: "a,b" or a
        list), ``created_after`` / ``created_before`` / ``updated_after`` /
        ``updated_before`` (a naive datetime is local time) and ``has_email``."""
        return self.list_leads_with_http_info(
            limit, offset, sort, order, search, company, status, cursor, tags,
            created_after, created_before, updated_after, updated_before, has_email,
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
    ) -> ApiResponse[ListLeads200Response]:
        options = _list_leads(
            limit, offset, sort, order, search, company, status, cursor, tags,
            created_after, created_before, updated_after, updated_before, has_email,
        )  # fmt: skip
        return self.api_client.call_api(options, ListLeads200Response)

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
    ) -> ListLeads200Response:
        response = await self.list_leads_with_http_info_async(
            limit, offset, sort, order, search, company, status, cursor, tags,
            created_after, created_before, updated_after, updated_before, has_email,
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
    ) -> ApiResponse[ListLeads200Response]:
        options = _list_leads(
            limit, offset, sort, order, search, company, status, cursor, tags,
            created_after, created_before, updated_after, updated_before, has_email,
        )  # fmt: skip
        return await self.api_client.call_api_async(options, ListLeads200Response)

    # -- create_lead --------------------------------------------------------------------

    def create_lead(self, create_lead_request: CreateLeadRequest) -> Lead:
        """Create a lead; 409 ``ConflictException`` if its email exists in the account."""
        return self.create_lead_with_http_info(create_lead_request).data

    def create_lead_with_http_info(
        self, create_lead_request: CreateLeadRequest
    ) -> ApiResponse[Lead]:
        return self.api_client.call_api(_create_lead(create_lead_request), Lead)

    async def create_lead_async(self, create_lead_request: CreateLeadRequest) -> Lead:
        return (await self.create_lead_with_http_info_async(create_lead_request)).data

    async def create_lead_with_http_info_async(
        self, create_lead_request: CreateLeadRequest
    ) -> ApiResponse[Lead]:
        return await self.api_client.call_api_async(_create_lead(create_lead_request), Lead)

    # -- get_lead -----------------------------------------------------------------------

    def get_lead(self, lead_id: str) -> Lead:
        """One lead by id; ``NotFoundException`` if it is not in the account."""
        return self.get_lead_with_http_info(lead_id).data

    def get_lead_with_http_info(self, lead_id: str) -> ApiResponse[Lead]:
        return self.api_client.call_api(_get_lead(lead_id), Lead)

    async def get_lead_async(self, lead_id: str) -> Lead:
        return (await self.get_lead_with_http_info_async(lead_id)).data

    async def get_lead_with_http_info_async(self, lead_id: str) -> ApiResponse[Lead]:
        return await self.api_client.call_api_async(_get_lead(lead_id), Lead)

    # -- update_lead --------------------------------------------------------------------

    def update_lead(self, lead_id: str, update_lead_request: UpdateLeadRequest) -> Lead:
        """Change the fields set in ``update_lead_request``; the others stay as they are."""
        return self.update_lead_with_http_info(lead_id, update_lead_request).data

    def update_lead_with_http_info(
        self, lead_id: str, update_lead_request: UpdateLeadRequest
    ) -> ApiResponse[Lead]:
        return self.api_client.call_api(_update_lead(lead_id, update_lead_request), Lead)

    async def update_lead_async(self, lead_id: str, update_lead_request: UpdateLeadRequest) -> Lead:
        return (await self.update_lead_with_http_info_async(lead_id, update_lead_request)).data

    async def update_lead_with_http_info_async(
        self, lead_id: str, update_lead_request: UpdateLeadRequest
    ) -> ApiResponse[Lead]:
        options = _update_lead(lead_id, update_lead_request)
        return await self.api_client.call_api_async(options, Lead)

    # -- delete_lead --------------------------------------------------------------------

    def delete_lead(self, lead_id: str) -> dict[str, Any]:
        """Delete a lead for good: ``{"success": True, "message": ..., "deleted_id": ...}``."""
        return self.delete_lead_with_http_info(lead_id).data

    def delete_lead_with_http_info(self, lead_id: str) -> ApiResponse[dict[str, Any]]:
        return self.api_client.call_api(_delete_lead(lead_id), dict)

    async def delete_lead_async(self, lead_id: str) -> dict[str, Any]:
        return (await self.delete_lead_with_http_info_async(lead_id)).data

    async def delete_lead_with_http_info_async(self, lead_id: str) -> ApiResponse[dict[str, Any]]:
        return await self.api_client.call_api_async(_delete_lead(lead_id), dict)

    # -- list_api_keys ------------------------------------------------------------------

    def list_api_keys(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> ListApiKeysResponse:
        """One page of the account's API keys, without the secrets: ``limit`` defaults to 50
        on the server and is capped at 100; ``cursor`` is the previous page's
        ``next_cursor`` (``paginate_api_keys`` walks every page)."""
        return self.list_api_keys_with_http_info(limit, offset, cursor).data

    def list_api_keys_with_http_info(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> ApiResponse[ListApiKeysResponse]:
        options = _list_api_keys(limit, offset, cursor)
        return self.api_client.call_api(options, ListApiKeysResponse)

    async def list_api_keys_async(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> ListApiKeysResponse:
        return (await self.list_api_keys_with_http_info_async(limit, offset, cursor)).data

    async def list_api_keys_with_http_info_async(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> ApiResponse[ListApiKeysResponse]:
        options = _list_api_keys(limit, offset, cursor)
        return await self.api_client.call_api_async(options, ListApiKeysResponse)

    # -- create_api_key -----------------------------------------------------------------

    def create_api_key(self, create_api_key_request: CreateApiKeyRequest) -> ApiKey:
        """Create a key; the answer's ``key`` is the secret, shown this once only."""
        return self.create_api_key_with_http_info(create_api_key_request).data

    def create_api_key_with_http_info(
        self, create_api_key_request: CreateApiKeyRequest
    ) -> ApiResponse[ApiKey]:
        return self.api_client.call_api(_create_api_key(create_api_key_request), ApiKey)

    async def create_api_key_async(self, create_api_key_request: CreateApiKeyRequest) -> ApiKey:
        return (await self.create_api_key_with_http_info_async(create_api_key_request)).data

    async def create_api_key_with_http_info_async(
        self, create_api_key_request: CreateApiKeyRequest
    ) -> ApiResponse[ApiKey]:
        options = _create_api_key(create_api_key_request)
        return await self.api_client.call_api_async(options, ApiKey)

    # -- revoke_api_key -----------------------------------------------------------------

    def revoke_api_key(self, key_id: str) -> dict[str, Any]:
        """Revoke a key at once: ``{"success": True, "message": ..., "revoked_id": ...}``."""
        return self.revoke_api_key_with_http_info(key_id).data

    def revoke_api_key_with_http_info(self, key_id: str) -> ApiResponse[dict[str, Any]]:
        return self.api_client.call_api(_revoke_api_key(key_id), dict)

    async def revoke_api_key_async(self, key_id: str) -> dict[str, Any]:
        return (await self.revoke_api_key_with_http_info_async(key_id)).data

    async def revoke_api_key_with_http_info_async(self, key_id: str) -> ApiResponse[dict[str, Any]]:
        return await self.api_client.call_api_async(_revoke_api_key(key_id), dict)

    # -- health_check -------------------------------------------------------------------

    def health_check(self) -> HealthCheck200Response:
        """Service status (no key needed); raises ``ServiceException`` (503) when down."""
        return self.health_check_with_http_info().data

    def health_check_with_http_info(self) -> ApiResponse[HealthCheck200Response]:
        return self.api_client.call_api(_HEALTH_CHECK, HealthCheck200Response)

    async def health_check_async(self) -> HealthCheck200Response:
        return (await self.health_check_with_http_info_async()).data

    async def health_check_with_http_info_async(self) -> ApiResponse[HealthCheck200Response]:
        return await self.api_client.call_api_async(_HEALTH_CHECK, HealthCheck200Response)


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


def _list_api_keys(
    limit: Optional[int], offset: Optional[int], cursor: Optional[str]
) -> RequestOptions:
    query = {"limit": limit, "offset": offset, "cursor": cursor}
    return RequestOptions("GET", "/keys", query=query)


def _create_api_key(body: Union[CreateApiKeyRequest, dict[str, Any]]) -> RequestOptions:
    # The server keeps no answer for a new key (its secret is never stored), so a key would
    # not make a retry safe: a retry after a lost answer could create a second key.
    return RequestOptions("POST", "/keys", body=as_model(CreateApiKeyRequest, body), keyed=False)


def _revoke_api_key(key_id: str) -> RequestOptions:
    return RequestOptions("DELETE", f"/keys/{path_param('key_id', key_id)}")
