"""A lead's timeline (``leads:read``): its LinkedIn actions, its enrichment and the changes of
its status, newest first.

``list_lead_activities`` comes in the same six forms as every other operation (see
``default_api``); it is also a method of ``DefaultApi``.
"""

from typing import Optional

import urllib3
from typing_extensions import Unpack

from buena_sdk._call_options import CallOptions
from buena_sdk._raw import AsyncRawResponse
from buena_sdk._request import RequestOptions
from buena_sdk.api._base import ApiBase, path_param
from buena_sdk.api_response import ApiResponse
from buena_sdk.models import ListLeadActivitiesResponse


class LeadActivitiesApi(ApiBase):
    """A lead's timeline (``leads:read``)."""

    def list_lead_activities(
        self,
        lead_id: str,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        **call: Unpack[CallOptions],
    ) -> ListLeadActivitiesResponse:
        """One page of the lead's timeline, newest first; ``NotFoundException`` for a lead
        the account has not."""
        return self.list_lead_activities_with_http_info(lead_id, limit, offset, **call).data

    def list_lead_activities_with_http_info(
        self,
        lead_id: str,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[ListLeadActivitiesResponse]:
        options = _list(lead_id, limit, offset)
        return self.api_client.call_api(options, ListLeadActivitiesResponse, **call)

    async def list_lead_activities_async(
        self,
        lead_id: str,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        **call: Unpack[CallOptions],
    ) -> ListLeadActivitiesResponse:
        answer = await self.list_lead_activities_with_http_info_async(
            lead_id, limit, offset, **call
        )
        return answer.data

    async def list_lead_activities_with_http_info_async(
        self,
        lead_id: str,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[ListLeadActivitiesResponse]:
        options = _list(lead_id, limit, offset)
        return await self.api_client.call_api_async(options, ListLeadActivitiesResponse, **call)

    def list_lead_activities_without_preload_content(
        self,
        lead_id: str,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        **call: Unpack[CallOptions],
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(_list(lead_id, limit, offset), **call)

    async def list_lead_activities_without_preload_content_async(
        self,
        lead_id: str,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        **call: Unpack[CallOptions],
    ) -> AsyncRawResponse:
        return await self.api_client.call_api_raw_async(_list(lead_id, limit, offset), **call)


def _list(lead_id: str, limit: Optional[int], offset: Optional[int]) -> RequestOptions:
    path = f"/leads/{path_param('lead_id', lead_id)}/activities"
    return RequestOptions("GET", path, query={"limit": limit, "offset": offset})
