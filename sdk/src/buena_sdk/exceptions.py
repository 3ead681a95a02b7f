"""Every error the SDK raises.

Exception hierarchy::

    BuenaError
    └── ApiException                   .status .reason .body .headers .data
        │                              .code .message .request_id .details
        ├── ApiConnectionError         no HTTP response: refused, DNS, reset, TLS (status 0)
        │   └── ApiTimeoutError        connecting or reading took longer than the timeout
        ├── ApiResponseValidationError a 2xx answer whose body does not fit the model
        ├── BadRequestException        400  malformed JSON, missing or unknown field
        ├── UnauthorizedException      401  missing, invalid, expired or revoked key
        ├── PaymentRequiredException   402  INSUFFICIENT_CREDITS (details["required"], ["balance"])
        ├── ForbiddenException         403  the key lacks a permission
        ├── NotFoundException          404
        ├── ConflictException          409  e.g. LEAD_EMAIL_EXISTS (details["existing_id"])
        ├── UnprocessableEntityException 422  VALIDATION_ERROR (details["errors"])
        ├── RateLimitException         429  .retry_after seconds
        └── ServiceException           5xx
└── SignatureVerificationError     a webhook delivery failed verification (.reason)

Any other status (408, 413, 415, ...) raises ``ApiException`` itself. Connection failures
are ``ApiException`` subclasses on purpose: the reference's examples wrap calls in
``except ApiException``, and such code should not crash on a refused connection.
"""

import http
import json
from collections.abc import Mapping
from typing import Any, Optional

from urllib3 import HTTPHeaderDict

from buena_sdk._retry import parse_retry_after

__all__ = [
    "ApiConnectionError",
    "ApiException",
    "ApiResponseValidationError",
    "ApiTimeoutError",
    "BadRequestException",
    "BuenaError",
    "ConflictException",
    "ForbiddenException",
    "NotFoundException",
    "RateLimitException",
    "ServiceException",
    "SignatureVerificationError",
    "UnauthorizedException",
    "UnprocessableEntityException",
    "exception_from_response",
]

# Long bodies (an HTML error page from a proxy, say) are cut in str(e) but kept whole in .body.
_BODY_EXCERPT = 200


class BuenaError(Exception):
    """Base class of every exception raised by buena_sdk."""


class ApiException(BuenaError):
    """A call did not produce the expected result.

    ``status`` is the HTTP status (0 when no response arrived), ``reason`` its phrase,
    ``body`` the raw response text and ``headers`` the response headers. ``code``,
    ``message``, ``request_id`` and ``details`` come from the server's JSON error body
    (``request_id`` falls back to the ``X-Request-ID`` header); each is None when absent.
    """

    def __init__(
        self,
        status: int = 0,
        reason: Optional[str] = None,
        body: Optional[str] = None,
        headers: Optional[Mapping[str, str]] = None,
        *,
        code: Optional[str] = None,
        message: Optional[str] = None,
        request_id: Optional[str] = None,
        details: Optional[dict[str, Any]] = None,
        data: Any = None,
    ) -> None:
        self.status = status
        self.data = data
        self.reason = reason
        self.body = body
        self.headers: Mapping[str, str] = headers if headers is not None else HTTPHeaderDict()
        self.code = code
        self.message = message
        self.request_id = request_id
        self.details = details
        super().__init__(self._describe())

    def _describe(self) -> str:
        text = f"({self.status})"
        if self.reason:
            text += f" {self.reason}"
        detail: Optional[str]
        if self.code and self.message:
            detail = f"{self.code}: {self.message}"
        else:
            detail = self.message or self.code or _excerpt(self.body)
        if detail:
            text += f": {detail}"
        if self.request_id:
            text += f" (request_id={self.request_id})"
        return text

    def __str__(self) -> str:
        # Recomputed so that attributes set after construction still show.
        return self._describe()


class ApiConnectionError(ApiException):
    """No HTTP response arrived. ``request_sent`` is False when the failure certainly
    happened before any byte of the request left (refused, DNS, connect timeout)."""

    default_reason = "Connection error"

    def __init__(self, message: str, *, request_sent: bool = True) -> None:
        self.request_sent = request_sent
        super().__init__(0, self.default_reason, message=message)


class ApiTimeoutError(ApiConnectionError):
    """Connecting or waiting for the response took longer than ``Configuration.timeout``."""

    default_reason = "Timeout"


class ApiResponseValidationError(ApiException):
    """The server answered 2xx, but the body is not the JSON the operation promises."""


class BadRequestException(ApiException):
    """400: the request is malformed (bad JSON, missing or unknown field, wrong type)."""


class UnauthorizedException(ApiException):
    """401: the API key is missing, invalid, expired or revoked."""


class PaymentRequiredException(ApiException):
    """402: the account's credits cannot pay for the call (``INSUFFICIENT_CREDITS``);
    nothing was charged or done."""


class ForbiddenException(ApiException):
    """403: the API key lacks a permission this operation needs."""


class NotFoundException(ApiException):
    """404: no such resource in this account."""


class ConflictException(ApiException):
    """409: e.g. a lead with this email exists; ``details["existing_id"]`` names it."""


class UnprocessableEntityException(ApiException):
    """422: well-formed but invalid values; ``details["errors"]`` lists field and message."""


class RateLimitException(ApiException):
    """429: too many requests. ``retry_after`` is the server's advised wait in seconds."""

    def __init__(self, *args: Any, retry_after: Optional[float] = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(*args, **kwargs)


class ServiceException(ApiException):
    """5xx: the server failed (500) or is unavailable (503, e.g. database down)."""


class SignatureVerificationError(BuenaError):
    """A webhook request failed ``buena_sdk.webhooks.construct_event``'s checks: answer it
    with a 4xx and do not act on it. ``reason`` is one of the ``REASON_*`` codes of
    ``buena_sdk.webhooks`` (e.g. ``"no_matching_signature"``); ``str(e)`` explains it."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        self.message = message
        super().__init__(message)


_BY_STATUS: dict[int, type[ApiException]] = {
    400: BadRequestException,
    401: UnauthorizedException,
    402: PaymentRequiredException,
    403: ForbiddenException,
    404: NotFoundException,
    409: ConflictException,
    422: UnprocessableEntityException,
    429: RateLimitException,
}


def exception_class_for_status(status: int) -> type[ApiException]:
    """The most specific exception class for an HTTP error status."""
    if 500 <= status <= 599:
        return ServiceException
    return _BY_STATUS.get(status, ApiException)


def exception_from_response(
    status: int, reason: Optional[str], body: bytes, headers: Mapping[str, str]
) -> ApiException:
    """Build the exception for an error response, parsing the server's JSON error body."""
    text = body.decode("utf-8", errors="replace")
    fields = _error_fields(text)
    details = fields.get("details")
    kwargs: dict[str, Any] = {
        "code": _str_or_none(fields.get("code")),
        "message": _str_or_none(fields.get("message")),
        "request_id": _str_or_none(fields.get("request_id")) or headers.get("X-Request-ID"),
        "details": details if isinstance(details, dict) else None,
        "data": _error_model(fields),
    }
    cls = exception_class_for_status(status)
    if cls is RateLimitException:
        kwargs["retry_after"] = parse_retry_after(headers.get("Retry-After"))
    return cls(status, reason or _standard_phrase(status), text, headers, **kwargs)


def _error_fields(text: str) -> dict[str, Any]:
    # A proxy or load balancer may answer with HTML or plain text; then only .body is set.
    try:
        parsed = json.loads(text)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _error_model(fields: dict[str, Any]) -> Any:
    """The body as an ``ErrorResponse``, or None when it is not the server's error JSON."""
    if not fields:
        return None
    # Imported here: pydantic and the models load on first use, not with the exceptions.
    from pydantic import ValidationError

    from buena_sdk.models.error_response import ErrorResponse

    try:
        return ErrorResponse.model_validate(fields)
    except ValidationError:
        return None


def _str_or_none(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and value else None


def _standard_phrase(status: int) -> Optional[str]:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return None


def _excerpt(body: Optional[str]) -> Optional[str]:
    if not body:
        return None
    body = " ".join(body.split())
    return body if len(body) <= _BODY_EXCERPT else body[:_BODY_EXCERPT] + "..."
