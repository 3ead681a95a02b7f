"""HTTP endpoints for leads: parse, authorise (guards), call the service, return."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from litestar import Controller, Response, delete, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.openapi.spec import OpenAPIType
from litestar.params import Body, JSONBody, Parameter
from litestar.response import Stream

from buena_server.auth.guards import requires
from buena_server.auth.permissions import Permission
from buena_server.kit.dependencies import AuthenticatedRequest, validation_context
from buena_server.kit.driver import Connection
from buena_server.kit.openapi_docs import error_responses, location_header, query_schema
from buena_server.kit.paging import Cursor, Limit, Offset
from buena_server.leads import examples
from buena_server.leads.batch import LeadBatch
from buena_server.leads.export import (
    EXPORT_FORMATS,
    MEDIA_TYPES,
    csv_rows,
    custom_field_keys,
    exported_leads,
    ndjson_lines,
)
from buena_server.leads.listing import LeadQuery
from buena_server.leads.parameters import (
    Company,
    CreatedAfter,
    CreatedBefore,
    HasEmail,
    Order,
    Search,
    Sort,
    Status,
    Tags,
    UpdatedAfter,
    UpdatedBefore,
    lead_filters,
    lead_query,
    raise_errors,
    sort_errors,
)
from buena_server.leads.repository import LeadRepository
from buena_server.leads.schemas import (
    BatchLeadsRequest,
    BatchLeadsResponse,
    CreateLeadRequest,
    DeleteLeadResponse,
    Lead,
    ListLeads200Response,
    UpdateLeadRequest,
)
from buena_server.leads.service import LeadService
from buena_server.leads.urls import LEADS_PATH, lead_location
from buena_server.services import services_of

LeadId = Annotated[str, Parameter(description="Lead identifier (lead_...)")]


def provide_lead_service(conn: NamedDependency[Connection], state: State) -> LeadService:
    return LeadService(LeadRepository(conn), validation_context(services_of(state).settings))


class LeadController(Controller):
    path = "/leads"
    tags = ["Leads"]
    dependencies = {"service": Provide(provide_lead_service, sync_to_thread=False)}

    @get(
        operation_id="list_leads",
        summary="List leads",
        description="Requires `leads:read`. Pages are stable: ties in the sort are broken by "
        "id. Page with `cursor` (the previous answer's `next_cursor`, null on the last page): "
        "stable under concurrent inserts and deletes, the same cost at any depth; `offset` "
        "works too.",
        guards=[requires(Permission.LEADS_READ)],
        responses=error_responses(400, 403, 422),
    )
    async def list_leads(
        self,
        service: NamedDependency[LeadService],
        request: AuthenticatedRequest,
        limit: Limit = None,
        offset: Offset = None,
        cursor: Cursor = None,
        sort: Sort = None,
        order: Order = None,
        search: Search = None,
        company: Company = None,
        status: Status = None,
        tags: Tags = None,
        created_after: CreatedAfter = None,
        created_before: CreatedBefore = None,
        updated_after: UpdatedAfter = None,
        updated_before: UpdatedBefore = None,
        has_email: HasEmail = None,
    ) -> ListLeads200Response:
        errors: list[dict[str, str]] = []
        filters = lead_filters(
            errors,
            search,
            company,
            status,
            tags,
            created_after,
            created_before,
            updated_after,
            updated_before,
            has_email,
        )
        query = lead_query(limit, offset, cursor, sort, order, filters, errors)
        return await service.list(request.user.account_id, query)

    @post(
        operation_id="create_lead",
        summary="Create a lead",
        description="Requires `leads:write`. The email must be unique within the account.",
        guards=[requires(Permission.LEADS_WRITE)],
        responses=error_responses(403, 409, 422, body=True),
        response_description="The lead, created",
        response_headers=[location_header(LEADS_PATH, "lead")],
    )
    async def create_lead(
        self,
        service: NamedDependency[LeadService],
        request: AuthenticatedRequest,
        data: JSONBody[CreateLeadRequest],
    ) -> Response[Lead]:
        lead = await service.create(request.user.account_id, data)
        return Response(lead, status_code=201, headers={"location": lead_location(lead.id)})

    @post(
        "/batch",
        operation_id="batch_leads",
        summary="Create or upsert leads in a batch",
        description="Requires `leads:write`. 1 to 1000 leads, each validated as for `POST "
        "/leads`, with one outcome per item in input order: `created`, `updated`, "
        "`unchanged` or `error` (status, code, message and field). One bad item never fails "
        "the others: 200 when every item succeeded, 207 when any is an error. `mode` "
        "`create` (default) reports an email that exists, or that an earlier item of the "
        "batch has, as that item's 409 `LEAD_EMAIL_EXISTS`; `upsert` matches on email "
        "(case-insensitive, atomically: concurrent upserts of one email never make two "
        "leads) and updates an existing lead as PATCH would with the fields the item "
        "gives. Events as for single writes, one per lead created or updated.",
        guards=[requires(Permission.LEADS_WRITE)],
        status_code=200,
        responses={**examples.batch_answers(), **error_responses(403, 422, body=True)},
    )
    async def batch_leads(
        self,
        service: NamedDependency[LeadService],
        request: AuthenticatedRequest,
        data: Annotated[
            BatchLeadsRequest,
            Body(examples=examples.example("An upsert, one item bad", examples.BATCH)),
        ],
    ) -> Response[BatchLeadsResponse]:
        answer = await LeadBatch(service, request.user.account_id).run(data)
        return Response(answer, status_code=207 if answer.errors else 200)

    @get(
        "/export",
        operation_id="export_leads",
        summary="Export leads",
        description="Requires `leads:read`. Every lead the list filters select, in the list's "
        "sort order, streamed: NDJSON (one lead per line, as `GET /leads/{id}` answers it) "
        "or CSV (a header row, then one row per lead; tags joined by `|`; one "
        "`custom_fields.<key>` column per custom field key present, values that are not "
        "strings JSON-encoded). A lead present throughout the export is sent exactly once.",
        guards=[requires(Permission.LEADS_READ)],
        responses=error_responses(400, 403, 422),
        response_description="The leads, as NDJSON or CSV (`format`)",
    )
    async def export_leads(
        self,
        state: State,
        request: AuthenticatedRequest,
        format: Annotated[
            str | None,
            Parameter(
                description="ndjson (default) or csv",
                schema_extra=query_schema(
                    OpenAPIType.STRING, enum=list(EXPORT_FORMATS), default="ndjson"
                ),
            ),
        ] = None,
        sort: Sort = None,
        order: Order = None,
        search: Search = None,
        company: Company = None,
        status: Status = None,
        tags: Tags = None,
        created_after: CreatedAfter = None,
        created_before: CreatedBefore = None,
        updated_after: UpdatedAfter = None,
        updated_before: UpdatedBefore = None,
        has_email: HasEmail = None,
    ) -> Stream:
        errors = sort_errors(sort, order)
        if format is not None and format not in EXPORT_FORMATS:
            errors.append(
                {
                    "field": "format",
                    "message": f"format must be one of: {', '.join(EXPORT_FORMATS)}",
                }
            )
        filters = lead_filters(
            errors,
            search,
            company,
            status,
            tags,
            created_after,
            created_before,
            updated_after,
            updated_before,
            has_email,
        )
        raise_errors(errors)
        services = services_of(state)
        account_id = request.user.account_id
        query = LeadQuery(filters, sort or "created_at", order or "desc")
        database, chunk_size = services.database, services.settings.export_chunk_size
        kind = format or "ndjson"
        content: AsyncIterator[bytes]
        if kind == "csv":
            keys = await custom_field_keys(database, account_id, filters)
            content = csv_rows(exported_leads(database, account_id, query, chunk_size), keys)
        else:
            content = ndjson_lines(database, account_id, query, chunk_size)
        return Stream(
            content,
            media_type=MEDIA_TYPES[kind],
            headers={"content-disposition": f'attachment; filename="leads.{kind}"'},
        )

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
