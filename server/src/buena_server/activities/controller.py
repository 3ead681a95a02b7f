"""GET /leads/{id}/activities: parse, authorise, call the service."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import Parameter

from buena_server.activities import examples
from buena_server.activities.schemas import ListLeadActivitiesResponse
from buena_server.activities.service import ActivityService
from buena_server.auth.guards import requires
from buena_server.auth.permissions import Permission
from buena_server.kit.dependencies import AuthenticatedRequest
from buena_server.kit.driver import Connection
from buena_server.kit.openapi_docs import answer, error_responses
from buena_server.kit.paging import Limit, Offset, page


def provide_activity_service(conn: NamedDependency[Connection]) -> ActivityService:
    return ActivityService(conn)


class LeadActivityController(Controller):
    path = "/leads/{lead_id:str}/activities"
    tags = ["Leads"]
    dependencies = {"service": Provide(provide_activity_service, sync_to_thread=False)}

    @get(
        operation_id="list_lead_activities",
        summary="A lead's timeline",
        description="Requires `leads:read`. What happened to the lead, newest first, paged "
        "like `GET /jobs`: its LinkedIn actions (`linkedin_action`, the action with its "
        "outcome: `result` or `error`), its last enrichment (`enrichment`: when, the "
        "sources and the fields written) and the changes of its status (`status_change`, "
        "from its `lead.updated` events, kept as long as events are). `type` says which "
        "of `action`, `enrichment` and `status_change` is set.",
        guards=[requires(Permission.LEADS_READ)],
        responses={
            200: answer(
                ListLeadActivitiesResponse,
                "A page of the lead's timeline",
                "Contacted on LinkedIn",
                examples.TIMELINE,
            ),
            **error_responses(403, 404, 422),
        },
    )
    async def list_lead_activities(
        self,
        service: NamedDependency[ActivityService],
        request: AuthenticatedRequest,
        lead_id: Annotated[str, Parameter(description="Lead identifier (lead_...)")],
        limit: Limit = None,
        offset: Offset = None,
    ) -> ListLeadActivitiesResponse:
        return await service.timeline(request.user.account_id, lead_id, page(limit, offset))
