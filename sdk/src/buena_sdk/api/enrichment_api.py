"""The enrichment operations: ``enrich``, a lead's enrichment provenance, credits.

Each operation comes in the same four forms as every other (see ``default_api``); all are
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
from buena_sdk.models import CreditsResponse, EnrichRequest, EnrichResponse, LeadEnrichment

Enrichment = Union[EnrichRequest, dict[str, Any]]


class EnrichmentApi(ApiBase):
    """Enrichment and credits (``leads:enrich``)."""

    # -- enrich -------------------------------------------------------------------------

    def enrich(self, enrich_request: Enrichment, **call: Unpack[CallOptions]) -> EnrichResponse:
        """Enrich 1 to 100 leads (stored ones by ``lead_id``, or what is known of them).
        ``PaymentRequiredException`` (402 ``INSUFFICIENT_CREDITS``) when the account's
        credits cannot pay: nothing is charged or written then."""
        return self.enrich_with_http_info(enrich_request, **call).data

    def enrich_with_http_info(
        self, enrich_request: Enrichment, **call: Unpack[CallOptions]
    ) -> ApiResponse[EnrichResponse]:
        return self.api_client.call_api(_enrich(enrich_request), EnrichResponse, **call)

    async def enrich_async(
        self, enrich_request: Enrichment, **call: Unpack[CallOptions]
    ) -> EnrichResponse:
        return (await self.enrich_with_http_info_async(enrich_request, **call)).data

    async def enrich_with_http_info_async(
        self, enrich_request: Enrichment, **call: Unpack[CallOptions]
    ) -> ApiResponse[EnrichResponse]:
        options = _enrich(enrich_request)
        return await self.api_client.call_api_async(options, EnrichResponse, **call)

    def enrich_without_preload_content(
        self, enrich_request: Enrichment, **call: Unpack[CallOptions]
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(_enrich(enrich_request), **call)

    async def enrich_without_preload_content_async(
        self, enrich_request: Enrichment, **call: Unpack[CallOptions]
    ) -> AsyncRawResponse:
        return await self.api_client.call_api_raw_async(_enrich(enrich_request), **call)

    # -- get_lead_enrichment ------------------------------------------------------------

    def get_lead_enrichment(self, lead_id: str, **call: Unpack[CallOptions]) -> LeadEnrichment:
        """What enrichment wrote to a stored lead (``leads:read``): the last run and each
        field it filled; ``NotFoundException`` for an unknown lead."""
        return self.get_lead_enrichment_with_http_info(lead_id, **call).data

    def get_lead_enrichment_with_http_info(
        self, lead_id: str, **call: Unpack[CallOptions]
    ) -> ApiResponse[LeadEnrichment]:
        options = _get_lead_enrichment(lead_id)
        return self.api_client.call_api(options, LeadEnrichment, **call)

    async def get_lead_enrichment_async(
        self, lead_id: str, **call: Unpack[CallOptions]
    ) -> LeadEnrichment:
        return (await self.get_lead_enrichment_with_http_info_async(lead_id, **call)).data

    async def get_lead_enrichment_with_http_info_async(
        self, lead_id: str, **call: Unpack[CallOptions]
    ) -> ApiResponse[LeadEnrichment]:
        options = _get_lead_enrichment(lead_id)
        return await self.api_client.call_api_async(options, LeadEnrichment, **call)

    def get_lead_enrichment_without_preload_content(
        self, lead_id: str, **call: Unpack[CallOptions]
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(_get_lead_enrichment(lead_id), **call)

    async def get_lead_enrichment_without_preload_content_async(
        self, lead_id: str, **call: Unpack[CallOptions]
    ) -> AsyncRawResponse:
        return await self.api_client.call_api_raw_async(_get_lead_enrichment(lead_id), **call)

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


def _enrich(body: Enrichment) -> RequestOptions:
    return RequestOptions("POST", "/enrich", body=as_model(EnrichRequest, body))


def _get_lead_enrichment(lead_id: str) -> RequestOptions:
    return RequestOptions("GET", f"/leads/{path_param('lead_id', lead_id)}/enrichment")


def _get_credits(limit: Optional[int], offset: Optional[int]) -> RequestOptions:
    return RequestOptions("GET", "/credits", query={"limit": limit, "offset": offset})
