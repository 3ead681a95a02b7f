"""The LinkedIn Automation operations: scheduled actions (``linkedin:schedule``, and
``linkedin:voice`` for voice messages; ``linkedin:read`` to list and read them) and the
hosted API's ``scheduleLinkedInAction``; the connected account's operations
(``linkedin_integration_api``) are inherited, so ``LinkedInApi`` has them all.

Each operation comes in the same six forms as every other (see ``default_api``); all are
also methods of ``DefaultApi``.
"""

from datetime import datetime
from typing import Any, Optional, Union

import urllib3
from typing_extensions import Unpack

from buena_sdk._call_options import CallOptions
from buena_sdk._raw import AsyncRawResponse
from buena_sdk._request import RequestOptions
from buena_sdk.api._base import as_model, path_param
from buena_sdk.api.linkedin_integration_api import LinkedInIntegrationApi
from buena_sdk.api_response import ApiResponse
from buena_sdk.models import (
    HostedScheduleLinkedInActionRequest,
    HostedScheduleLinkedInActionResponse,
    LinkedInAction,
    ListLinkedInActionsResponse,
    ScheduleLinkedInActionRequest,
)
from buena_sdk.models.literals import SortOrder

Action = Union[ScheduleLinkedInActionRequest, dict[str, Any]]
HostedAction = Union[HostedScheduleLinkedInActionRequest, dict[str, Any]]
_ACTIONS = "/linkedin/actions"


class LinkedInApi(LinkedInIntegrationApi):
    """LinkedIn Automation (``linkedin:read``, ``linkedin:schedule``, ``linkedin:voice``):
    the scheduled actions here, the connected account inherited from
    ``LinkedInIntegrationApi``."""

    # -- schedule_linkedin_action ---------------------------------------------------

    def schedule_linkedin_action(
        self, schedule_linkedin_action_request: Action, **call: Unpack[CallOptions]
    ) -> LinkedInAction:
        """Schedule an action (202): the answer's ``scheduled_for`` is when it runs, within the
        integration's working hours, daily limit and delays. ``ConflictException`` for
        ``LINKEDIN_NOT_CONNECTED`` and ``LINKEDIN_DUPLICATE_ACTION`` (a second connection
        request to a profile)."""
        return self.schedule_linkedin_action_with_http_info(
            schedule_linkedin_action_request, **call
        ).data

    def schedule_linkedin_action_with_http_info(
        self, schedule_linkedin_action_request: Action, **call: Unpack[CallOptions]
    ) -> ApiResponse[LinkedInAction]:
        return self.api_client.call_api(
            _schedule(schedule_linkedin_action_request), LinkedInAction, **call
        )

    async def schedule_linkedin_action_async(
        self, schedule_linkedin_action_request: Action, **call: Unpack[CallOptions]
    ) -> LinkedInAction:
        return (
            await self.schedule_linkedin_action_with_http_info_async(
                schedule_linkedin_action_request, **call
            )
        ).data

    async def schedule_linkedin_action_with_http_info_async(
        self, schedule_linkedin_action_request: Action, **call: Unpack[CallOptions]
    ) -> ApiResponse[LinkedInAction]:
        return await self.api_client.call_api_async(
            _schedule(schedule_linkedin_action_request), LinkedInAction, **call
        )

    def schedule_linkedin_action_without_preload_content(
        self, schedule_linkedin_action_request: Action, **call: Unpack[CallOptions]
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(_schedule(schedule_linkedin_action_request), **call)

    async def schedule_linkedin_action_without_preload_content_async(
        self, schedule_linkedin_action_request: Action, **call: Unpack[CallOptions]
    ) -> AsyncRawResponse:
        return await self.api_client.call_api_raw_async(
            _schedule(schedule_linkedin_action_request), **call
        )

    # -- list_linkedin_actions ------------------------------------------------------

    def list_linkedin_actions(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        status: Optional[str] = None,
        action_type: Optional[str] = None,
        lead_id: Optional[str] = None,
        scheduled_after: Optional[datetime] = None,
        scheduled_before: Optional[datetime] = None,
        order: Optional[SortOrder] = None,
        **call: Unpack[CallOptions],
    ) -> ListLinkedInActionsResponse:
        """One page of actions by ``scheduled_for`` (newest first unless ``order="asc"``),
        filtered by status, type, lead and time (a naive datetime is local time)."""
        return self.list_linkedin_actions_with_http_info(
            limit,
            offset,
            status,
            action_type,
            lead_id,
            scheduled_after,
            scheduled_before,
            order,
            **call,
        ).data

    def list_linkedin_actions_with_http_info(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        status: Optional[str] = None,
        action_type: Optional[str] = None,
        lead_id: Optional[str] = None,
        scheduled_after: Optional[datetime] = None,
        scheduled_before: Optional[datetime] = None,
        order: Optional[SortOrder] = None,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[ListLinkedInActionsResponse]:
        return self.api_client.call_api(
            _list(
                limit,
                offset,
                status,
                action_type,
                lead_id,
                scheduled_after,
                scheduled_before,
                order,
            ),
            ListLinkedInActionsResponse,
            **call,
        )

    async def list_linkedin_actions_async(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        status: Optional[str] = None,
        action_type: Optional[str] = None,
        lead_id: Optional[str] = None,
        scheduled_after: Optional[datetime] = None,
        scheduled_before: Optional[datetime] = None,
        order: Optional[SortOrder] = None,
        **call: Unpack[CallOptions],
    ) -> ListLinkedInActionsResponse:
        return (
            await self.list_linkedin_actions_with_http_info_async(
                limit,
                offset,
                status,
                action_type,
                lead_id,
                scheduled_after,
                scheduled_before,
                order,
                **call,
            )
        ).data

    async def list_linkedin_actions_with_http_info_async(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        status: Optional[str] = None,
        action_type: Optional[str] = None,
        lead_id: Optional[str] = None,
        scheduled_after: Optional[datetime] = None,
        scheduled_before: Optional[datetime] = None,
        order: Optional[SortOrder] = None,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[ListLinkedInActionsResponse]:
        return await self.api_client.call_api_async(
            _list(
                limit,
                offset,
                status,
                action_type,
                lead_id,
                scheduled_after,
                scheduled_before,
                order,
            ),
            ListLinkedInActionsResponse,
            **call,
        )

    def list_linkedin_actions_without_preload_content(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        status: Optional[str] = None,
        action_type: Optional[str] = None,
        lead_id: Optional[str] = None,
        scheduled_after: Optional[datetime] = None,
        scheduled_before: Optional[datetime] = None,
        order: Optional[SortOrder] = None,
        **call: Unpack[CallOptions],
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(
            _list(
                limit,
                offset,
                status,
                action_type,
                lead_id,
                scheduled_after,
                scheduled_before,
                order,
            ),
            **call,
        )

    async def list_linkedin_actions_without_preload_content_async(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        status: Optional[str] = None,
        action_type: Optional[str] = None,
        lead_id: Optional[str] = None,
        scheduled_after: Optional[datetime] = None,
        scheduled_before: Optional[datetime] = None,
        order: Optional[SortOrder] = None,
        **call: Unpack[CallOptions],
    ) -> AsyncRawResponse:
        return await self.api_client.call_api_raw_async(
            _list(
                limit,
                offset,
                status,
                action_type,
                lead_id,
                scheduled_after,
                scheduled_before,
                order,
            ),
            **call,
        )

    # -- get_linkedin_action --------------------------------------------------------

    def get_linkedin_action(self, action_id: str, **call: Unpack[CallOptions]) -> LinkedInAction:
        """One action by id; ``NotFoundException`` if it is not the account's."""
        return self.get_linkedin_action_with_http_info(action_id, **call).data

    def get_linkedin_action_with_http_info(
        self, action_id: str, **call: Unpack[CallOptions]
    ) -> ApiResponse[LinkedInAction]:
        return self.api_client.call_api(_get_action(action_id), LinkedInAction, **call)

    async def get_linkedin_action_async(
        self, action_id: str, **call: Unpack[CallOptions]
    ) -> LinkedInAction:
        return (await self.get_linkedin_action_with_http_info_async(action_id, **call)).data

    async def get_linkedin_action_with_http_info_async(
        self, action_id: str, **call: Unpack[CallOptions]
    ) -> ApiResponse[LinkedInAction]:
        return await self.api_client.call_api_async(_get_action(action_id), LinkedInAction, **call)

    def get_linkedin_action_without_preload_content(
        self, action_id: str, **call: Unpack[CallOptions]
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(_get_action(action_id), **call)

    async def get_linkedin_action_without_preload_content_async(
        self, action_id: str, **call: Unpack[CallOptions]
    ) -> AsyncRawResponse:
        return await self.api_client.call_api_raw_async(_get_action(action_id), **call)

    # -- cancel_linkedin_action -----------------------------------------------------

    def cancel_linkedin_action(self, action_id: str, **call: Unpack[CallOptions]) -> LinkedInAction:
        """Cancel a scheduled action; ``ConflictException`` (``LINKEDIN_ACTION_NOT_CANCELABLE``)
        once it is running or finished."""
        return self.cancel_linkedin_action_with_http_info(action_id, **call).data

    def cancel_linkedin_action_with_http_info(
        self, action_id: str, **call: Unpack[CallOptions]
    ) -> ApiResponse[LinkedInAction]:
        return self.api_client.call_api(_cancel_action(action_id), LinkedInAction, **call)

    async def cancel_linkedin_action_async(
        self, action_id: str, **call: Unpack[CallOptions]
    ) -> LinkedInAction:
        return (await self.cancel_linkedin_action_with_http_info_async(action_id, **call)).data

    async def cancel_linkedin_action_with_http_info_async(
        self, action_id: str, **call: Unpack[CallOptions]
    ) -> ApiResponse[LinkedInAction]:
        return await self.api_client.call_api_async(
            _cancel_action(action_id), LinkedInAction, **call
        )

    def cancel_linkedin_action_without_preload_content(
        self, action_id: str, **call: Unpack[CallOptions]
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(_cancel_action(action_id), **call)

    async def cancel_linkedin_action_without_preload_content_async(
        self, action_id: str, **call: Unpack[CallOptions]
    ) -> AsyncRawResponse:
        return await self.api_client.call_api_raw_async(_cancel_action(action_id), **call)

    # -- schedule_linkedin_action_hosted --------------------------------------------

    def schedule_linkedin_action_hosted(
        self, hosted_request: HostedAction, **call: Unpack[CallOptions]
    ) -> HostedScheduleLinkedInActionResponse:
        """The hosted API's ``POST /linkedin/scheduleLinkedInAction`` (camelCase body), answered
        with its message; the action is the one ``schedule_linkedin_action`` makes."""
        return self.schedule_linkedin_action_hosted_with_http_info(hosted_request, **call).data

    def schedule_linkedin_action_hosted_with_http_info(
        self, hosted_request: HostedAction, **call: Unpack[CallOptions]
    ) -> ApiResponse[HostedScheduleLinkedInActionResponse]:
        return self.api_client.call_api(
            _schedule_hosted(hosted_request), HostedScheduleLinkedInActionResponse, **call
        )

    async def schedule_linkedin_action_hosted_async(
        self, hosted_request: HostedAction, **call: Unpack[CallOptions]
    ) -> HostedScheduleLinkedInActionResponse:
        return (
            await self.schedule_linkedin_action_hosted_with_http_info_async(hosted_request, **call)
        ).data

    async def schedule_linkedin_action_hosted_with_http_info_async(
        self, hosted_request: HostedAction, **call: Unpack[CallOptions]
    ) -> ApiResponse[HostedScheduleLinkedInActionResponse]:
        return await self.api_client.call_api_async(
            _schedule_hosted(hosted_request), HostedScheduleLinkedInActionResponse, **call
        )

    def schedule_linkedin_action_hosted_without_preload_content(
        self, hosted_request: HostedAction, **call: Unpack[CallOptions]
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(_schedule_hosted(hosted_request), **call)

    async def schedule_linkedin_action_hosted_without_preload_content_async(
        self, hosted_request: HostedAction, **call: Unpack[CallOptions]
    ) -> AsyncRawResponse:
        return await self.api_client.call_api_raw_async(_schedule_hosted(hosted_request), **call)


# -- request descriptions, shared by the sync and async forms --------------------------


def _schedule(request: Action) -> RequestOptions:
    return RequestOptions("POST", _ACTIONS, body=as_model(ScheduleLinkedInActionRequest, request))


def _list(
    limit: Optional[int],
    offset: Optional[int],
    status: Optional[str],
    action_type: Optional[str],
    lead_id: Optional[str],
    scheduled_after: Optional[datetime],
    scheduled_before: Optional[datetime],
    order: Optional[str],
) -> RequestOptions:
    query = {
        "limit": limit,
        "offset": offset,
        "status": status,
        "action_type": action_type,
        "lead_id": lead_id,
        "scheduled_after": scheduled_after,
        "scheduled_before": scheduled_before,
        "order": order,
    }
    return RequestOptions("GET", _ACTIONS, query=query)


def _get_action(action_id: str) -> RequestOptions:
    return RequestOptions("GET", f"{_ACTIONS}/{path_param('action_id', action_id)}")


def _cancel_action(action_id: str) -> RequestOptions:
    return RequestOptions("POST", f"{_ACTIONS}/{path_param('action_id', action_id)}/cancel")


def _schedule_hosted(request: HostedAction) -> RequestOptions:
    body = as_model(HostedScheduleLinkedInActionRequest, request)
    return RequestOptions("POST", "/linkedin/scheduleLinkedInAction", body=body)
