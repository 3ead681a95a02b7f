"""Prospect lists (``linkedin:upload``): upload people to reach on LinkedIn, see which are
leads already (by email or LinkedIn URL), make leads of the new ones, and schedule one
LinkedIn action for each (``linkedin:schedule``).

Each operation comes in the same six forms as every other (see ``default_api``); all are
also methods of ``DefaultApi``.
"""

from typing import Any, Optional, Union

import urllib3
from typing_extensions import Unpack

from buena_sdk._call_options import CallOptions
from buena_sdk._raw import AsyncRawResponse
from buena_sdk._request import RequestOptions
from buena_sdk.api._base import ApiBase, as_model, path_param
from buena_sdk.api_response import ApiResponse
from buena_sdk.models import (
    ConvertProspectListResponse,
    CreateProspectListRequest,
    ListProspectListsResponse,
    ListProspectsResponse,
    ProspectList,
    ScheduleProspectListRequest,
    ScheduleProspectListResponse,
)

NewList = Union[CreateProspectListRequest, dict[str, Any]]
Schedule = Union[ScheduleProspectListRequest, dict[str, Any]]
_LISTS = "/prospect-lists"


class ProspectListsApi(ApiBase):
    """Prospect lists (``linkedin:upload``)."""

    # -- create_prospect_list --------------------------------------------------

    def create_prospect_list(
        self,
        create_prospect_list_request: NewList,
        **call: Unpack[CallOptions],
    ) -> ProspectList:
        """Upload a list (201): a name and 1 to ``MAX_PROSPECTS`` prospects, each checked with
        the lead's rules; ``UnprocessableEntityException`` names each invalid value
        (``prospects[i].field``)."""
        return self.create_prospect_list_with_http_info(create_prospect_list_request, **call).data

    def create_prospect_list_with_http_info(
        self,
        create_prospect_list_request: NewList,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[ProspectList]:
        return self.api_client.call_api(_create(create_prospect_list_request), ProspectList, **call)

    async def create_prospect_list_async(
        self,
        create_prospect_list_request: NewList,
        **call: Unpack[CallOptions],
    ) -> ProspectList:
        return (
            await self.create_prospect_list_with_http_info_async(
                create_prospect_list_request, **call
            )
        ).data

    async def create_prospect_list_with_http_info_async(
        self,
        create_prospect_list_request: NewList,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[ProspectList]:
        return await self.api_client.call_api_async(
            _create(create_prospect_list_request), ProspectList, **call
        )

    def create_prospect_list_without_preload_content(
        self,
        create_prospect_list_request: NewList,
        **call: Unpack[CallOptions],
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(_create(create_prospect_list_request), **call)

    async def create_prospect_list_without_preload_content_async(
        self,
        create_prospect_list_request: NewList,
        **call: Unpack[CallOptions],
    ) -> AsyncRawResponse:
        return await self.api_client.call_api_raw_async(
            _create(create_prospect_list_request), **call
        )

    # -- list_prospect_lists ---------------------------------------------------

    def list_prospect_lists(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        **call: Unpack[CallOptions],
    ) -> ListProspectListsResponse:
        """One page of the account's prospect lists, newest first."""
        return self.list_prospect_lists_with_http_info(limit, offset, **call).data

    def list_prospect_lists_with_http_info(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[ListProspectListsResponse]:
        return self.api_client.call_api(_list(limit, offset), ListProspectListsResponse, **call)

    async def list_prospect_lists_async(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        **call: Unpack[CallOptions],
    ) -> ListProspectListsResponse:
        return (await self.list_prospect_lists_with_http_info_async(limit, offset, **call)).data

    async def list_prospect_lists_with_http_info_async(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[ListProspectListsResponse]:
        return await self.api_client.call_api_async(
            _list(limit, offset), ListProspectListsResponse, **call
        )

    def list_prospect_lists_without_preload_content(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        **call: Unpack[CallOptions],
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(_list(limit, offset), **call)

    async def list_prospect_lists_without_preload_content_async(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        **call: Unpack[CallOptions],
    ) -> AsyncRawResponse:
        return await self.api_client.call_api_raw_async(_list(limit, offset), **call)

    # -- get_prospect_list -----------------------------------------------------

    def get_prospect_list(
        self,
        list_id: str,
        **call: Unpack[CallOptions],
    ) -> ProspectList:
        """One list; ``NotFoundException`` for a list the account has not."""
        return self.get_prospect_list_with_http_info(list_id, **call).data

    def get_prospect_list_with_http_info(
        self,
        list_id: str,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[ProspectList]:
        return self.api_client.call_api(_get(list_id), ProspectList, **call)

    async def get_prospect_list_async(
        self,
        list_id: str,
        **call: Unpack[CallOptions],
    ) -> ProspectList:
        return (await self.get_prospect_list_with_http_info_async(list_id, **call)).data

    async def get_prospect_list_with_http_info_async(
        self,
        list_id: str,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[ProspectList]:
        return await self.api_client.call_api_async(_get(list_id), ProspectList, **call)

    def get_prospect_list_without_preload_content(
        self,
        list_id: str,
        **call: Unpack[CallOptions],
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(_get(list_id), **call)

    async def get_prospect_list_without_preload_content_async(
        self,
        list_id: str,
        **call: Unpack[CallOptions],
    ) -> AsyncRawResponse:
        return await self.api_client.call_api_raw_async(_get(list_id), **call)

    # -- list_prospects --------------------------------------------------------

    def list_prospects(
        self,
        list_id: str,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        **call: Unpack[CallOptions],
    ) -> ListProspectsResponse:
        """One page of a list's prospects in their order, each matched to a lead now (by
        email, then LinkedIn URL) or ``new``."""
        return self.list_prospects_with_http_info(list_id, limit, offset, **call).data

    def list_prospects_with_http_info(
        self,
        list_id: str,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[ListProspectsResponse]:
        return self.api_client.call_api(
            _prospects(list_id, limit, offset), ListProspectsResponse, **call
        )

    async def list_prospects_async(
        self,
        list_id: str,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        **call: Unpack[CallOptions],
    ) -> ListProspectsResponse:
        return (await self.list_prospects_with_http_info_async(list_id, limit, offset, **call)).data

    async def list_prospects_with_http_info_async(
        self,
        list_id: str,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[ListProspectsResponse]:
        return await self.api_client.call_api_async(
            _prospects(list_id, limit, offset), ListProspectsResponse, **call
        )

    def list_prospects_without_preload_content(
        self,
        list_id: str,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        **call: Unpack[CallOptions],
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(_prospects(list_id, limit, offset), **call)

    async def list_prospects_without_preload_content_async(
        self,
        list_id: str,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        **call: Unpack[CallOptions],
    ) -> AsyncRawResponse:
        return await self.api_client.call_api_raw_async(_prospects(list_id, limit, offset), **call)

    # -- convert_prospect_list -------------------------------------------------

    def convert_prospect_list(
        self,
        list_id: str,
        **call: Unpack[CallOptions],
    ) -> ConvertProspectListResponse:
        """Make leads of the list's new prospects, as ``batch_leads`` (mode create) would:
        one outcome per prospect (``created``, ``existing``, ``error``)."""
        return self.convert_prospect_list_with_http_info(list_id, **call).data

    def convert_prospect_list_with_http_info(
        self,
        list_id: str,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[ConvertProspectListResponse]:
        return self.api_client.call_api(_convert(list_id), ConvertProspectListResponse, **call)

    async def convert_prospect_list_async(
        self,
        list_id: str,
        **call: Unpack[CallOptions],
    ) -> ConvertProspectListResponse:
        return (await self.convert_prospect_list_with_http_info_async(list_id, **call)).data

    async def convert_prospect_list_with_http_info_async(
        self,
        list_id: str,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[ConvertProspectListResponse]:
        return await self.api_client.call_api_async(
            _convert(list_id), ConvertProspectListResponse, **call
        )

    def convert_prospect_list_without_preload_content(
        self,
        list_id: str,
        **call: Unpack[CallOptions],
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(_convert(list_id), **call)

    async def convert_prospect_list_without_preload_content_async(
        self,
        list_id: str,
        **call: Unpack[CallOptions],
    ) -> AsyncRawResponse:
        return await self.api_client.call_api_raw_async(_convert(list_id), **call)

    # -- schedule_prospect_list ------------------------------------------------

    def schedule_prospect_list(
        self,
        list_id: str,
        schedule_prospect_list_request: Schedule,
        **call: Unpack[CallOptions],
    ) -> ScheduleProspectListResponse:
        """Schedule one action for every prospect, within the integration's limits: one outcome
        each (``scheduled`` with ``scheduled_for``, or ``refused`` with its error);
        ``ConflictException`` (``LINKEDIN_NOT_CONNECTED``) without an integration."""
        return self.schedule_prospect_list_with_http_info(
            list_id, schedule_prospect_list_request, **call
        ).data

    def schedule_prospect_list_with_http_info(
        self,
        list_id: str,
        schedule_prospect_list_request: Schedule,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[ScheduleProspectListResponse]:
        return self.api_client.call_api(
            _schedule(list_id, schedule_prospect_list_request), ScheduleProspectListResponse, **call
        )

    async def schedule_prospect_list_async(
        self,
        list_id: str,
        schedule_prospect_list_request: Schedule,
        **call: Unpack[CallOptions],
    ) -> ScheduleProspectListResponse:
        return (
            await self.schedule_prospect_list_with_http_info_async(
                list_id, schedule_prospect_list_request, **call
            )
        ).data

    async def schedule_prospect_list_with_http_info_async(
        self,
        list_id: str,
        schedule_prospect_list_request: Schedule,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[ScheduleProspectListResponse]:
        return await self.api_client.call_api_async(
            _schedule(list_id, schedule_prospect_list_request), ScheduleProspectListResponse, **call
        )

    def schedule_prospect_list_without_preload_content(
        self,
        list_id: str,
        schedule_prospect_list_request: Schedule,
        **call: Unpack[CallOptions],
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(
            _schedule(list_id, schedule_prospect_list_request), **call
        )

    async def schedule_prospect_list_without_preload_content_async(
        self,
        list_id: str,
        schedule_prospect_list_request: Schedule,
        **call: Unpack[CallOptions],
    ) -> AsyncRawResponse:
        return await self.api_client.call_api_raw_async(
            _schedule(list_id, schedule_prospect_list_request), **call
        )

    # -- import_prospect_list --------------------------------------------------

    def import_prospect_list(
        self,
        name: str,
        csv: Union[str, bytes],
        **call: Unpack[CallOptions],
    ) -> ProspectList:
        """Upload a list as CSV (201): a header row (mapped as ``buena leads import`` maps
        columns: "First Name", "E-mail", "LinkedIn URL"...), then one prospect a row; text
        is sent as UTF-8. ``UnprocessableEntityException`` names each invalid value."""
        return self.import_prospect_list_with_http_info(name, csv, **call).data

    def import_prospect_list_with_http_info(
        self,
        name: str,
        csv: Union[str, bytes],
        **call: Unpack[CallOptions],
    ) -> ApiResponse[ProspectList]:
        return self.api_client.call_api(_import(name, csv), ProspectList, **call)

    async def import_prospect_list_async(
        self,
        name: str,
        csv: Union[str, bytes],
        **call: Unpack[CallOptions],
    ) -> ProspectList:
        return (await self.import_prospect_list_with_http_info_async(name, csv, **call)).data

    async def import_prospect_list_with_http_info_async(
        self,
        name: str,
        csv: Union[str, bytes],
        **call: Unpack[CallOptions],
    ) -> ApiResponse[ProspectList]:
        return await self.api_client.call_api_async(_import(name, csv), ProspectList, **call)

    def import_prospect_list_without_preload_content(
        self,
        name: str,
        csv: Union[str, bytes],
        **call: Unpack[CallOptions],
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(_import(name, csv), **call)

    async def import_prospect_list_without_preload_content_async(
        self,
        name: str,
        csv: Union[str, bytes],
        **call: Unpack[CallOptions],
    ) -> AsyncRawResponse:
        return await self.api_client.call_api_raw_async(_import(name, csv), **call)


def _create(request: NewList) -> RequestOptions:
    return RequestOptions("POST", _LISTS, body=as_model(CreateProspectListRequest, request))


def _list(limit: Optional[int], offset: Optional[int]) -> RequestOptions:
    return RequestOptions("GET", _LISTS, query={"limit": limit, "offset": offset})


def _one(list_id: str) -> str:
    return f"{_LISTS}/{path_param('list_id', list_id)}"


def _get(list_id: str) -> RequestOptions:
    return RequestOptions("GET", _one(list_id))


def _prospects(list_id: str, limit: Optional[int], offset: Optional[int]) -> RequestOptions:
    query = {"limit": limit, "offset": offset}
    return RequestOptions("GET", f"{_one(list_id)}/prospects", query=query)


def _convert(list_id: str) -> RequestOptions:
    return RequestOptions("POST", f"{_one(list_id)}/convert")


def _schedule(list_id: str, request: Schedule) -> RequestOptions:
    body = as_model(ScheduleProspectListRequest, request)
    return RequestOptions("POST", f"{_one(list_id)}/schedule", body=body)


def _import(name: str, csv: Union[str, bytes]) -> RequestOptions:
    content = csv.encode("utf-8") if isinstance(csv, str) else csv
    return RequestOptions(
        "POST", f"{_LISTS}/import", query={"name": name}, content=("text/csv", content)
    )
