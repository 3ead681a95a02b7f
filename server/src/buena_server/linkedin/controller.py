"""HTTP endpoints of LinkedIn Automation: the integration, scheduled actions, and the hosted
API's path for scheduling (camelCase, answered with the hosted message)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Litestar, Request, Response, delete, get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.openapi.spec import OpenAPIType, Schema
from litestar.params import Body, Parameter

from buena_server.auth.guards import requires
from buena_server.auth.permissions import Permission
from buena_server.errors import InvalidRequest, summary_of
from buena_server.kit.body_errors import structural_errors
from buena_server.kit.dependencies import AuthenticatedRequest, validation_context
from buena_server.kit.driver import Connection
from buena_server.kit.http_hooks import check_api_request, check_optional_body
from buena_server.kit.openapi_docs import (
    answer,
    close_request_schemas,
    error_responses,
    example,
    query_schema,
)
from buena_server.kit.paging import (
    Limit,
    Offset,
    choice_errors,
    length_errors,
    page,
    page_errors,
    timestamp_param,
)
from buena_server.kit.validation import raise_invalid
from buena_server.linkedin import examples, hosted
from buena_server.linkedin.repository import ActionQuery
from buena_server.linkedin.schemas import (
    ACTION_REQUESTS,
    ACTION_STATUSES,
    ACTION_TYPES,
    DisconnectResponse,
    LinkedInAction,
    LinkedInIntegration,
    LinkedInIntegrationRequest,
    ListLinkedInActionsResponse,
    ScheduleActionRequest,
    VoiceSettings,
    WorkingHours,
)
from buena_server.linkedin.service import LinkedInService
from buena_server.services import services_of

ActionId = Annotated[str, Parameter(description="LinkedIn action identifier (lia_...)")]
_TIME_FILTER = query_schema(OpenAPIType.STRING, format="date-time")


def provide_linkedin_service(conn: NamedDependency[Connection], state: State) -> LinkedInService:
    services = services_of(state)
    return LinkedInService(conn, services.linkedin_executors, validation_context(services.settings))


def strict_errors(raw: dict[str, Any], kind: type[msgspec.Struct]) -> None:
    """400 for a body whose values are of the wrong JSON type at any depth (every top-level
    error named; a nested one by its path), where Litestar's lax decoding would convert."""
    # JSON Schema's integers include 2055.0; msgspec's strict mode does not.
    raw = {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in raw.items()}
    tag = kind.__struct_config__.tag_field
    errors = structural_errors(kind, {k: v for k, v in raw.items() if k != tag}, strict=True)
    if not errors:
        try:
            msgspec.convert(raw, kind, strict=True)
        except msgspec.ValidationError as exc:
            message = str(exc)
            path = message.rsplit("`$.", 1)[-1].rstrip("`") if "`$." in message else ""
            errors = [{"field": path, "message": message}]
    if errors:
        raise InvalidRequest(summary_of(errors), details={"errors": errors})


async def raw_object(request: Request[Any, Any, Any]) -> dict[str, Any] | None:
    try:
        raw = msgspec.json.decode(await request.body())
    except msgspec.DecodeError:
        return None  # Litestar answers it 400
    return raw if isinstance(raw, dict) else None


async def check_integration_body(request: Request[Any, Any, Any]) -> None:
    await check_api_request(request)
    raw = await raw_object(request)
    if raw is not None:
        strict_errors(raw, LinkedInIntegrationRequest)


def action_kind(raw: dict[str, Any], tag: str, kinds: dict[str, type[Any]]) -> type[Any]:
    """The body's shape, named by its ``tag`` field: 400 when that is missing or not a
    string, 422 when it names no action type."""
    value = raw.get(tag)
    if not isinstance(value, str):
        message = (
            f"Object missing required field `{tag}`"
            if tag not in raw
            else f"Expected `str`, got `{type(value).__name__}` - at `$.{tag}`"
        )
        raise InvalidRequest(message, details={"errors": [{"field": tag, "message": message}]})
    if value not in kinds:
        raise_invalid([{"field": tag, "message": f"{tag} must be one of: {', '.join(kinds)}"}])
    return kinds[value]


async def check_action_body(request: Request[Any, Any, Any]) -> None:
    await check_api_request(request)
    raw = await raw_object(request)
    if raw is not None:
        strict_errors(raw, action_kind(raw, "action_type", ACTION_REQUESTS))


class LinkedInIntegrationController(Controller):
    path = "/integrations/linkedin"
    tags = ["LinkedIn"]
    dependencies = {"service": Provide(provide_linkedin_service, sync_to_thread=False)}

    @get(
        operation_id="get_linkedin_integration",
        summary="Get the LinkedIn integration",
        description="Requires `linkedin:read`. The connected LinkedIn account and its rules, "
        "with `actions_today` (actions started in the integration's local day) and "
        "`last_activity`; `connected: false` and nulls when none is connected.",
        guards=[requires(Permission.LINKEDIN_READ)],
        responses={
            200: answer(LinkedInIntegration, "The integration", "Connected", examples.INTEGRATION),
            **error_responses(403),
        },
    )
    async def get_linkedin_integration(
        self, service: NamedDependency[LinkedInService], request: AuthenticatedRequest
    ) -> LinkedInIntegration:
        return await service.integration(request.user.account_id)

    @put(
        operation_id="update_linkedin_integration",
        summary="Connect or reconfigure the LinkedIn integration",
        description="Requires `linkedin:schedule`. The whole integration: a field left out "
        "takes its default (daily_limit 100, timezone UTC, 09:00-18:00 Monday to Friday, "
        "60-300 s between actions, the `sandbox` executor). Actions already scheduled keep "
        "their times and are checked against the new rules when they fall due.",
        guards=[requires(Permission.LINKEDIN_SCHEDULE)],
        before_request=check_integration_body,
        responses={
            200: answer(LinkedInIntegration, "The integration", "Connected", examples.INTEGRATION),
            **error_responses(403, 422, body=True),
        },
    )
    async def update_linkedin_integration(
        self,
        service: NamedDependency[LinkedInService],
        request: AuthenticatedRequest,
        data: Annotated[
            LinkedInIntegrationRequest,
            Body(examples=example("Berlin office hours", examples.INTEGRATION_REQUEST)),
        ],
    ) -> LinkedInIntegration:
        return await service.connect(request.user.account_id, data)

    @delete(
        operation_id="delete_linkedin_integration",
        summary="Disconnect the LinkedIn integration",
        description="Requires `linkedin:schedule`. Its scheduled actions are canceled "
        "(running ones finish); 409 `LINKEDIN_NOT_CONNECTED` when none is connected.",
        status_code=200,
        guards=[requires(Permission.LINKEDIN_SCHEDULE)],
        responses={
            200: answer(
                DisconnectResponse, "Disconnected", "Two actions canceled", examples.DISCONNECTED
            ),
            **error_responses(403, 409),
        },
    )
    async def delete_linkedin_integration(
        self, service: NamedDependency[LinkedInService], request: AuthenticatedRequest
    ) -> DisconnectResponse:
        return await service.disconnect(request.user.account_id)


class LinkedInActionController(Controller):
    path = "/linkedin/actions"
    tags = ["LinkedIn"]
    dependencies = {"service": Provide(provide_linkedin_service, sync_to_thread=False)}

    @post(
        operation_id="schedule_linkedin_action",
        summary="Schedule a LinkedIn action",
        description="Requires `linkedin:schedule` (and `linkedin:voice` for "
        "`send_voice_message`). Answers 202 with the action, `scheduled`, and "
        "`scheduled_for`: the first time within the integration's working hours and daily "
        "limit, a random delay after the previous action (docs/linkedin.md). 409 "
        "`LINKEDIN_NOT_CONNECTED` without an integration; 409 `LINKEDIN_DUPLICATE_ACTION` for "
        "a second connection request to a profile (scheduled, running or completed); 404 "
        "for an unknown `lead_id`.",
        status_code=202,
        guards=[requires(Permission.LINKEDIN_SCHEDULE)],
        before_request=check_action_body,
        responses={
            202: answer(LinkedInAction, "The action, scheduled", "Scheduled", examples.ACTION),
            **error_responses(403, 404, 409, 422, body=True),
        },
    )
    async def schedule_linkedin_action(
        self,
        service: NamedDependency[LinkedInService],
        request: AuthenticatedRequest,
        data: Annotated[
            ScheduleActionRequest,
            Body(
                examples=example("A connection request", examples.CONNECT_REQUEST)
                + example("A message", examples.MESSAGE_REQUEST)
            ),
        ],
    ) -> Response[LinkedInAction]:
        action = await service.schedule(request.user.account_id, data, request.user.permissions)
        return Response(action, status_code=202)

    @get(
        operation_id="list_linkedin_actions",
        summary="List LinkedIn actions",
        description="Requires `linkedin:read`. By `scheduled_for` (newest first unless "
        "`order=asc`), paged like `GET /jobs`.",
        guards=[requires(Permission.LINKEDIN_READ)],
        responses={
            200: answer(
                ListLinkedInActionsResponse, "A page of actions", "One action", examples.PAGE
            ),
            **error_responses(400, 403, 422),
        },
    )
    async def list_linkedin_actions(
        self,
        service: NamedDependency[LinkedInService],
        request: AuthenticatedRequest,
        limit: Limit = None,
        offset: Offset = None,
        status: Annotated[
            str | None,
            Parameter(
                description="Only actions with this status",
                schema_extra=query_schema(OpenAPIType.STRING, enum=list(ACTION_STATUSES)),
            ),
        ] = None,
        action_type: Annotated[
            str | None,
            Parameter(
                description="Only actions of this type",
                schema_extra=query_schema(OpenAPIType.STRING, enum=list(ACTION_TYPES)),
            ),
        ] = None,
        lead_id: Annotated[
            str | None,
            Parameter(
                description="Only the actions about this lead",
                schema_extra=query_schema(OpenAPIType.STRING, max_length=64),
            ),
        ] = None,
        scheduled_after: Annotated[
            str | None,
            Parameter(
                description="Only actions scheduled strictly after this RFC 3339 date-time",
                schema_extra=_TIME_FILTER,
            ),
        ] = None,
        scheduled_before: Annotated[
            str | None,
            Parameter(
                description="Only actions scheduled strictly before this RFC 3339 date-time",
                schema_extra=_TIME_FILTER,
            ),
        ] = None,
        order: Annotated[
            str | None,
            Parameter(
                description="By scheduled_for: desc (default) or asc",
                schema_extra=query_schema(OpenAPIType.STRING, enum=["asc", "desc"]),
            ),
        ] = None,
    ) -> ListLinkedInActionsResponse:
        errors = (
            page_errors(limit, offset)
            + choice_errors("status", status, ACTION_STATUSES)
            + choice_errors("action_type", action_type, ACTION_TYPES)
            + choice_errors("order", order, ("asc", "desc"))
            + length_errors("lead_id", lead_id, 64)
        )
        after = timestamp_param("scheduled_after", scheduled_after, errors)
        before = timestamp_param("scheduled_before", scheduled_before, errors)
        if errors:
            raise_invalid(errors)
        applied = page(limit, offset)
        query = ActionQuery(
            status, action_type, lead_id, after, before, order or "desc",
            applied.limit, applied.offset,
        )  # fmt: skip
        return await service.list(request.user.account_id, query)

    @get(
        "/{action_id:str}",
        operation_id="get_linkedin_action",
        summary="Get a LinkedIn action",
        description="Requires `linkedin:read`. Its status, `scheduled_for`, attempts, "
        "`result` (the sandbox's says `simulated: true`) or `error`, and its times.",
        guards=[requires(Permission.LINKEDIN_READ)],
        responses={
            200: answer(LinkedInAction, "The action", "Completed", examples.COMPLETED),
            **error_responses(403, 404),
        },
    )
    async def get_linkedin_action(
        self,
        service: NamedDependency[LinkedInService],
        request: AuthenticatedRequest,
        action_id: ActionId,
    ) -> LinkedInAction:
        return await service.get(request.user.account_id, action_id)

    @post(
        "/{action_id:str}/cancel",
        operation_id="cancel_linkedin_action",
        summary="Cancel a LinkedIn action",
        description="Requires `linkedin:schedule`. A scheduled action never runs; 409 "
        "`LINKEDIN_ACTION_NOT_CANCELABLE` once it is running or finished. No body.",
        status_code=200,
        guards=[requires(Permission.LINKEDIN_SCHEDULE)],
        before_request=check_optional_body,
        responses={
            200: answer(LinkedInAction, "The action, canceled", "Canceled", examples.CANCELED),
            **error_responses(403, 404, 409),
        },
    )
    async def cancel_linkedin_action(
        self,
        service: NamedDependency[LinkedInService],
        request: AuthenticatedRequest,
        action_id: ActionId,
    ) -> LinkedInAction:
        return await service.cancel(request.user.account_id, action_id)


async def check_hosted_body(request: Request[Any, Any, Any]) -> None:
    await check_api_request(request)
    raw = await raw_object(request)
    if raw is not None:
        strict_errors(raw, action_kind(raw, "actionType", hosted.REQUESTS))


class HostedLinkedInController(Controller):
    path = "/linkedin"
    tags = ["LinkedIn"]
    dependencies = {"service": Provide(provide_linkedin_service, sync_to_thread=False)}

    @post(
        "/scheduleLinkedInAction",
        operation_id="schedule_linkedin_action_hosted",
        summary="Schedule a LinkedIn action (the hosted API's path)",
        description="Requires `linkedin:schedule` (and `linkedin:voice` for "
        "`sendVoiceMessage`). The hosted Buena API's request, in camelCase (`actionType` "
        "`sendConnectionRequest`, `sendMessage`, `sendVoiceMessage`, `viewProfile`, "
        "`withdrawConnectionRequest`, `getProfile`), answered 200 with its message; the "
        "action is the one `POST /linkedin/actions` schedules (same rules, same errors).",
        status_code=200,
        guards=[requires(Permission.LINKEDIN_SCHEDULE)],
        before_request=check_hosted_body,
        responses={
            200: answer(
                hosted.HostedScheduleResponse,
                "Scheduled",
                "A connection request",
                examples.HOSTED_ANSWER,
            ),
            **error_responses(403, 404, 409, 422, body=True),
        },
    )
    async def schedule_linkedin_action_hosted(
        self,
        service: NamedDependency[LinkedInService],
        request: AuthenticatedRequest,
        data: Annotated[
            hosted.HostedScheduleRequest,
            Body(examples=example("A connection request", examples.HOSTED_REQUEST)),
        ],
    ) -> hosted.HostedScheduleResponse:
        action = await service.schedule(
            request.user.account_id, hosted.ours(data), request.user.permissions
        )
        return hosted.answer_of(data, action)


def document_linkedin(app: Litestar, executors: list[str]) -> None:
    """The request bodies refuse unknown fields (``additionalProperties: false``), and an
    integration's ``executor`` is one this server has."""
    close_request_schemas(
        app,
        LinkedInIntegrationRequest,
        WorkingHours,
        VoiceSettings,
        *ACTION_REQUESTS.values(),
        *hosted.REQUESTS.values(),
        hosted.HostedVoiceSettings,
        hosted.HostedVoiceParams,
    )
    components = app.openapi_schema.components.schemas or {}
    schema = components.get(LinkedInIntegrationRequest.__name__)
    if schema is not None and schema.properties is not None:
        executor = schema.properties["executor"]
        if isinstance(executor, Schema):
            executor.enum = list(executors)
