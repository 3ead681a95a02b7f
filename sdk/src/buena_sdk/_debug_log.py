"""The DEBUG log of each request and response (``Configuration.debug``), keys redacted.

Header values that carry credentials are replaced whole; in URLs and bodies, anything
shaped like an API key (``bna_...``) or a webhook secret (``whsec_...``) is, as is every
key the caller configured or passed, so a created key's secret never reaches a log either.
"""

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Optional

from buena_sdk._transport import HttpRequest, HttpResponse

logger = logging.getLogger("buena_sdk")

REDACTED = "[REDACTED]"
_SECRET_HEADERS = frozenset({"x-api-key", "authorization", "proxy-authorization", "cookie"})
_SECRET_SHAPES = re.compile(r"\b(?:bna|whsec)_[A-Za-z0-9_\-]+")
# Bodies are logged up to this many characters.
_BODY_LIMIT = 2000


def enabled() -> bool:
    return logger.isEnabledFor(logging.DEBUG)


def log_request(request: HttpRequest, secrets: Iterable[str]) -> None:
    known = [secret for secret in secrets if secret]
    logger.debug(
        "Request: %s %s headers=%s body=%s",
        request.method,
        redact(request.url, known),
        _headers(request.headers, known),
        _body(request.body, known),
    )


def log_response(
    request: HttpRequest,
    status: int,
    headers: Mapping[str, str],
    body: Optional[bytes],
    secrets: Iterable[str],
) -> None:
    known = [secret for secret in secrets if secret]
    logger.debug(
        "Response: %s %s -> %d headers=%s body=%s",
        request.method,
        redact(request.url, known),
        status,
        _headers(headers, known),
        "(not read)" if body is None else _body(body, known),
    )


def log_answer(request: HttpRequest, response: HttpResponse, secrets: Iterable[str]) -> None:
    """A response read to the end."""
    log_response(request, response.status, response.headers, response.body, secrets)


def log_head(
    request: HttpRequest, status: int, headers: Mapping[str, str], secrets: Iterable[str]
) -> None:
    """A response whose body is left to the caller (streamed, or returned unread)."""
    log_response(request, status, headers, None, secrets)


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return _SECRET_SHAPES.sub(REDACTED, text)


def _headers(headers: Mapping[str, str], secrets: list[str]) -> dict[str, str]:
    return {
        name: REDACTED if name.lower() in _SECRET_HEADERS else redact(value, secrets)
        for name, value in headers.items()
    }


def _body(body: Optional[bytes], secrets: list[str]) -> str:
    if not body:
        return "''"
    head = body[: _BODY_LIMIT * 4]
    try:
        decoded = head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 3:
            # Audio (a voice preview, an upload's samples): its size says all a log can.
            return f"<{len(body)} bytes, not text>"
        decoded = head[: error.start].decode("utf-8")  # a character cut at the end
    # Redacted before it is cut, so no secret is ever shown in part.
    text = redact(decoded, secrets)
    if len(text) > _BODY_LIMIT:
        text = text[:_BODY_LIMIT] + "..."
    return repr(text)
