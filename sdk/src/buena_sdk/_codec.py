"""Turning models into request bodies and query strings, and answers into models."""

import json
from datetime import datetime
from typing import Any, Optional, TypeVar

from pydantic import BaseModel, ValidationError

from buena_sdk._transport import HttpResponse
from buena_sdk.api_response import ApiResponse
from buena_sdk.exceptions import ApiResponseValidationError

# A model class, ``dict`` for operations (delete_lead, revoke_api_key) that return the
# JSON object as it is, ``bytes`` for a binary answer, or ``type(None)`` for 204.
T = TypeVar("T")


def serialize_body(model: BaseModel) -> bytes:
    """JSON of the fields the caller set, so an explicit None is sent as null and an
    omitted field is not sent at all (PATCH semantics)."""
    return model.model_dump_json(exclude_unset=True).encode("utf-8")


def parse_response(response: HttpResponse, response_type: type[T]) -> ApiResponse[T]:
    """Parse a 2xx body into ``response_type`` (a model class, or ``dict``)."""
    try:
        data = deserialize(response.body, response_type)
    except (ValidationError, ValueError) as exc:
        raise ApiResponseValidationError(
            response.status,
            response.reason,
            response.body.decode("utf-8", errors="replace"),
            response.headers,
            message=f"Response is not a valid {response_type.__name__}: {exc}",
            request_id=response.headers.get("X-Request-ID"),
        ) from exc
    return ApiResponse(
        status_code=response.status, headers=response.headers, data=data, raw_data=response.body
    )


def deserialize(body: bytes, response_type: type[T]) -> T:
    if response_type is bytes:
        # A binary answer (a voice preview's MP3): the body as it came.
        return body  # type: ignore[return-value]  # T is bytes here
    if response_type is type(None):
        # 204 No Content (delete_voice_clone): nothing to parse.
        return None
    if issubclass(response_type, BaseModel):
        # What model_validate_json calls, minus its argument checks (none are passed).
        model: T = response_type.__pydantic_validator__.validate_json(body)
        return model
    value = json.loads(body)
    if not isinstance(value, response_type):
        raise ValueError(f"expected a JSON {response_type.__name__}, got {type(value).__name__}")
    return value


def query_value(value: Any) -> Optional[str]:
    # None means "not given": the parameter is left out so the server applies its default.
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        # RFC 3339, as the server wants it; a naive datetime is local time, as in the models.
        aware = value if value.tzinfo is not None else value.astimezone()
        return aware.isoformat()
    return str(value)
