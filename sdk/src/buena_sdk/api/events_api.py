"""The event operations: what happened in the account, to catch up after downtime.

Each operation comes in the same four forms as every other (see ``default_api``); both are
also methods of ``DefaultApi``.
"""

from datetime import datetime
from typing import Optional

import urllib3
from typing_extensions import Unpack

from buena_sdk._call_options import CallOptions
from buena_sdk._raw import AsyncRawResponse
from buena_sdk._request import RequestOptions
from buena_sdk.api._base import ApiBase, path_param
from buena_sdk.api_response import ApiResponse
from buena_sdk.models import Event, ListEventsResponse


class EventsApi(ApiBase):
    """Events (``webhooks:read``)."""

    # -- list_events --------------------------------------------------------------------

    def list_events(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        type: Optional[str] = None,
        created_after: Optional[datetime] = None,
        created_before: Optional[datetime] = None,
        **call: Unpack[CallOptions],
    ) -> ListEventsResponse:
        """One page of events, newest first: of one ``type`` if given, created after and
        before the given times (a naive datetime is taken as local time)."""
        return self.list_events_with_http_info(
            limit, offset, type, created_after, created_before, **call
        ).data

    def list_events_with_http_info(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        type: Optional[str] = None,
        created_after: Optional[datetime] = None,
        created_before: Optional[datetime] = None,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[ListEventsResponse]:
        options = _list_events(limit, offset, type, created_after, created_before)
        return self.api_client.call_api(options, ListEventsResponse, **call)

    async def list_events_async(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        type: Optional[str] = None,
        created_after: Optional[datetime] = None,
        created_before: Optional[datetime] = None,
        **call: Unpack[CallOptions],
    ) -> ListEventsResponse:
        answer = await self.list_events_with_http_info_async(
            limit, offset, type, created_after, created_before, **call
        )
        return answer.data

    async def list_events_with_http_info_async(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        type: Optional[str] = None,
        created_after: Optional[datetime] = None,
        created_before: Optional[datetime] = None,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[ListEventsResponse]:
        options = _list_events(limit, offset, type, created_after, created_before)
        return await self.api_client.call_api_async(options, ListEventsResponse, **call)

    def list_events_without_preload_content(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        type: Optional[str] = None,
        created_after: Optional[datetime] = None,
        created_before: Optional[datetime] = None,
        **call: Unpack[CallOptions],
    ) -> urllib3.BaseHTTPResponse:
        options = _list_events(limit, offset, type, created_after, created_before)
        return self.api_client.call_api_raw(options, **call)

    async def list_events_without_preload_content_async(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        type: Optional[str] = None,
        created_after: Optional[datetime] = None,
        created_before: Optional[datetime] = None,
        **call: Unpack[CallOptions],
    ) -> AsyncRawResponse:
        options = _list_events(limit, offset, type, created_after, created_before)
        return await self.api_client.call_api_raw_async(options, **call)

    # -- get_event ----------------------------------------------------------------------

    def get_event(self, event_id: str, **call: Unpack[CallOptions]) -> Event:
        """One event by id; ``NotFoundException`` if it is not in the account (or is older
        than the server keeps events)."""
        return self.get_event_with_http_info(event_id, **call).data

    def get_event_with_http_info(
        self, event_id: str, **call: Unpack[CallOptions]
    ) -> ApiResponse[Event]:
        return self.api_client.call_api(_get_event(event_id), Event, **call)

    async def get_event_async(self, event_id: str, **call: Unpack[CallOptions]) -> Event:
        return (await self.get_event_with_http_info_async(event_id, **call)).data

    async def get_event_with_http_info_async(
        self, event_id: str, **call: Unpack[CallOptions]
    ) -> ApiResponse[Event]:
        return await self.api_client.call_api_async(_get_event(event_id), Event, **call)

    def get_event_without_preload_content(
        self, event_id: str, **call: Unpack[CallOptions]
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(_get_event(event_id), **call)

    async def get_event_without_preload_content_async(
        self, event_id: str, **call: Unpack[CallOptions]
    ) -> AsyncRawResponse:
        return await self.api_client.call_api_raw_async(_get_event(event_id), **call)


# -- request descriptions, shared by the sync and async forms --------------------------


def _list_events(
    limit: Optional[int],
    offset: Optional[int],
    type: Optional[str],
    created_after: Optional[datetime],
    created_before: Optional[datetime],
) -> RequestOptions:
    query = {
        "limit": limit,
        "offset": offset,
        "type": type,
        "created_after": created_after,
        "created_before": created_before,
    }
    return RequestOptions("GET", "/events", query=query)


def _get_event(event_id: str) -> RequestOptions:
    return RequestOptions("GET", f"/events/{path_param('event_id', event_id)}")
