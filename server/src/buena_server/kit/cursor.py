"""Opaque cursors for keyset paging: the last row's (sort value, id), bound to the list it
was made for.

A cursor is base64url (unpadded) of a small JSON array: the resource, a digest of the sort,
order and filters, the sort value and the id. A cursor sent with other parameters than its
own, or one that does not decode, is refused (422 ``INVALID_CURSOR``) rather than applied to
a list it does not describe. The position is not secret: a client could build a cursor by
hand and would only page through its own account from another place.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import datetime
from typing import Any, NamedTuple

import msgspec

from buena_server.errors import InvalidCursor

MAX_CURSOR_LENGTH = 1024
_VERSION = 1


class Position(NamedTuple):
    """Where the next page starts: after the row with this sort value and id."""

    value: Any
    id: str


def binding(resource: str, parameters: dict[str, Any]) -> str:
    """A short digest of what a cursor is bound to (the sort, order and filters)."""
    encoded = msgspec.json.encode(sorted((k, v) for k, v in parameters.items() if v is not None))
    return hashlib.blake2s(resource.encode() + b"\0" + encoded, digest_size=9).hexdigest()


def encode_cursor(bound_to: str, position: Position) -> str:
    value = position.value
    kind = "t" if isinstance(value, datetime) else "s"
    plain = value.isoformat() if isinstance(value, datetime) else value
    raw = msgspec.json.encode([_VERSION, bound_to, kind, plain, position.id])
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str, bound_to: str) -> Position:
    """The position ``cursor`` holds; raises InvalidCursor (422) when it is malformed or was
    made for another list than ``bound_to``."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        version, bound, kind, plain, last_id = msgspec.json.decode(raw)
        if version != _VERSION or not isinstance(last_id, str) or not isinstance(bound, str):
            raise ValueError("not a cursor")
        if kind == "t" and isinstance(plain, str):
            value: Any = datetime.fromisoformat(plain)
            if value.tzinfo is None:
                raise ValueError("naive time")
        elif kind == "s" and isinstance(plain, str):
            value = plain
        else:
            raise ValueError("not a cursor")
    except (ValueError, TypeError, binascii.Error, msgspec.DecodeError):
        raise malformed_cursor() from None
    if bound != bound_to:
        raise _invalid(
            "cursor was made for another list: use it with the same sort, order and filters"
        )
    return Position(value, last_id)


def malformed_cursor() -> InvalidCursor:
    return _invalid("cursor is malformed: pass next_cursor from a list answer unchanged")


def _invalid(message: str) -> InvalidCursor:
    return InvalidCursor(message, details={"errors": [{"field": "cursor", "message": message}]})
