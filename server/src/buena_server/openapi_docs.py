"""OpenAPI helpers: the error responses each operation documents."""

from __future__ import annotations

from litestar.openapi.datastructures import ResponseSpec

from buena_server.errors import ErrorBody

_DESCRIPTIONS = {
    400: "Malformed JSON, missing required field, wrong JSON type or unknown field",
    401: "Missing, invalid, expired or revoked API key",
    403: "The API key lacks the required permission",
    404: "Not found (or owned by another account)",
    409: "Conflict: a lead with this email already exists",
    413: "Request body larger than the limit",
    415: "Request body is not application/json",
    422: "Well-formed request with an invalid value",
    429: "Rate limit exceeded (see Retry-After)",
    500: "Internal error",
    503: "Database unavailable",
}

# Every authenticated operation can answer these.
_COMMON = (401, 429, 500, 503)


def error_responses(*statuses: int) -> dict[int, ResponseSpec]:
    return {
        status: ResponseSpec(
            data_container=ErrorBody, description=_DESCRIPTIONS[status], generate_examples=False
        )
        for status in sorted({*statuses, *_COMMON})
    }
