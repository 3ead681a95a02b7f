"""Request and response bodies of /keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from buena_server.auth.permissions import ALL_PERMISSIONS
from buena_server.kit.validation import (
    FUTURE_DATE_TIME,
    FutureTimestamp,
    StringList,
    field,
    text,
)

KeyName = Annotated[str, text(100, "Descriptive name", required=True)]
KeyDescription = Annotated[str, text(500, "Key description")]
Permissions = Annotated[
    list[str],
    field(
        StringList(
            max_items=len(ALL_PERMISSIONS), item_max_length=32, allowed=ALL_PERMISSIONS, min_items=1
        ),
        description="Permissions to grant; the calling key must hold each of them. "
        f"One or more of: {', '.join(ALL_PERMISSIONS)}",
        min_items=1,
        max_items=len(ALL_PERMISSIONS),
        items={"type": "string", "enum": list(ALL_PERMISSIONS)},
    ),
]
# A string on the wire, parsed by its rule, so that a malformed timestamp is a 422 like any
# other invalid value (msgspec would answer a wrong format as a type error, 400).
ExpiresAt = Annotated[
    str,
    field(
        FutureTimestamp(),
        description="Expiry: an RFC 3339 date-time with a time zone offset, later than the "
        f"server's clock (the custom format `{FUTURE_DATE_TIME}`)",
        format=FUTURE_DATE_TIME,
    ),
]


class CreateApiKeyRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: KeyName
    permissions: Permissions
    expires_at: ExpiresAt | None = None
    description: KeyDescription | None = None


class ApiKey(msgspec.Struct, kw_only=True):
    id: str
    name: str
    description: str | None
    key_preview: str
    permissions: list[str]
    last_used: datetime | None
    is_active: bool
    created_at: datetime
    expires_at: datetime | None


class CreatedApiKey(ApiKey, kw_only=True):
    """The one response that carries the full key: save it, it is never shown again."""

    key: str


class ListApiKeysResponse(msgspec.Struct, kw_only=True):
    data: list[ApiKey]
    total: int
    limit: int
    offset: int
    # The next page's ``cursor``; null on the last page.
    next_cursor: str | None = None


class RevokeApiKeyResponse(msgspec.Struct, kw_only=True):
    success: bool
    message: str
    revoked_id: str
