"""HTTP endpoints of prospect lists (``linkedin:upload``): parse, authorise, call the service."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Litestar, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.openapi.spec import Example, OpenAPIMediaType, OpenAPIType, RequestBody, Schema
from litestar.params import Body, Parameter

from buena_server.auth.guards import requires
from buena_server.auth.permissions import Permission
from buena_server.errors import InvalidRequest, UnsupportedMediaType
from buena_server.kit.dependencies import AuthenticatedRequest, validation_context
from buena_server.kit.driver import Connection
from buena_server.kit.http_hooks import (
    check_api_request,
    check_optional_body,
    check_query,
    media_type_of,
)
from buena_server.kit.openapi_docs import (
    BASE_PATH,
    answer,
    error_responses,
    example,
    location_header,
    query_schema,
)
from buena_server.kit.paging import Limit, Offset, page
from buena_server.kit.validation import NO_NUL, NOT_BLANK
from buena_server.linkedin.controller import provide_linkedin_service, raw_object, strict_errors
from buena_server.linkedin.service import LinkedInService
from buena_server.prospects import examples
from buena_server.prospects.csv_import import prospects_from_csv
from buena_server.prospects.scheduling import schedule_list
from buena_server.prospects.schemas import (
    MAX_PROSPECTS,
    ConvertProspectListResponse,
    CreateProspectListRequest,
    ListProspectListsResponse,
    ListProspectsResponse,
    ProspectInput,
    ProspectList,
    ScheduleProspectListRequest,
    ScheduleProspectListResponse,
)
from buena_server.prospects.service import ProspectService
from buena_server.services import services_of

LISTS_PATH = f"{BASE_PATH}/prospect-lists"
_UPLOAD = [requires(Permission.LINKEDIN_UPLOAD)]
_CREATED = {
    201: answer(ProspectList, "The list", "Two prospects", examples.LIST),
    **error_responses(403, 422, body=True),
}
# Scheduling a list schedules actions: the permission POST /linkedin/actions needs (one
# permission a route, as everywhere).
_SCHEDULE = [requires(Permission.LINKEDIN_SCHEDULE)]
ListId = Annotated[str, Parameter(description="Prospect list identifier (pl_...)")]


def provide_prospect_service(conn: NamedDependency[Connection], state: State) -> ProspectService:
    return ProspectService(conn, validation_context(services_of(state).settings))


async def check_schedule_body(request: Request[Any, Any, Any]) -> None:
    """400 for a value of the wrong JSON type, where Litestar's lax decoding converts."""
    await check_api_request(request)
    raw = await raw_object(request)
    if raw is not None:
        strict_errors(raw, ScheduleProspectListRequest)


async def check_csv_request(request: Request[Any, Any, Any]) -> None:
    """415 for a body that is not declared as CSV."""
    await check_query(request)
    media_type = media_type_of(request.headers.get("content-type", ""))
    if media_type != "text/csv":
        raise UnsupportedMediaType(
            "Send the list as CSV with 'Content-Type: text/csv'",
            details={"content_type": media_type or None},
        )


def document_csv_import(app: Litestar) -> None:
    """The CSV body of POST /prospect-lists/import (read by the handler itself)."""
    paths = app.openapi_schema.paths or {}
    operation = paths[f"{LISTS_PATH}/import"].post
    assert operation is not None
    operation.request_body = RequestBody(
        required=True,
        description="The list as CSV: a header row, then one prospect a row",
        content={
            "text/csv": OpenAPIMediaType(
                schema=Schema(type=OpenAPIType.STRING, pattern=NO_NUL),
                examples={"Two prospects": Example(value=examples.CSV)},
            )
        },
    )


class ProspectListController(Controller):
    path = "/prospect-lists"
    tags = ["LinkedIn"]
    dependencies = {
        "service": Provide(provide_prospect_service, sync_to_thread=False),
        "linkedin": Provide(provide_linkedin_service, sync_to_thread=False),
    }

    @post(
        operation_id="create_prospect_list",
        summary="Upload a prospect list",
        guards=_UPLOAD,
        description=f"Requires `linkedin:upload`. A name and 1 to {MAX_PROSPECTS} prospects, "
        "each checked with the lead's rules (`linkedin_url`: a member profile, stored "
        "canonical); one invalid prospect refuses the list (422, each error named "
        "`prospects[i].field`).",
        status_code=201,
        responses=_CREATED,
        response_headers=[location_header(LISTS_PATH, "prospect list")],
    )
    async def create_prospect_list(
        self,
        service: NamedDependency[ProspectService],
        request: AuthenticatedRequest,
        data: Annotated[
            CreateProspectListRequest,
            Body(examples=example("Two prospects", examples.CREATE_REQUEST)),
        ],
    ) -> Response[ProspectList]:
        if not 1 <= len(data.prospects) <= MAX_PROSPECTS:
            # The schema's minItems and maxItems (the decoder let a longer list through).
            message = f"prospects must hold 1 to {MAX_PROSPECTS} items"
            raise InvalidRequest(
                message, details={"errors": [{"field": "prospects", "message": message}]}
            )
        made = await service.create(request.user.account_id, data)
        return Response(made, status_code=201, headers={"location": f"{LISTS_PATH}/{made.id}"})

    @post(
        "/import",
        operation_id="import_prospect_list",
        summary="Upload a prospect list as CSV",
        guards=_UPLOAD,
        description="Requires `linkedin:upload`. The list as a CSV file (`Content-Type: "
        "text/csv`, UTF-8), its name in `name`. The header row names the columns, mapped "
        "as `buena leads import` maps them (without case, spaces or punctuation: "
        "`First Name`, `Last Name`, `E-mail`, `Company`, `Job Title`, `LinkedIn URL`...); "
        "other columns are left out, as are empty cells and blank rows. Up to "
        f"{MAX_PROSPECTS} data rows (a file without any makes an empty list); each row "
        "checked as a prospect of `POST /prospect-lists` (422, errors named "
        "`prospects[i].field`, `i` counting data rows from 0).",
        status_code=201,
        before_request=check_csv_request,
        responses=_CREATED,
        response_headers=[location_header(LISTS_PATH, "prospect list")],
    )
    async def import_prospect_list(
        self,
        service: NamedDependency[ProspectService],
        request: AuthenticatedRequest,
        name: Annotated[
            str,
            Parameter(
                description="The list's name",
                schema_extra=query_schema(
                    OpenAPIType.STRING, min_length=1, max_length=200, pattern=NOT_BLANK
                ),
            ),
        ],
    ) -> Response[ProspectList]:
        try:
            text = (await request.body()).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidRequest("The CSV file must be UTF-8") from None
        rows = prospects_from_csv(text)
        try:
            listed = [msgspec.convert(row, ProspectInput) for row in rows]
            body = CreateProspectListRequest(name=name, prospects=listed)
        except msgspec.ValidationError as exc:  # pragma: no cover  (every cell is text)
            raise InvalidRequest(str(exc)) from None
        made = await service.create(request.user.account_id, body)
        return Response(made, status_code=201, headers={"location": f"{LISTS_PATH}/{made.id}"})

    @get(
        operation_id="list_prospect_lists",
        summary="List prospect lists",
        guards=_UPLOAD,
        description="Requires `linkedin:upload`. Newest first, paged like `GET /jobs`.",
        responses={
            200: answer(ListProspectListsResponse, "A page of lists", "One list", examples.LISTS),
            **error_responses(403, 422),
        },
    )
    async def list_prospect_lists(
        self,
        service: NamedDependency[ProspectService],
        request: AuthenticatedRequest,
        limit: Limit = None,
        offset: Offset = None,
    ) -> ListProspectListsResponse:
        return await service.list(request.user.account_id, page(limit, offset))

    @get(
        "/{list_id:str}",
        operation_id="get_prospect_list",
        summary="Get a prospect list",
        guards=_UPLOAD,
        description="Requires `linkedin:upload`.",
        responses={
            200: answer(ProspectList, "The list", "Two prospects", examples.LIST),
            **error_responses(403, 404),
        },
    )
    async def get_prospect_list(
        self, service: NamedDependency[ProspectService], request: AuthenticatedRequest,
        list_id: ListId,
    ) -> ProspectList:  # fmt: skip
        return await service.get(request.user.account_id, list_id)

    @get(
        "/{list_id:str}/prospects",
        operation_id="list_prospects",
        summary="List a prospect list's prospects",
        guards=_UPLOAD,
        description="Requires `linkedin:upload`. In their upload order, paged like `GET "
        "/jobs`; each matched to the account's leads now: `match` `lead` with `lead_id` "
        "and `matched_by` (`email`, case-insensitive, first; then `linkedin_url`, against "
        "a lead's URL spelled `http(s)://(www.)linkedin.com/in/<identifier>(/)`), or `new`.",
        responses={
            200: answer(
                ListProspectsResponse, "A page of prospects", "One new", examples.PROSPECTS
            ),
            **error_responses(403, 404, 422),
        },
    )
    async def list_prospects(
        self,
        service: NamedDependency[ProspectService],
        request: AuthenticatedRequest,
        list_id: ListId,
        limit: Limit = None,
        offset: Offset = None,
    ) -> ListProspectsResponse:
        return await service.prospects(request.user.account_id, list_id, page(limit, offset))

    @post(
        "/{list_id:str}/convert",
        operation_id="convert_prospect_list",
        summary="Make leads of a list's new prospects",
        guards=_UPLOAD,
        description="Requires `linkedin:upload`. Each prospect that matches no lead becomes "
        "one as `POST /leads/batch` (mode `create`) makes it: its own outcome, `created` "
        "or `error` (status, code, message, field: a lead needs first name, last name and "
        "email; an email an earlier prospect took is 409 `LEAD_EMAIL_EXISTS`); one that "
        "matches is `existing`, with its `lead_id`, and left alone. In list order; "
        "`lead.created` events as for any new lead. Converting again makes nothing twice. "
        "No body.",
        status_code=200,
        before_request=check_optional_body,
        responses={
            200: answer(
                ConvertProspectListResponse, "One outcome per prospect", "One matched",
                examples.CONVERTED,
            ),
            **error_responses(403, 404),
        },
    )  # fmt: skip
    async def convert_prospect_list(
        self, service: NamedDependency[ProspectService], request: AuthenticatedRequest,
        list_id: ListId,
    ) -> ConvertProspectListResponse:  # fmt: skip
        return await service.convert(request.user.account_id, list_id)

    @post(
        "/{list_id:str}/schedule",
        operation_id="schedule_prospect_list",
        summary="Schedule one LinkedIn action for every prospect",
        guards=_SCHEDULE,
        description="Requires `linkedin:schedule`, as `POST /linkedin/actions`. The action "
        "(`action_type`, any but `send_voice_message`; `message`; `scheduled_at`) for each "
        "prospect, in list order, as `POST /linkedin/actions` schedules it with the "
        "prospect's `linkedin_url` (and `lead_id` when it matches a lead): within the "
        "integration's working hours, daily limit and delays, a full day rolling to the "
        "next. One outcome each: `scheduled` with `action_id` and `scheduled_for`, or "
        "`refused` with the error that route would answer (a prospect without a "
        "`linkedin_url` is 422; a second connection request to a profile 409 "
        "`LINKEDIN_DUPLICATE_ACTION`; a `message` the type does not take 400). 409 "
        "`LINKEDIN_NOT_CONNECTED` for the whole list without an integration.",
        status_code=200,
        before_request=check_schedule_body,
        responses={
            200: answer(
                ScheduleProspectListResponse, "One outcome per prospect", "One refused",
                examples.SCHEDULED,
            ),
            **error_responses(403, 404, 409, 422, body=True),
        },
    )  # fmt: skip
    async def schedule_prospect_list(
        self,
        service: NamedDependency[ProspectService],
        linkedin: NamedDependency[LinkedInService],
        request: AuthenticatedRequest,
        list_id: ListId,
        data: Annotated[
            ScheduleProspectListRequest,
            Body(examples=example("Connection requests", examples.SCHEDULE_REQUEST)),
        ],
    ) -> ScheduleProspectListResponse:
        account = request.user
        return await schedule_list(
            service, linkedin, account.account_id, list_id, data, account.permissions
        )
