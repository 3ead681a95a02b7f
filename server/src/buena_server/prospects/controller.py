"""HTTP endpoints of prospect lists (``linkedin:upload``): parse, authorise, call the service."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import Body, Parameter

from buena_server.auth.guards import requires
from buena_server.auth.permissions import Permission
from buena_server.kit.dependencies import AuthenticatedRequest, validation_context
from buena_server.kit.driver import Connection
from buena_server.kit.http_hooks import check_optional_body
from buena_server.kit.openapi_docs import (
    BASE_PATH,
    answer,
    error_responses,
    example,
    location_header,
)
from buena_server.kit.paging import Limit, Offset, page
from buena_server.prospects import examples
from buena_server.prospects.schemas import (
    MAX_PROSPECTS,
    ConvertProspectListResponse,
    CreateProspectListRequest,
    ListProspectListsResponse,
    ListProspectsResponse,
    ProspectList,
)
from buena_server.prospects.service import ProspectService
from buena_server.services import services_of

LISTS_PATH = f"{BASE_PATH}/prospect-lists"
_UPLOAD = [requires(Permission.LINKEDIN_UPLOAD)]
ListId = Annotated[str, Parameter(description="Prospect list identifier (pl_...)")]


def provide_prospect_service(conn: NamedDependency[Connection], state: State) -> ProspectService:
    return ProspectService(conn, validation_context(services_of(state).settings))


class ProspectListController(Controller):
    path = "/prospect-lists"
    tags = ["LinkedIn"]
    dependencies = {"service": Provide(provide_prospect_service, sync_to_thread=False)}

    @post(
        operation_id="create_prospect_list",
        summary="Upload a prospect list",
        guards=_UPLOAD,
        description=f"Requires `linkedin:upload`. A name and 1 to {MAX_PROSPECTS} prospects, "
        "each checked with the lead's rules (`linkedin_url`: a member profile, stored "
        "canonical); one invalid prospect refuses the list (422, each error named "
        "`prospects[i].field`).",
        status_code=201,
        responses={
            201: answer(ProspectList, "The list", "Two prospects", examples.LIST),
            **error_responses(403, 422, body=True),
        },
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
        made = await service.create(request.user.account_id, data)
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
