"""The enrichment operations: credits (and, with them, ``enrich``).

Each operation comes in the same four forms as every other (see ``default_api``); all are
also methods of ``DefaultApi``.
"""

from typing import Optional

import urllib3
from typing_extensions import Unpack

from buena_sdk._call_options import CallOptions
from buena_sdk._raw import AsyncRawResponse
from buena_sdk._request import RequestOptions
from buena_sdk.api._base import ApiBase
from buena_sdk.api_response import ApiResponse
from buena_sdk.models import CreditsResponse


class EnrichmentApi(ApiBase):
    """Enrichment and credits (``leads:enrich``)."""

    # -- get_credits --------------------------------------------------------------------

    def get_credits(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        **call: Unpack[CallOptions],
    ) -> CreditsResponse:
        """The account's credit balance and one page of its ledger, newest first."""
        return self.get_credits_with_http_info(limit, offset, **call).data

    def get_credits_with_http_info(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[CreditsResponse]:
        return self.api_client.call_api(_get_credits(limit, offset), CreditsResponse, **call)

    async def get_credits_async(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        **call: Unpack[CallOptions],
    ) -> CreditsResponse:
        return (await self.get_credits_with_http_info_async(limit, offset, **call)).data

    async def get_credits_with_http_info_async(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[CreditsResponse]:
        options = _get_credits(limit, offset)
        return await self.api_client.call_api_async(options, CreditsResponse, **call)

    def get_credits_without_preload_content(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        **call: Unpack[CallOptions],
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(_get_credits(limit, offset), **call)

    async def get_credits_without_preload_content_async(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        **call: Unpack[CallOptions],
    ) -> AsyncRawResponse:
        return await self.api_client.call_api_raw_async(_get_credits(limit, offset), **call)


# -- request descriptions, shared by the sync and async forms --------------------------


def _get_credits(limit: Optional[int], offset: Optional[int]) -> RequestOptions:
    return RequestOptions("GET", "/credits", query={"limit": limit, "offset": offset})
