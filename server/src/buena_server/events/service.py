"""Recording events, and reading them back (GET /events)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from buena_server.errors import EventNotFound
from buena_server.events.repository import EventQuery, EventRepository, NewEvent
from buena_server.events.schemas import Event, ListEventsResponse
from buena_server.kit.clock import utcnow
from buena_server.kit.driver import Connection
from buena_server.kit.ids import is_plausible_id, new_id


def new_event(
    account_id: str, type: str, data: dict[str, Any], *, at: datetime | None = None
) -> NewEvent:
    """An event not yet written (``data``: what the API's encoder writes as the event's
    JSON: plain values, or Structs such as a ``Lead``, written as ``msgspec.to_builtins``
    would make them)."""
    return NewEvent(
        id=new_id("evt"),
        account_id=account_id,
        type=type,
        data=data,
        created_at=at or utcnow(),
    )


async def record_event(conn: Connection, account_id: str, type: str, data: dict[str, Any]) -> Event:
    """Write an event, and its deliveries to the webhooks that subscribe to it, in
    ``conn``'s transaction: they commit with the change the event reports, or none does."""
    event = new_event(account_id, type, data)
    await EventRepository(conn).insert(event)
    return event.public()


class EventService:
    def __init__(self, repository: EventRepository) -> None:
        self.repository = repository

    async def list(self, account_id: str, query: EventQuery) -> ListEventsResponse:
        data, total = await self.repository.find_page(account_id, query)
        return ListEventsResponse(data=data, total=total, limit=query.limit, offset=query.offset)

    async def get(self, account_id: str, event_id: str) -> Event:
        event = (
            await self.repository.get(account_id, event_id) if is_plausible_id(event_id) else None
        )
        if event is None:
            raise event_not_found(event_id)
        return event


def event_not_found(event_id: str) -> EventNotFound:
    return EventNotFound(f"Event {event_id!r} not found", details={"event_id": event_id})
