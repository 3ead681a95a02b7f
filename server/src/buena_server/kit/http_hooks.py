"""Request and response hooks that apply to every API route."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, cast

import msgspec
from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.types import HTTPResponseStartEvent, Scope

from buena_server.errors import InvalidJson, InvalidRequest, UnsupportedMediaType, summary_of
from buena_server.kit.body_errors import structural_errors
from buena_server.kit.cors import CORS_STATE_KEY
from buena_server.kit.query_rules import parse_query
from buena_server.kit.ratelimit import DECISION_STATE_KEY
from buena_server.kit.request_id import HEADER as REQUEST_ID_HEADER
from buena_server.kit.request_id import request_id_of
from buena_server.services import services_of

_REQUEST_ID_HEADER = REQUEST_ID_HEADER.encode()

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def media_type_of(content_type: str) -> str:
    """``"Application/JSON; charset=utf-8"`` → ``"application/json"``."""
    return content_type.split(";", 1)[0].strip().lower()


def is_json_media_type(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def unsupported_media_type(media_type: str) -> UnsupportedMediaType:
    return UnsupportedMediaType(
        "Send the request body as JSON with 'Content-Type: application/json'",
        details={"content_type": media_type or None},
    )


async def require_json_body(request: Request[Any, Any, Any]) -> None:
    """415 for a body that is not declared as JSON (before it is parsed)."""
    if request.method not in _BODY_METHODS:
        return
    media_type = media_type_of(request.headers.get("content-type", ""))
    if not is_json_media_type(media_type):
        raise unsupported_media_type(media_type)
    if not (await request.body()).strip():
        raise InvalidJson("A JSON request body is required")


# Every answer: never stored by a browser or proxy (answers are per key, and a key's creation
# carries the secret itself), and never content-sniffed into something else than its type.
_SECURITY_HEADERS = ((b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff"))


def common_headers(scope: Scope | dict[str, Any]) -> list[tuple[bytes, bytes]]:
    """The headers every response carries, whoever answers it (added by the front door's
    ``finish_head``, and by the protocol's 431, sent before the app sees the request):
    X-Request-ID, Cache-Control and X-Content-Type-Options; the X-RateLimit-* headers once
    the key's limits were checked; the CORS headers the front door chose for the request's
    origin (cors.py)."""
    state = scope.setdefault("state", {})
    headers = [(_REQUEST_ID_HEADER, request_id_of(scope).encode()), *_SECURITY_HEADERS]
    decision = state.get(DECISION_STATE_KEY)
    if decision is not None:
        headers += decision.raw_headers()
    cors = state.get(CORS_STATE_KEY)
    if cors:
        headers += cors
    return headers


async def check_api_request(request: Request[Any, Any, Any]) -> None:
    """The API routes' ``before_request``: the query string, then the body's media type."""
    await check_query(request)
    await require_json_body(request)


async def check_optional_body(request: Request[Any, Any, Any]) -> None:
    """``before_request`` of a POST whose body may be left out: a body given must be JSON."""
    await check_query(request)
    if (await request.body()).strip():
        await require_json_body(request)


async def check_query(request: Request[Any, Any, Any]) -> None:
    """A ``before_request`` hook: the request's query string against its handler's rules."""
    query_string: bytes = request.scope["query_string"]
    if not query_string:
        return
    handler_rules = services_of(request.app).query_rules.get(request.route_handler)
    if handler_rules is not None:
        handler_rules.check(parse_query(query_string))


def json_head(body: bytes, extra: Iterable[tuple[bytes, bytes]] = ()) -> list[tuple[bytes, bytes]]:
    """The head of a JSON answer sent outside Litestar (the hot paths, the raw error answers):
    its type and length, and ``extra``; the front door adds the common headers."""
    return [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body)), *extra]


def finish_head(message: dict[str, Any], scope: Scope | dict[str, Any]) -> None:
    """Every answer's head, whoever answered (a Litestar route, the hot paths, the front
    door's own refusals), as the front door sends it: the common headers, and an ``Allow``
    that lists every method."""
    common = common_headers(scope)
    # No answer sets these itself (test_http_headers: no name twice), so they are appended.
    headers = message.get("headers")
    message["headers"] = [*headers, *common] if headers else common
    status = message["status"]
    if status == 405 or (scope.get("method") == "OPTIONS" and status == 204):
        headers = MutableScopeHeaders.from_message(cast(HTTPResponseStartEvent, message))
        if status == 204:
            # Litestar's automatic OPTIONS handler can list only the methods of the first
            # handler registered on a path; answer with every method the path really has.
            template = _untyped(str(scope.get("path_template", "")))
            allowed = services_of(scope["litestar_app"]).allowed_methods.get(template)
        else:
            allowed = _with_head(headers.get("allow", "").split(","))
        if allowed:
            headers["allow"] = allowed


def _with_head(methods: Iterable[str]) -> str:
    """The ``Allow`` value of these methods, with HEAD wherever GET is (front.py)."""
    allowed = {method.strip().upper() for method in methods if method.strip()}
    if "GET" in allowed:
        allowed.add("HEAD")
    return ", ".join(sorted(allowed))


def _untyped(path: str) -> str:
    """``/leads/{lead_id:str}`` → ``/leads/{lead_id}``."""
    return re.sub(r"\{(\w+):[^}]*\}", r"{\1}", path)


def allowed_methods_by_path(
    paths_and_methods: Iterable[tuple[str, Iterable[str]]],
) -> dict[str, str]:
    """The ``Allow`` value of each route path, for the OPTIONS fix in ``finish_head``."""
    return {_untyped(path): _with_head(methods) for path, methods in paths_and_methods}


def refuse_lax_types(body: bytes, kind: type[msgspec.Struct]) -> None:
    """400 for values Litestar's lax decoding would convert (``"is_active": 0``), with every
    structural error of the body; a body that is not a JSON object is left to Litestar."""
    try:
        raw = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return
    if not isinstance(raw, dict):
        return
    # JSON Schema's integers include 2055.0; msgspec's strict mode does not.
    raw = {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in raw.items()}
    if errors := structural_errors(kind, raw, strict=True):
        raise InvalidRequest(summary_of(errors), details={"errors": errors})


async def check_strict_body(request: Request[Any, Any, Any], kind: type[msgspec.Struct]) -> None:
    """The API's checks, then ``refuse_lax_types`` for the route's body."""
    await check_api_request(request)
    refuse_lax_types(await request.body(), kind)
