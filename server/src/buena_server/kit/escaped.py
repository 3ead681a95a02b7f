"""Errors answered outside Litestar, in the one JSON shape (the front door adds the headers
every response carries): the header caps' 431 (front.py, http_protocol.py), and the last
answer to an exception that escaped both the hot paths and Litestar's own handler (a fault
in the exception handler or in the hand-over), never the ASGI server's plain-text 500."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from buena_server.errors import ApiError, error_body, to_api_error
from buena_server.kit.http_hooks import json_head
from buena_server.kit.request_id import request_id_of

_ENCODER = msgspec.json.Encoder()


def error_response(
    scope: dict[str, Any], error: ApiError
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Status, headers and body of an error answered outside Litestar: the same body as
    errors.handle_exception gives (the front door adds the common headers)."""
    body = _ENCODER.encode(error_body(error, request_id_of(scope)))
    headers = json_head(
        body,
        ((name.lower().encode(), value.encode()) for name, value in error.headers.items()),
    )
    return error.status_code, headers, body


async def answer_escaped(
    scope: dict[str, Any], send: Callable[[Any], Awaitable[None]], exc: Exception
) -> None:
    """Answer ``exc`` as the app's exception handler would (errors.to_api_error). ``send`` is
    not watched for a response already started (that would cost every request): the ASGI
    server refuses a second start, and ``exc`` is then raised again, the connection being all
    that is left to close."""
    status, headers, body = error_response(scope, to_api_error(exc))
    try:
        await send({"type": "http.response.start", "status": status, "headers": headers})
    except Exception:
        raise exc from None
    await send({"type": "http.response.body", "body": body})
