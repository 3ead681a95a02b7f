"""HTTP endpoints for enrichment: POST /enrich, and a stored lead's enrichment provenance."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import Body, Parameter

from buena_server.auth.guards import principal_of, requires
from buena_server.auth.permissions import Permission
from buena_server.credits.repository import CreditRepository
from buena_server.credits.service import CreditService
from buena_server.enrichment import examples
from buena_server.enrichment.schemas import (
    MAX_SYNC_LEADS,
    EnrichRequest,
    EnrichResponse,
    LeadEnrichment,
)
from buena_server.enrichment.service import EnrichmentPlanner, EnrichmentService, Prepared
from buena_server.kit.dependencies import AuthenticatedRequest, validation_context
from buena_server.kit.driver import Connection
from buena_server.kit.http_hooks import check_strict_body
from buena_server.kit.openapi_docs import answer, error_responses, example
from buena_server.kit.request_id import request_id_of
from buena_server.leads.repository import LeadRepository
from buena_server.leads.service import LeadService
from buena_server.services import services_of

LeadId = Annotated[str, Parameter(description="Lead identifier (lead_...)")]


def provide_enrichment_service(
    conn: NamedDependency[Connection], state: State
) -> EnrichmentService:
    services = services_of(state)
    return EnrichmentService(
        CreditService(CreditRepository(conn), default_credits=services.settings.default_credits),
        LeadService(LeadRepository(conn), validation_context(services.settings)),
    )


# Where ``prepare_enrichment`` leaves the providers' findings for the handler.
_PREPARED = "buena_enrichment_prepared"


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
    request.state[_PREPARED] = await planner.prepare(principal_of(request).account_id, body)


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
        f"charges and writes nothing. At most {MAX_SYNC_LEADS} leads (more: 422, for now). "
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
            **error_responses(402, 403, 422, body=True),
        },
    )
    async def enrich(
        self,
        service: NamedDependency[EnrichmentService],
        request: AuthenticatedRequest,
        data: Annotated[EnrichRequest, Body(examples=example("Three inputs", examples.REQUEST))],
    ) -> EnrichResponse:
        prepared: Prepared = request.state[_PREPARED]
        return await service.enrich(
            request.user.account_id, data, prepared, request_id=request_id_of(request.scope)
        )

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
