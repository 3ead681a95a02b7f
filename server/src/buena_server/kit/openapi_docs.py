"""The OpenAPI document: its configuration, the error responses each operation documents,
and the route that serves it."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import msgspec
from litestar import Litestar, MediaType, Request, Response, Router, get
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.datastructures import ResponseHeader
from litestar.openapi import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    Components,
    Example,
    OpenAPI,
    OpenAPIHeader,
    OpenAPIResponse,
    OpenAPIType,
    Schema,
    SecurityScheme,
    Tag,
)

from buena_server import API_VERSION
from buena_server.errors import ErrorBody, NotFound
from buena_server.kit.docs_ui import asset_routers, render_plugins
from buena_server.services import services_of

BASE_PATH = "/api/v2"
DOCS_PATH = f"{BASE_PATH}/docs"

_DESCRIPTIONS = {
    401: "Missing, invalid, expired or revoked API key",
    402: "The account's credits cannot pay for the call (INSUFFICIENT_CREDITS); nothing was "
    "charged",
    403: "The API key lacks the required permission",
    404: "Not found (or owned by another account)",
    409: "Conflict with the resource's state (the code says which)",
    413: "Request body larger than the limit",
    415: "Request body is not application/json",
    429: "Rate limit exceeded (see Retry-After)",
    500: "Internal error",
    503: "Database unavailable",
}
_UNKNOWN_PARAMETER = "an unknown query parameter (UNKNOWN_PARAMETER; every one is named)"
# What 400 and 422 mean depends on whether the operation takes a body.
_WITH_BODY = {
    400: "Malformed JSON, missing required field, wrong JSON type or unknown field (every one "
    f"is listed in details.errors), or {_UNKNOWN_PARAMETER}",
    422: "Well-formed request with an invalid value (every one is listed in details.errors)",
}
_WITHOUT_BODY = {
    400: _UNKNOWN_PARAMETER[0].upper() + _UNKNOWN_PARAMETER[1:],
    422: "A query parameter with an invalid value (every one is listed in details.errors)",
}

# Every authenticated operation can answer these.
_COMMON = (400, 401, 429, 500, 503)


def example(summary: str, value: Any) -> list[Example]:
    """One named example of a body (``Body(examples=...)``)."""
    return [Example(summary=summary, value=value)]


def answer(data: type, description: str, summary: str, value: Any) -> ResponseSpec:
    """A success answer documented with its example."""
    return ResponseSpec(
        data_container=data,
        description=description,
        generate_examples=False,
        examples=example(summary, value),
    )


def error_responses(
    *statuses: int, body: bool = False, authenticated: bool = True
) -> dict[int, ResponseSpec]:
    """The error responses of an operation: ``statuses``, those of every operation, and
    those of every operation with a JSON body (``body``): 413 and 415."""
    common = _COMMON if authenticated else (400,)
    descriptions = {**_DESCRIPTIONS, **(_WITH_BODY if body else _WITHOUT_BODY)}
    return {
        status: ResponseSpec(
            data_container=ErrorBody, description=descriptions[status], generate_examples=False
        )
        for status in sorted({*statuses, *common, *((413, 415) if body else ())})
    }


def location_header(collection: str, what: str) -> ResponseHeader:
    """The ``Location`` header a 201 sends: the created resource's URL, ``collection``/{id}
    (documented as a string only)."""
    return ResponseHeader(
        name="Location",
        description=f"The created {what}'s URL: {collection}/{{id}}",
        value=f"{collection}/{{id}}",
        documentation_only=True,
        required=True,
    )


def document_locations(app: Litestar) -> None:
    """Put back the ``Location`` header of a 201 whose handler documents that answer itself
    (``responses={201: ...}``, for its example): Litestar documents ``response_headers`` only
    on the answer it generates."""
    paths = app.openapi_schema.paths or {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            headers = [h for h in handler.resolve_response_headers() if h.name == "Location"]
            if handler.status_code != 201 or not headers or not handler.include_in_schema:
                continue
            # The document's path template: "/x/{id}" for the route's "/x/{id:str}".
            path_item = paths[re.sub(r"\{(\w+):[^}]*\}", r"{\1}", route.path)]
            for method in handler.http_methods:
                response = getattr(path_item, method.lower()).responses["201"]
                assert isinstance(response, OpenAPIResponse)
                response.headers = {
                    "Location": OpenAPIHeader(
                        schema=Schema(type=OpenAPIType.STRING),
                        description=headers[0].description,
                        required=True,
                    ),
                    **(response.headers or {}),
                }


class _FinishedWhenBuilt(OpenAPIPlugin):
    """Litestar's OpenAPI plugin, whose document is finished by ``create_app``'s steps (the
    examples, closed request bodies, headers Litestar does not write...) the first time it is
    built. Every reader goes through ``provide_openapi``: ``app.openapi_schema``, our
    ``/openapi.json`` and the plugin's own pages (Swagger UI, ReDoc, docs/openapi.json)."""

    __slots__ = ()

    def provide_openapi(self) -> OpenAPI:
        if self._openapi is None:
            self._openapi = self._build_openapi()
            document = services_of(self.app).openapi_json
            try:
                if document.finish is not None:
                    document.finish(self.app)  # reads the document through here: built now
            except BaseException:
                self._openapi = None  # never half finished: built again on the next read
                raise
            document.finish = None
        return self._openapi


def finish_document_when_built(app: Litestar, finish: Callable[[Litestar], None]) -> None:
    """Run ``finish`` on the app's OpenAPI document when it is first built (when it is first
    read), not in ``create_app``: building it costs ~100 ms, which a process that never
    serves its document (a test's app, a command of the CLI) does not pay. The app's
    services must be in its state."""
    plugin = app.plugins.get(OpenAPIPlugin)
    if type(plugin) is not OpenAPIPlugin or plugin._openapi is not None:
        raise RuntimeError("the OpenAPI plugin is not Litestar's own, or its document exists")
    services_of(app).openapi_json.finish = finish
    # The same object, with the one method above in its class (same slots, same layout).
    plugin.__class__ = _FinishedWhenBuilt


def query_schema(kind: OpenAPIType, **keywords: Any) -> dict[str, Any]:
    """``schema_extra`` for an optional query parameter: its plain type (a query string has
    no null, so Litestar's ``oneOf [type, null]`` for ``T | None`` would admit what no client
    can send), plus its keywords (``minimum``, ``enum``, ``default``...)."""
    return {"type": kind, "one_of": None, **keywords}


def close_request_schemas(app: Litestar, *structs: type[msgspec.Struct]) -> None:
    """Document ``additionalProperties: false`` for bodies that refuse unknown fields: these
    structs and every struct their fields hold."""
    components = app.openapi_schema.components.schemas or {}
    for struct in _with_nested(structs):
        schema = components.get(struct.__name__)
        if schema is not None and struct.__struct_config__.forbid_unknown_fields:
            schema.additional_properties = False


def _with_nested(structs: Sequence[type[msgspec.Struct]]) -> list[type[msgspec.Struct]]:
    found: dict[type[msgspec.Struct], None] = {}
    pending: list[msgspec.inspect.Type] = list(msgspec.inspect.multi_type_info(structs))
    while pending:
        info = pending.pop()
        if isinstance(info, msgspec.inspect.StructType):
            if info.cls in found:
                continue
            found[info.cls] = None
            pending.extend(field.type for field in info.fields)
        elif isinstance(info, msgspec.inspect.Metadata):
            pending.append(info.type)
        elif isinstance(info, msgspec.inspect.UnionType):
            pending.extend(info.types)
        elif isinstance(info, (msgspec.inspect.ListType, msgspec.inspect.SetType)):
            pending.append(info.item_type)
        elif isinstance(info, msgspec.inspect.DictType):
            pending.append(info.value_type)
    return list(found)


@get("/openapi.json", include_in_schema=False, sync_to_thread=False)
def openapi_json(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The OpenAPI document (also at /api/v2/docs/openapi.json, where Swagger UI reads it),
    encoded once per process: the schema cannot change while the process runs."""
    document = services_of(request.app).openapi_json.of(request.app)
    return Response(document, media_type=MediaType.JSON)


def _json_not_found(response: Response[Any]) -> Response[Any]:
    """Litestar's schema router answers unknown paths below it with an HTML 404 page; turn
    that into our JSON error like every other unknown route."""
    if response.status_code == 404:
        raise NotFound("No such endpoint")
    return response


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Buena API",
        version=API_VERSION,
        description="Leads, API keys with permission scopes, webhooks (signed deliveries of "
        "the account's events, retried for days) and health. Every "
        "error has the same JSON shape (`error`, `code`, `message`, `version`, `timestamp`, "
        "`request_id`, `details`).",
        # Litestar's schema router also catches every unknown single-segment path below its
        # own path; it lives under /docs so that /api/v2/<anything else> stays ours (404,
        # not 405). /api/v2/openapi.json is served by `openapi_json` below.
        path=DOCS_PATH,
        render_plugins=render_plugins(DOCS_PATH),
        openapi_router=Router(
            path=DOCS_PATH,
            route_handlers=asset_routers(),
            include_in_schema=False,
            after_request=_json_not_found,
        ),
        components=Components(
            security_schemes={
                "ApiKeyAuth": SecurityScheme(
                    type="apiKey",
                    name="x-api-key",
                    security_scheme_in="header",
                    description="An API key (bna_...). `Authorization: Bearer <key>` also works.",
                )
            }
        ),
        tags=[
            Tag(name="Leads", description="Lead management"),
            Tag(name="API Keys", description="API keys and their permissions"),
            Tag(name="Webhooks", description="Endpoints that receive the account's events"),
            Tag(name="Events", description="What happened in the account, newest first"),
            Tag(name="Jobs", description="Long work the account asked for, run in chunks"),
            Tag(
                name="Enrichment",
                description="Enriching leads through providers, paid for with credits",
            ),
            Tag(name="System", description="Health"),
        ],
        use_handler_docstrings=False,
    )
