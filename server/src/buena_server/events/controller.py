"""HTTP endpoints for events: the account's history, for catching up after downtime."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example, OpenAPIType
from litestar.params import Parameter

from buena_server.auth.guards import requires
from buena_server.auth.permissions import Permission
from buena_server.events.catalogue import EVENT_TYPES, LEAD_CREATED
from buena_server.events.repository import EventQuery, EventRepository
from buena_server.events.schemas import Event, ListEventsResponse
from buena_server.events.service import EventService
from buena_server.kit.dependencies import AuthenticatedRequest
from buena_server.kit.driver import Connection
from buena_server.kit.openapi_docs import error_responses, query_schema
from buena_server.kit.paging import Limit, Offset, page, page_errors, timestamp_param
from buena_server.kit.validation import raise_invalid


def provide_event_service(conn: NamedDependency[Connection], state: State) -> EventService:
    return EventService(EventRepository(conn))


_EXAMPLE_EVENT: dict[str, Any] = {
    "id": "evt_5f0c6a1d2b3e4f5a6b7c8d9e",
    "type": LEAD_CREATED,
    "created_at": "2026-12-05T10:00:00.123456Z",
    "data": {
        "object": {
            "id": "lead_3f9c2a7b1e4d5c6b7a8f9e0d",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@example.com",
            "company": "Analytical Engines",
            "phone": None,
            "linkedin_url": None,
            "job_title": None,
            "location": None,
            "notes": None,
            "tags": ["vip"],
            "custom_fields": {},
            "status": "active",
            "created_at": "2026-12-05T10:00:00.123456Z",
            "updated_at": "2026-12-05T10:00:00.123456Z",
        }
    },
}


def _answer(container: type[Any], description: str, example: dict[str, Any]) -> ResponseSpec:
    """A 200 answer documented with one example (a lead created)."""
    return ResponseSpec(
        data_container=container,
        description=description,
        generate_examples=False,
        examples=[Example(summary="A lead created", value=example)],
    )


def event_query(
    limit: int | None,
    offset: int | None,
    type: str | None,
    created_after: str | None,
    created_before: str | None,
) -> EventQuery:
    """Check the list's parameters (422 for each bad one) and apply defaults."""
    errors = page_errors(limit, offset)
    if type is not None and type not in EVENT_TYPES:
        errors.append(
            {"field": "type", "message": f"type must be one of: {', '.join(EVENT_TYPES)}"}
        )
    after = timestamp_param("created_after", created_after, errors)
    before = timestamp_param("created_before", created_before, errors)
    if errors:
        raise_invalid(errors)
    applied = page(limit, offset)
    return EventQuery(
        type=type,
        created_after=after,
        created_before=before,
        limit=applied.limit,
        offset=applied.offset,
    )


_TIME_FILTER = query_schema(OpenAPIType.STRING, format="date-time")


class EventController(Controller):
    path = "/events"
    tags = ["Events"]
    dependencies = {"service": Provide(provide_event_service, sync_to_thread=False)}

    @get(
        operation_id="list_events",
        summary="List events",
        description="Requires `webhooks:read`. The account's events, newest first, kept "
        "`BUENA_EVENTS_RETENTION_DAYS` (30) days: a consumer that missed deliveries catches up "
        "here. Each event is exactly the body POSTed to webhooks.",
        guards=[requires(Permission.WEBHOOKS_READ)],
        responses={
            200: _answer(
                ListEventsResponse,
                "A page of events",
                {"data": [_EXAMPLE_EVENT], "total": 1, "limit": 50, "offset": 0},
            ),
            **error_responses(400, 403, 422),
        },
    )
    async def list_events(
        self,
        service: NamedDependency[EventService],
        request: AuthenticatedRequest,
        limit: Limit = None,
        offset: Offset = None,
        type: Annotated[
            str | None,
            Parameter(
                description="Only events of this type",
                schema_extra=query_schema(OpenAPIType.STRING, enum=list(EVENT_TYPES)),
            ),
        ] = None,
        created_after: Annotated[
            str | None,
            Parameter(
                description="Only events created strictly after this RFC 3339 date-time",
                schema_extra=_TIME_FILTER,
            ),
        ] = None,
        created_before: Annotated[
            str | None,
            Parameter(
                description="Only events created strictly before this RFC 3339 date-time",
                schema_extra=_TIME_FILTER,
            ),
        ] = None,
    ) -> ListEventsResponse:
        query = event_query(limit, offset, type, created_after, created_before)
        return await service.list(request.user.account_id, query)

    @get(
        "/{event_id:str}",
        operation_id="get_event",
        summary="Get an event",
        description="Requires `webhooks:read`. 404 `EVENT_NOT_FOUND` for an unknown event, "
        "another account's, or one past its retention.",
        guards=[requires(Permission.WEBHOOKS_READ)],
        responses={200: _answer(Event, "The event", _EXAMPLE_EVENT), **error_responses(403, 404)},
    )
    async def get_event(
        self,
        service: NamedDependency[EventService],
        request: AuthenticatedRequest,
        event_id: Annotated[str, Parameter(description="Event identifier (evt_...)")],
    ) -> Event:
        return await service.get(request.user.account_id, event_id)
