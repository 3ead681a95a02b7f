"""HTTP endpoints for enrichment: POST /enrich, and a stored lead's enrichment provenance."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Litestar, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.openapi.spec import Schema
from litestar.params import Body, Parameter

from buena_server.auth.guards import principal_of, requires
from buena_server.auth.permissions import Permission
from buena_server.credits.repository import CreditRepository
from buena_server.credits.service import CreditService
from buena_server.enrichment import examples
from buena_server.enrichment.schemas import (
    MAX_JOB_LEADS,
    MAX_SYNC_LEADS,
    EnrichRequest,
    EnrichResponse,
    LeadEnrichment,
)
from buena_server.enrichment.service import (
    EnrichmentPlanner,
    EnrichmentService,
    Prepared,
    Submission,
)
from buena_server.jobs.schemas import Job
from buena_server.kit.dependencies import AuthenticatedRequest, validation_context
from buena_server.kit.driver import Connection
from buena_server.kit.http_hooks import check_strict_body
from buena_server.kit.openapi_docs import BASE_PATH, answer, error_responses, example
from buena_server.kit.request_id import request_id_of
from buena_server.leads.repository import LeadRepository
from buena_server.leads.service import LeadService
from buena_server.services import services_of

LeadId = Annotated[str, Parameter(description="Lead identifier (lead_...)")]


def document_enrich_request(app: Litestar) -> None:
    """``EnrichRequest`` holds ``leads`` or ``filter``, exactly one (422 otherwise): said in
    the document by a ``oneOf`` of the two requirements, which msgspec's struct cannot."""
    schema = (app.openapi_schema.components.schemas or {}).get(EnrichRequest.__name__)
    if schema is not None:
        schema.one_of = [Schema(required=["leads"]), Schema(required=["filter"])]


def provide_enrichment_service(
    conn: NamedDependency[Connection], state: State
) -> EnrichmentService:
    services = services_of(state)
    return EnrichmentService(
        CreditService(CreditRepository(conn), default_credits=services.settings.default_credits),
        LeadService(LeadRepository(conn), validation_context(services.settings)),
    )


# Where ``prepare_enrichment`` leaves the providers' findings (or a job's submission) for
# the handler.
_PREPARED = "buena_enrichment_prepared"
RESPOND_ASYNC = "respond-async"


def prefers_job(request: Request[Any, Any, Any]) -> bool:
    """Whether the request asked to be answered by a job (RFC 7240 ``Prefer:
    respond-async``, among its other preferences)."""
    return any(
        preference.split(";")[0].split("=")[0].strip().lower() == RESPOND_ASYNC
        for header in request.headers.getall("prefer", [])
        for preference in header.split(",")
    )


async def prepare_enrichment(request: Request[Any, Any, Any]) -> None:
    """``before_request`` of POST /enrich: strict JSON types (``"update_leads": 0`` is 400,
    not false), then the inputs checked and the providers run, before the request's
    transaction begins (as the webhook URL check does): a provider waiting on the network
    holds no write lock, pooled connection or lead row. A body that does not decode is left
    to Litestar, which answers it 400."""
    await check_strict_body(request, EnrichRequest)
    try:
        body = msgspec.json.decode(await request.body(), type=EnrichRequest)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return
    services = services_of(request.app)
    planner = EnrichmentPlanner(
        services.enrichment_providers, services.database, validation_context(services.settings)
    )
    request.state[_PREPARED] = await planner.plan(
        principal_of(request).account_id, body, as_job=prefers_job(request)
    )


class EnrichmentController(Controller):
    tags = ["Enrichment"]
    dependencies = {"service": Provide(provide_enrichment_service, sync_to_thread=False)}

    @post(
        "/enrich",
        operation_id="enrich",
        summary="Enrich leads",
        description="Requires `leads:enrich`. Each input is a stored lead (`lead_id`) or what "
        "is known of a lead; the providers the options turn on enrich it "
        "(docs/enrichment.md). Each lead costs the credits of the providers that found "
        "something for it; a call the balance cannot pay is 402 `INSUFFICIENT_CREDITS` and "
        f"charges and writes nothing. Up to {MAX_SYNC_LEADS} leads are answered at once "
        f"(200). More (up to {MAX_JOB_LEADS}), a `filter` (the stored leads `GET /leads`' "
        "filters select) or the header `Prefer: respond-async` answer 202 with an "
        "enrichment job (`GET /jobs/{job_id}`, its result lines on "
        "`GET /jobs/{job_id}/result`): the credits it may cost (each lead at the cost of "
        "every provider the options turn on) are reserved at once (402 if the balance "
        "cannot), and what it does not use is refunded when it ends, canceled too. "
        "`update_leads: true` writes results to the stored leads' empty fields only "
        "(`lead.updated` and `lead.enriched` events; provenance on "
        "`GET /leads/{lead_id}/enrichment`).",
        guards=[requires(Permission.LEADS_ENRICH)],
        before_request=prepare_enrichment,
        status_code=200,
        responses={
            200: answer(
                EnrichResponse,
                "The leads enriched, those that could not be, and the credits spent",
                "Three inputs",
                examples.RESPONSE,
            ),
            202: answer(
                Job,
                "An enrichment job, pending: its Location header is its URL",
                "A job of 2,500 leads",
                examples.SUBMITTED_JOB,
            ),
            **error_responses(402, 403, 422, body=True),
        },
    )
    async def enrich(
        self,
        service: NamedDependency[EnrichmentService],
        request: AuthenticatedRequest,
        data: Annotated[
            EnrichRequest,
            Body(
                examples=example("Three inputs", examples.REQUEST)
                + example("Stored leads by filter (a job)", examples.FILTER_REQUEST)
            ),
        ],
    ) -> Response[EnrichResponse | Job]:
        planned: Prepared | Submission = request.state[_PREPARED]
        request_id = request_id_of(request.scope)
        if isinstance(planned, Prepared):
            answer = await service.enrich(
                request.user.account_id, data, planned, request_id=request_id
            )
            return Response(answer, status_code=200)
        job = await service.submit(
            request.user.account_id,
            data,
            planned,
            services_of(request.app).enrichment_providers,
            request_id=request_id,
        )
        headers = {"location": f"{BASE_PATH}/jobs/{job.id}"}
        if prefers_job(request):
            headers["preference-applied"] = RESPOND_ASYNC
        return Response(job, status_code=202, headers=headers)

    @get(
        "/leads/{lead_id:str}/enrichment",
        operation_id="get_lead_enrichment",
        summary="Get a lead's enrichment provenance",
        description="Requires `leads:read`. What enrichment wrote to the lead "
        "(`update_leads: true`): its last run (when, which sources, confidence) and, for each "
        "field it filled, the value, its sources and when. A lead never enriched has "
        "`enriched_at` null and no fields.",
        guards=[requires(Permission.LEADS_READ)],
        responses={
            200: answer(
                LeadEnrichment, "The lead's enrichment", "Two fields filled", examples.PROVENANCE
            ),
            **error_responses(403, 404),
        },
    )
    async def get_lead_enrichment(
        self,
        service: NamedDependency[EnrichmentService],
        request: AuthenticatedRequest,
        lead_id: LeadId,
    ) -> LeadEnrichment:
        return await service.provenance(request.user.account_id, lead_id)
