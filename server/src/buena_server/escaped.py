"""The last answer: an exception that escaped both the hot paths and Litestar's own handler
(a failing response hook, a fault in the hand-over) still gets the one JSON error shape and
the response headers every error gets, never the ASGI server's plain-text 500."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import msgspec
from litestar.types import HTTPResponseStartEvent, Message

from buena_server.errors import error_body, to_api_error
from buena_server.request_id import HEADER as REQUEST_ID_HEADER
from buena_server.request_id import request_id_of

logger = logging.getLogger("buena_server")

Hook = Callable[[Message, Any], Awaitable[Any]]
_REQUEST_ID_HEADER = REQUEST_ID_HEADER.encode()


async def answer_escaped(
    scope: Any, send: Callable[[Any], Awaitable[None]], exc: Exception, hooks: Sequence[Hook]
) -> None:
    """Answer ``exc`` as the app's exception handler would, its headers added by ``hooks``
    (the app's ``before_send``). ``send`` is not watched for a response already started (that
    would cost every request): the ASGI server refuses a second start, and ``exc`` is then
    raised again, the connection being all that is left to close."""
    error = to_api_error(exc)
    body = msgspec.json.encode(error_body(error, request_id_of(scope)))
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", b"%d" % len(body)),
        *((name.lower().encode(), value.encode()) for name, value in error.headers.items()),
    ]
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": error.status_code,
        "headers": headers,
    }
    try:
        for hook in hooks:
            await hook(start, scope)
    except Exception:
        logger.exception("a response hook failed while answering an error")
    if not any(name == _REQUEST_ID_HEADER for name, _ in start["headers"]):
        start["headers"] = [*start["headers"], (_REQUEST_ID_HEADER, request_id_of(scope).encode())]
    try:
        await send(start)
    except Exception:
        raise exc from None
    await send({"type": "http.response.body", "body": body})
