"""One error family, one JSON shape, one handler.

Every non-2xx response body is::

    {"error": true, "code": "LEAD_NOT_FOUND", "message": "...", "version": "2.0",
     "timestamp": "...", "request_id": "...", "details": {...}}

Services raise ``ApiError`` subclasses; framework exceptions (unknown route, 405, 413,
body that fails to decode) and database outages are translated into the same shape here,
so clients never see a framework page or a stack trace.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from sqlalchemy import exc as sa_exc

from buena_server import API_VERSION
from buena_server.kit.body_errors import body_errors_of
from buena_server.kit.clock import utcnow
from buena_server.kit.request_id import request_id_of

logger = logging.getLogger("buena_server")


class ErrorBody(msgspec.Struct, kw_only=True):
    """The body of every error response."""

    error: bool
    code: str
    message: str
    version: str
    timestamp: datetime
    request_id: str
    details: dict[str, Any]


class ApiError(Exception):
    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "INTERNAL_ERROR"

    def __init__(
        self,
        message: str,
        *,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = dict(details or {})
        self.headers = dict(headers or {})


class InvalidJson(ApiError):
    status_code = 400
    code = "INVALID_JSON"


class InvalidRequest(ApiError):
    """Structurally wrong request: missing field, wrong JSON type, unknown field."""

    status_code = 400
    code = "INVALID_REQUEST"


class UnknownParameter(InvalidRequest):
    """A query parameter the endpoint does not take (refused rather than ignored)."""

    code = "UNKNOWN_PARAMETER"


class Unauthorized(ApiError):
    status_code = 401
    code = "UNAUTHORIZED"


class InsufficientCredits(ApiError):
    """The account's balance cannot pay for the call; nothing was charged or done."""

    status_code = 402
    code = "INSUFFICIENT_CREDITS"


class PermissionDenied(ApiError):
    status_code = 403
    code = "PERMISSION_DENIED"


class NotFound(ApiError):
    status_code = 404
    code = "NOT_FOUND"


class LeadNotFound(NotFound):
    code = "LEAD_NOT_FOUND"


class ApiKeyNotFound(NotFound):
    code = "API_KEY_NOT_FOUND"


class WebhookNotFound(NotFound):
    code = "WEBHOOK_NOT_FOUND"


class WebhookDeliveryNotFound(NotFound):
    code = "WEBHOOK_DELIVERY_NOT_FOUND"


class EventNotFound(NotFound):
    code = "EVENT_NOT_FOUND"


class JobNotFound(NotFound):
    code = "JOB_NOT_FOUND"


class LinkedInActionNotFound(NotFound):
    code = "LINKEDIN_ACTION_NOT_FOUND"


class ProspectListNotFound(NotFound):
    code = "PROSPECT_LIST_NOT_FOUND"


class VoiceCloneNotFound(NotFound):
    code = "VOICE_CLONE_NOT_FOUND"


class MethodNotAllowed(ApiError):
    status_code = 405
    code = "METHOD_NOT_ALLOWED"


class Conflict(ApiError):
    status_code = 409
    code = "CONFLICT"


class JobFinished(Conflict):
    """A job that has finished cannot be canceled."""

    code = "JOB_ALREADY_FINISHED"


class LinkedInNotConnected(Conflict):
    """The account has no LinkedIn integration (PUT /integrations/linkedin connects one)."""

    code = "LINKEDIN_NOT_CONNECTED"


class LinkedInDuplicateAction(Conflict):
    """A connection request to the profile is already scheduled, running or completed."""

    code = "LINKEDIN_DUPLICATE_ACTION"


class LinkedInActionNotCancelable(Conflict):
    """Only a scheduled action can be canceled: it is running or has finished."""

    code = "LINKEDIN_ACTION_NOT_CANCELABLE"


class VoiceCloneLimitReached(Conflict):
    """The account has as many voice clones as it may (details: limit, count)."""

    code = "VOICE_CLONE_LIMIT"


class VoiceCloneInUse(Conflict):
    """Pending LinkedIn voice messages speak with the clone (details: actions)."""

    code = "VOICE_CLONE_IN_USE"


class VoiceCloneNotReady(Conflict):
    """The clone's analysis has not finished, or failed (details: status, failure_reason)."""

    code = "VOICE_CLONE_NOT_READY"


class LeadEmailExists(Conflict):
    code = "LEAD_EMAIL_EXISTS"


class IdempotencyKeyInUse(Conflict):
    """Another request with this Idempotency-Key is still running (idempotency/)."""

    code = "IDEMPOTENCY_KEY_IN_USE"


class PayloadTooLarge(ApiError):
    status_code = 413
    code = "PAYLOAD_TOO_LARGE"


class UnsupportedMediaType(ApiError):
    status_code = 415
    code = "UNSUPPORTED_MEDIA_TYPE"


class ValidationFailed(ApiError):
    """Well-formed request with an invalid value (email, phone, URL, enum, length, range)."""

    status_code = 422
    code = "VALIDATION_ERROR"


class InvalidAudio(ValidationFailed):
    """An uploaded file is not decodable WAV, MP3, M4A or FLAC audio (details: filename)."""

    code = "INVALID_AUDIO"


class SamplesTooShort(ValidationFailed):
    """The samples' total duration is under the minimum (details: seconds, minimum)."""

    code = "SAMPLES_TOO_SHORT"


class ApiKeyOutlivesCaller(ValidationFailed):
    """A key that expires asked for a key that would outlive it."""

    code = "API_KEY_OUTLIVES_CALLER"


class ApiKeyLimitReached(ValidationFailed):
    code = "API_KEY_LIMIT_REACHED"


class WebhookUrlRefused(ValidationFailed):
    """A webhook URL whose host is, or resolves to, an address Buena never calls."""

    code = "WEBHOOK_URL_REFUSED"


class WebhookLimitReached(ValidationFailed):
    code = "WEBHOOK_LIMIT_REACHED"


class InvalidCursor(ValidationFailed):
    """A ``cursor`` that is malformed, or was made for another list (sort, order, filters)."""

    code = "INVALID_CURSOR"


class IdempotencyKeyMismatch(ValidationFailed):
    """The Idempotency-Key was first used with another method, path or body."""

    code = "IDEMPOTENCY_KEY_MISMATCH"


class InvalidIdempotencyKey(InvalidRequest):
    code = "INVALID_IDEMPOTENCY_KEY"


class RateLimitExceeded(ApiError):
    status_code = 429
    code = "RATE_LIMIT_EXCEEDED"


class RequestHeadersTooLarge(ApiError):
    status_code = 431
    code = "REQUEST_HEADERS_TOO_LARGE"


class InternalError(ApiError):
    status_code = 500
    code = "INTERNAL_ERROR"


class ServiceUnavailable(ApiError):
    status_code = 503
    code = "SERVICE_UNAVAILABLE"


# Other statuses Litestar may raise on its own, and what we call them (400, 404, 405 and 413
# get their own messages in _from_framework).
_FRAMEWORK_ERRORS: dict[int, type[ApiError]] = {
    401: Unauthorized,
    403: PermissionDenied,
    415: UnsupportedMediaType,
    429: RateLimitExceeded,
    503: ServiceUnavailable,
}


def _from_framework(exc: HTTPException) -> ApiError:
    status = exc.status_code
    if isinstance(exc, ValidationException):
        errors = _framework_validation_errors(exc.extra)
        message = errors[0]["message"] if errors else "The request is malformed"
        return InvalidRequest(message, details={"errors": errors})
    if status == 400:
        # Litestar raises a plain ClientException when the body is not decodable JSON.
        return InvalidJson(
            f"The request body is not valid JSON: {exc.detail}", details={"reason": exc.detail}
        )
    if status == 404:
        return NotFound("No such endpoint")
    if status == 405:
        return MethodNotAllowed("Method not allowed for this endpoint", headers=exc.headers)
    if status == 413:
        return payload_too_large()
    error_class = _FRAMEWORK_ERRORS.get(status, InternalError if status >= 500 else InvalidRequest)
    return error_class(exc.detail or "Request failed", headers=exc.headers)


# msgspec names the offending field inside the message for these two errors.
_NAMED_FIELD = re.compile(r"^Object (?:missing required|contains unknown) field `([^`]+)`")


def _framework_validation_errors(extra: Any) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    for item in extra if isinstance(extra, list) else []:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", ""))
        source = item.get("source", "")
        field = _field_name(str(item.get("key", "")))
        if named := _NAMED_FIELD.match(message):
            field = named.group(1) if field in {"", "data"} else f"{field}.{named.group(1)}"
        if field and not message.startswith(("Object", field)):
            message = f"{field}: {message}"
        errors.append(
            {
                "field": field,
                "message": message,
                "source": str(getattr(source, "value", source)),
            }
        )
    return errors


def _field_name(key: str) -> str:
    # msgspec reports body paths as "$.first_name" or "$[0]"; clients want "first_name".
    return key.removeprefix("$.").removeprefix("$")


def summary_of(errors: list[dict[str, Any]]) -> str:
    """An error message for a list of field errors: the first, and how many more."""
    first = str(errors[0]["message"])
    more = len(errors) - 1
    return first if not more else f"{first} (and {more} more error{'s' if more > 1 else ''})"


def is_database_outage(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be used now (refused, lost, timed out): 503."""
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)):
        return True
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, (ConnectionError, OSError)) and not isinstance(exc, ApiError)


def voice_clone_not_found(clone_id: str) -> VoiceCloneNotFound:
    return VoiceCloneNotFound(
        f"Voice clone {clone_id!r} not found", details={"voice_clone_id": clone_id}
    )


def payload_too_large() -> PayloadTooLarge:
    return PayloadTooLarge("The request body is too large")


def database_unavailable() -> ServiceUnavailable:
    return ServiceUnavailable(
        "The database is unavailable; retry shortly", headers={"Retry-After": "1"}
    )


def internal_error() -> InternalError:
    return InternalError("An internal error occurred")


def to_api_error(exc: Exception) -> ApiError:
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, RecursionError):
        # msgspec gives up on JSON nested thousands of levels deep.
        return InvalidJson("The request body is nested too deeply")
    if isinstance(exc, HTTPException):
        return _from_framework(exc)
    if is_database_outage(exc):
        logger.warning("database unavailable: %s", exc)
        return database_unavailable()
    logger.exception("unhandled error", exc_info=exc)
    return internal_error()


def error_body(error: ApiError, request_id: str) -> ErrorBody:
    return ErrorBody(
        error=True,
        code=error.code,
        message=error.message,
        version=API_VERSION,
        timestamp=utcnow(),
        request_id=request_id,
        details=error.details,
    )


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[ErrorBody]:
    """The one exception handler, registered for every exception type."""
    error = to_api_error(exc)
    if isinstance(exc, ValidationException) and (errors := body_errors_of(request)):
        # msgspec reported the first bad field only; the body's other errors join it.
        error = InvalidRequest(summary_of(errors), details={"errors": errors})
    return Response(
        content=error_body(error, request_id_of(request.scope)),
        status_code=error.status_code,
        headers=error.headers,
        media_type=MediaType.JSON,
    )
