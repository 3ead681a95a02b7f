"""HTTP endpoints for leads: parse, authorise (guards), call the service, return."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, delete, get, patch, post
from litestar.datastructures import ResponseHeader, State
from litestar.di import NamedDependency, Provide
from litestar.openapi.spec import OpenAPIType
from litestar.params import JSONBody, Parameter

from buena_server.auth.guards import requires
from buena_server.auth.permissions import Permission
from buena_server.errors import ValidationFailed
from buena_server.kit.dependencies import AuthenticatedRequest, validation_context
from buena_server.kit.driver import Connection
from buena_server.kit.openapi_docs import error_responses, query_schema
from buena_server.kit.paging import Limit, Offset, page, page_errors
from buena_server.kit.validation import NO_NUL
from buena_server.leads.repository import LeadQuery, LeadRepository
from buena_server.leads.schemas import (
    LEAD_STATUSES,
    SORT_FIELDS,
    SORT_ORDERS,
    CreateLeadRequest,
    DeleteLeadResponse,
    Lead,
    ListLeads200Response,
    UpdateLeadRequest,
)
from buena_server.leads.service import LeadService
from buena_server.leads.urls import lead_location
from buena_server.services import services_of

MAX_FILTER_LENGTH = 200

LeadId = Annotated[str, Parameter(description="Lead identifier (lead_...)")]


def provide_lead_service(conn: NamedDependency[Connection], state: State) -> LeadService:
    return LeadService(LeadRepository(conn), validation_context(services_of(state).settings))


def lead_query(
    limit: int | None,
    offset: int | None,
    sort: str | None,
    order: str | None,
    search: str | None,
    company: str | None,
    status: str | None,
) -> LeadQuery:
    """Check list parameters' values (422) and apply defaults; limit above 100 becomes 100."""
    errors = page_errors(limit, offset)
    for name, value, allowed in (
        ("sort", sort, SORT_FIELDS),
        ("order", order, SORT_ORDERS),
        ("status", status, LEAD_STATUSES),
    ):
        if value is not None and value not in allowed:
            errors.append(
                {"field": name, "message": f"{name} must be one of: {', '.join(allowed)}"}
            )
    for name, value in (("search", search), ("company", company)):
        if value is not None and len(value) > MAX_FILTER_LENGTH:
            errors.append(
                {"field": name, "message": f"{name} must be at most {MAX_FILTER_LENGTH} characters"}
            )
        elif value is not None and "\x00" in value:
            errors.append({"field": name, "message": f"{name} must not contain NUL characters"})
    if errors:
        raise ValidationFailed(errors[0]["message"], details={"errors": errors})
    applied = page(limit, offset)
    return LeadQuery(
        search=search.strip() or None if search else None,
        company=company.strip() or None if company else None,
        status=status,
        sort=sort or "created_at",
        order=order or "desc",
        limit=applied.limit,
        offset=applied.offset,
    )


class LeadController(Controller):
    path = "/leads"
    tags = ["Leads"]
    dependencies = {"service": Provide(provide_lead_service, sync_to_thread=False)}

    @get(
        operation_id="list_leads",
        summary="List leads",
        description="Requires `leads:read`. Pages are stable: ties in the sort are broken by id.",
        guards=[requires(Permission.LEADS_READ)],
        responses=error_responses(400, 403, 422),
    )
    async def list_leads(
        self,
        service: NamedDependency[LeadService],
        request: AuthenticatedRequest,
        limit: Limit = None,
        offset: Offset = None,
        sort: Annotated[
            str | None,
            Parameter(
                description="Sort field (default created_at)",
                schema_extra=query_schema(
                    OpenAPIType.STRING, enum=list(SORT_FIELDS), default="created_at"
                ),
            ),
        ] = None,
        order: Annotated[
            str | None,
            Parameter(
                description="Sort order (default desc)",
                schema_extra=query_schema(
                    OpenAPIType.STRING, enum=list(SORT_ORDERS), default="desc"
                ),
            ),
        ] = None,
        search: Annotated[
            str | None,
            Parameter(
                description="Case-insensitive substring of first name, last name, "
                "'first last' or email",
                schema_extra=query_schema(
                    OpenAPIType.STRING, max_length=MAX_FILTER_LENGTH, pattern=NO_NUL
                ),
            ),
        ] = None,
        company: Annotated[
            str | None,
            Parameter(
                description="Case-insensitive substring of the company name",
                schema_extra=query_schema(
                    OpenAPIType.STRING, max_length=MAX_FILTER_LENGTH, pattern=NO_NUL
                ),
            ),
        ] = None,
        status: Annotated[
            str | None,
            Parameter(
                description="Only leads with this status (default: every status)",
                schema_extra=query_schema(OpenAPIType.STRING, enum=list(LEAD_STATUSES)),
            ),
        ] = None,
    ) -> ListLeads200Response:
        query = lead_query(limit, offset, sort, order, search, company, status)
        return await service.list(request.user.account_id, query)

    @post(
        operation_id="create_lead",
        summary="Create a lead",
        description="Requires `leads:write`. The email must be unique within the account.",
        guards=[requires(Permission.LEADS_WRITE)],
        responses=error_responses(403, 409, 422, body=True),
        response_description="The lead, created",
        response_headers=[
            ResponseHeader(
                name="Location",
                description="The created lead's URL: /api/v2/leads/{id}",
                # Documented as a string only: the value sent is lead_location(lead.id).
                value=lead_location("{id}"),
                documentation_only=True,
                required=True,
            )
        ],
    )
    async def create_lead(
        self,
        service: NamedDependency[LeadService],
        request: AuthenticatedRequest,
        data: JSONBody[CreateLeadRequest],
    ) -> Response[Lead]:
        lead = await service.create(request.user.account_id, data)
        return Response(lead, status_code=201, headers={"location": lead_location(lead.id)})

    @get(
        "/{lead_id:str}",
        operation_id="get_lead",
        summary="Get a lead",
        description="Requires `leads:read`.",
        guards=[requires(Permission.LEADS_READ)],
        responses=error_responses(403, 404),
    )
    async def get_lead(
        self,
        service: NamedDependency[LeadService],
        request: AuthenticatedRequest,
        lead_id: LeadId,
    ) -> Lead:
        return await service.get(request.user.account_id, lead_id)

    @patch(
        "/{lead_id:str}",
        operation_id="update_lead",
        summary="Update a lead",
        description="Requires `leads:write`. Absent fields are unchanged, null clears an optional "
        "field, tags replace the array, custom_fields merge key by key (null removes a key).",
        guards=[requires(Permission.LEADS_WRITE)],
        responses=error_responses(403, 404, 409, 422, body=True),
    )
    async def update_lead(
        self,
        service: NamedDependency[LeadService],
        request: AuthenticatedRequest,
        lead_id: LeadId,
        data: JSONBody[UpdateLeadRequest],
    ) -> Lead:
        return await service.update(request.user.account_id, lead_id, data)

    @delete(
        "/{lead_id:str}",
        operation_id="delete_lead",
        summary="Delete a lead",
        description="Requires `leads:delete`. Permanent.",
        status_code=200,
        guards=[requires(Permission.LEADS_DELETE)],
        responses=error_responses(403, 404),
    )
    async def delete_lead(
        self,
        service: NamedDependency[LeadService],
        request: AuthenticatedRequest,
        lead_id: LeadId,
    ) -> DeleteLeadResponse:
        return await service.delete(request.user.account_id, lead_id)
