"""CORS: which browser pages may call the API (``BUENA_CORS_ORIGINS``), and the headers that
tell the browser so.

The origins, methods and headers are a Litestar ``CORSConfig`` (its origin matching, wildcards
included, and its header values); the headers are computed once per request by the front door
(front.py) and sent by ``http_hooks.common_headers`` with every other common header, so
the hot paths' answers carry them exactly as Litestar's do. Litestar's own CORS middleware is
not used: it sits inside Litestar, behind the hot paths, and refuses a preflight with a
text/plain 400 instead of simply not allowing it (docs/design.md, "CORS").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from litestar.config.cors import CORSConfig

CORS_STATE_KEY = "buena_cors_headers"

ALLOWED_METHODS = ("GET", "HEAD", "POST", "PATCH", "DELETE", "OPTIONS")
# Content-Type (and Accept, Accept-Language, Content-Language) are always allowed by CORSConfig.
ALLOWED_REQUEST_HEADERS = ("x-api-key", "authorization", "idempotency-key", "x-request-id")
EXPOSED_RESPONSE_HEADERS = (
    "X-Request-ID",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
    "Idempotent-Replayed",
)
PREFLIGHT_MAX_AGE_SECONDS = 600

# scheme://host[:port], where '*' may stand for any part of the host (CORSConfig's wildcards).
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9*.\-\[\]:]+$")


def parse_origins(value: str) -> list[str]:
    """``"https://a.example, https://b.example"`` → the list; ValueError for a malformed one."""
    origins = [origin.strip() for origin in value.split(",") if origin.strip()]
    for origin in origins:
        if origin != "*" and not _ORIGIN.match(origin):
            raise ValueError(
                f"BUENA_CORS_ORIGINS: {origin!r} is not an origin: write scheme://host[:port] "
                "(no path, no trailing slash), or * for any"
            )
    return origins


def _raw(headers: dict[str, str], *leave_out: str) -> list[tuple[bytes, bytes]]:
    return [
        (name.lower().encode(), value.encode())
        for name, value in headers.items()
        if name not in leave_out
    ]


class CorsPolicy:
    def __init__(self, origins: Sequence[str]) -> None:
        self.config = CORSConfig(
            allow_origins=list(origins),
            allow_methods=list(ALLOWED_METHODS),  # type: ignore[arg-type]
            allow_headers=list(ALLOWED_REQUEST_HEADERS),
            expose_headers=list(EXPOSED_RESPONSE_HEADERS),
            max_age=PREFLIGHT_MAX_AGE_SECONDS,
        )
        any_origin = self.config.is_allow_all_origins
        # The answer depends on the request's Origin unless every origin gets the same one.
        self._vary = [] if any_origin else [(b"vary", b"Origin")]
        self._any_origin = any_origin
        origin_headers = ("Access-Control-Allow-Origin", "Vary")
        self._preflight = _raw(self.config.preflight_headers, *origin_headers)
        self._simple = _raw(self.config.simple_headers, *origin_headers)

    def headers(self, scope: dict[str, Any]) -> list[tuple[bytes, bytes]]:
        """The CORS headers of the answer to this request: none without an Origin, only
        ``Vary`` for an origin that is not allowed."""
        origin: bytes | None = None
        preflight = False
        for name, value in scope["headers"]:
            if name == b"origin":
                origin = value
            elif name == b"access-control-request-method":
                preflight = scope["method"] == "OPTIONS"
        if origin is None:
            return []
        if not self.config.is_origin_allowed(origin.decode("latin-1")):
            return self._vary
        allow = [(b"access-control-allow-origin", b"*" if self._any_origin else origin)]
        return [*self._vary, *allow, *(self._preflight if preflight else self._simple)]


def cors_policy(origins: str) -> CorsPolicy | None:
    """The policy of ``BUENA_CORS_ORIGINS``; None (no CORS headers at all) when it is empty."""
    parsed = parse_origins(origins)
    return CorsPolicy(parsed) if parsed else None
