"""Response bodies of /events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class Event(msgspec.Struct, kw_only=True):
    """Something that happened in the account; exactly the body POSTed to webhooks."""

    id: str
    type: str
    created_at: datetime
    data: dict[str, Any]


class ListEventsResponse(msgspec.Struct, kw_only=True):
    data: list[Event]
    total: int
    limit: int
    offset: int
