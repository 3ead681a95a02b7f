"""Idempotency-Key in the OpenAPI document: the header on every write operation, the
answers it adds (400, 409, 422) and the replay header on successes."""

from __future__ import annotations

import dataclasses
import re

from litestar import Litestar
from litestar.openapi.spec import OpenAPIHeader, OpenAPIResponse, OpenAPIType, Parameter, Schema

from buena_server.idempotency.model import MAX_KEY_LENGTH, OPT

_PARAMETER = Parameter(
    name="Idempotency-Key",
    param_in="header",
    required=False,
    description=(
        "Makes a retry safe: the first answer to this key (per account) is kept 24 hours and "
        "replayed, with `Idempotent-Replayed: true`, to a repeat of the same request. "
        f"1 to {MAX_KEY_LENGTH} visible ASCII characters, e.g. a UUID."
    ),
    schema=Schema(
        type=OpenAPIType.STRING,
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        pattern=f"^[!-~]{{1,{MAX_KEY_LENGTH}}}$",
    ),
)
_REPLAYED = OpenAPIHeader(
    description="`true` when this is the kept answer to an earlier request with the same "
    "Idempotency-Key",
    required=False,
    schema=Schema(type=OpenAPIType.STRING, enum=["true"]),
)
_ERRORS = {
    "400": "an Idempotency-Key that is empty, too long or not visible ASCII",
    "409": "a request with this Idempotency-Key is still running (IDEMPOTENCY_KEY_IN_USE)",
    "422": "this Idempotency-Key was used with another request (IDEMPOTENCY_KEY_MISMATCH)",
}


def document_idempotency(app: Litestar) -> None:
    """Add the header and what it answers to every POST, PATCH and DELETE of the API,
    except the routes that turn it off (``NO_KEPT_ANSWERS``)."""
    off = {
        # The document's path template: "/x/{id}" for the route's "/x/{id:str}".
        (re.sub(r"\{(\w+):[^}]*\}", r"{\1}", route.path), method.lower())
        for route in app.routes
        for handler in getattr(route, "route_handlers", ())
        if handler.opt.get(OPT) is False
        for method in getattr(handler, "http_methods", ())
    }
    for path, path_item in (app.openapi_schema.paths or {}).items():
        for method in ("post", "patch", "delete"):
            operation = getattr(path_item, method)
            if operation is None or not operation.security or (path, method) in off:
                continue
            operation.parameters = [*(operation.parameters or []), _PARAMETER]
            responses = operation.responses or {}
            error = responses.get("401")  # the error body, documented on every operation
            for status, meaning in _ERRORS.items():
                response = responses.get(status)
                if response is None and isinstance(error, OpenAPIResponse):
                    responses[status] = dataclasses.replace(
                        error, description=meaning[0].upper() + meaning[1:]
                    )
                elif isinstance(response, OpenAPIResponse):
                    response.description = f"{response.description}; or {meaning}"
                    if isinstance(error, OpenAPIResponse):
                        # Litestar documents its own body for a 400 it would raise; a key's
                        # 400 has the error body, like every error.
                        response.content = error.content
            for status, response in responses.items():
                if status.startswith("2") and isinstance(response, OpenAPIResponse):
                    response.headers = {
                        **(response.headers or {}),
                        "Idempotent-Replayed": _REPLAYED,
                    }
