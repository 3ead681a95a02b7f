"""The enrichment operations: ``enrich`` (answered at once), ``submit_enrichment_job``
(answered by a job), a lead's enrichment provenance, credits.

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
    MAX_ENRICH_LEADS,
    CreditsResponse,
    EnrichRequest,
    EnrichResponse,
    Job,
    LeadEnrichment,
)

# RFC 7240: the server answers POST /enrich with a job (202) whatever the request's size.
PREFER_JOB = {"Prefer": "respond-async"}

Enrichment = Union[EnrichRequest, dict[str, Any]]


class EnrichmentApi(ApiBase):
    """Enrichment and credits (``leads:enrich``)."""

    # -- enrich -------------------------------------------------------------------------

    def enrich(self, enrich_request: Enrichment, **call: Unpack[CallOptions]) -> EnrichResponse:
        """Enrich 1 to 100 leads (stored ones by ``lead_id``, or what is known of them),
        answered at once. ``PaymentRequiredException`` (402 ``INSUFFICIENT_CREDITS``) when
        the account's credits cannot pay: nothing is charged or written then.

        A request with a ``filter`` or more than 100 leads runs as a job on the server:
        every form of ``enrich`` raises ``ValueError`` for it before sending anything; send
        it with ``submit_enrichment_job``."""
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

    # -- submit_enrichment_job ----------------------------------------------------------

    def submit_enrichment_job(self, enrich_request: Enrichment, **call: Unpack[CallOptions]) -> Job:
        """Enrich up to 10,000 leads, or the stored leads ``filter`` selects, as a job: the
        server answers 202 at once with the job, ``pending`` (``Prefer: respond-async`` is
        sent, so a small request runs as a job too).

        The credits the job may cost (each lead at the sum of the costs of the providers
        the options turn on) are reserved at submission: ``PaymentRequiredException`` (402
        ``INSUFFICIENT_CREDITS``) when the balance cannot, and no job exists then. When the
        job ends (completed, failed or canceled) what it did not use is refunded (a
        ``refund`` entry of ``get_credits``). Follow it with ``get_job`` (its ``message``
        at the end: "Enriched X of Y leads; N credits used") and read one result line per
        lead, in the order of the inputs, with ``JobsApi.get_job_result``:
        ``{"status": "enriched", "input", "enriched_data", "confidence", "sources",
        "updated_fields", "credits"}`` or ``{"status": "failed", "input", "code",
        "message"}``. ``update_leads`` writes back as ``enrich`` does (empty fields only)."""
        return self.submit_enrichment_job_with_http_info(enrich_request, **call).data

    def submit_enrichment_job_with_http_info(
        self, enrich_request: Enrichment, **call: Unpack[CallOptions]
    ) -> ApiResponse[Job]:
        """As :meth:`submit_enrichment_job`; the answer's ``Location`` header is the job's
        URL."""
        return self.api_client.call_api(_submit_enrichment_job(enrich_request), Job, **call)

    async def submit_enrichment_job_async(
        self, enrich_request: Enrichment, **call: Unpack[CallOptions]
    ) -> Job:
        return (await self.submit_enrichment_job_with_http_info_async(enrich_request, **call)).data

    async def submit_enrichment_job_with_http_info_async(
        self, enrich_request: Enrichment, **call: Unpack[CallOptions]
    ) -> ApiResponse[Job]:
        options = _submit_enrichment_job(enrich_request)
        return await self.api_client.call_api_async(options, Job, **call)

    def submit_enrichment_job_without_preload_content(
        self, enrich_request: Enrichment, **call: Unpack[CallOptions]
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(_submit_enrichment_job(enrich_request), **call)

    async def submit_enrichment_job_without_preload_content_async(
        self, enrich_request: Enrichment, **call: Unpack[CallOptions]
    ) -> AsyncRawResponse:
        options = _submit_enrichment_job(enrich_request)
        return await self.api_client.call_api_raw_async(options, **call)

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
    request = as_model(EnrichRequest, body)
    if request.filter is not None:
        raise ValueError(
            "enrich answers leads at once; a filter is enriched by a job: "
            "send this request with submit_enrichment_job"
        )
    if request.leads is not None and len(request.leads) > MAX_ENRICH_LEADS:
        raise ValueError(
            f"enrich answers at most {MAX_ENRICH_LEADS} leads at once, and this request has "
            f"{len(request.leads)}: send it with submit_enrichment_job (a job), or in parts"
        )
    return RequestOptions("POST", "/enrich", body=request)


def _submit_enrichment_job(body: Enrichment) -> RequestOptions:
    request = as_model(EnrichRequest, body)
    return RequestOptions("POST", "/enrich", body=request, headers=PREFER_JOB)


def _get_lead_enrichment(lead_id: str) -> RequestOptions:
    return RequestOptions("GET", f"/leads/{path_param('lead_id', lead_id)}/enrichment")


def _get_credits(limit: Optional[int], offset: Optional[int]) -> RequestOptions:
    return RequestOptions("GET", "/credits", query={"limit": limit, "offset": offset})
