"""HTTP endpoint for credits: the balance and its ledger."""

from __future__ import annotations

from litestar import Controller, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide

from buena_server.auth.guards import requires
from buena_server.auth.permissions import Permission
from buena_server.credits.repository import CreditRepository
from buena_server.credits.schemas import CreditsResponse
from buena_server.credits.service import CreditService
from buena_server.kit.dependencies import AuthenticatedRequest
from buena_server.kit.driver import Connection
from buena_server.kit.openapi_docs import answer, error_responses
from buena_server.kit.paging import Limit, Offset, page
from buena_server.services import services_of

CREDITS_EXAMPLE = {
    "balance": 997,
    "data": [
        {
            "id": "cred_0b1c2d3e4f5a6b7c8d9e0f1a",
            "amount": -3,
            "balance_after": 997,
            "kind": "enrichment",
            "description": "POST /enrich: 1 lead enriched",
            "request_id": "req_5d1e0c2b3a4f59687766554433221100",
            "created_at": "2026-12-06T09:30:00Z",
        },
        {
            "id": "cred_9f8e7d6c5b4a39281706f5e4",
            "amount": 1000,
            "balance_after": 1000,
            "kind": "grant",
            "description": "Opening balance (BUENA_DEFAULT_CREDITS)",
            "request_id": None,
            "created_at": "2026-12-06T09:30:00Z",
        },
    ],
    "total": 2,
    "limit": 50,
    "offset": 0,
}


def provide_credit_service(conn: NamedDependency[Connection], state: State) -> CreditService:
    return CreditService(
        CreditRepository(conn), default_credits=services_of(state).settings.default_credits
    )


class CreditController(Controller):
    path = "/credits"
    tags = ["Enrichment"]
    dependencies = {"service": Provide(provide_credit_service, sync_to_thread=False)}

    @get(
        operation_id="get_credits",
        summary="Get the credit balance and ledger",
        description="Requires `leads:enrich`. The account's balance and its ledger, newest "
        "first, paged like `GET /keys`: the opening grant (`BUENA_DEFAULT_CREDITS`, given "
        "with the account's first charge; until then the balance reads as that amount and "
        "the ledger is empty), each enrichment's charge, each operator's addition.",
        guards=[requires(Permission.LEADS_ENRICH)],
        responses={
            200: answer(
                CreditsResponse,
                "The balance and a page of the ledger",
                "After one enrichment",
                CREDITS_EXAMPLE,
            ),
            **error_responses(400, 403, 422),
        },
    )
    async def get_credits(
        self,
        service: NamedDependency[CreditService],
        request: AuthenticatedRequest,
        limit: Limit = None,
        offset: Offset = None,
    ) -> CreditsResponse:
        applied = page(limit, offset)
        return await service.statement(
            request.user.account_id, limit=applied.limit, offset=applied.offset
        )
