"""The access log (one line per request, ours instead of uvicorn's) and the log formats.

Each line carries the request id, method, path with its query string redacted, route
template, status, latency and the id of the caller's API key: never a key, never a body.
``BUENA_LOG_FORMAT=json`` writes every log record, these lines included, as one JSON object
with the same fields; ``text`` (the default) as one line of text.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

import msgspec

from buena_server.auth.middleware import AUTH_OUTCOME_STATE_KEY
from buena_server.auth.principal import Principal
from buena_server.config import LogFormat
from buena_server.kit.request_id import request_id_of

LOGGER_NAME = "buena_server.access"
REDACTED = "REDACTED"
# Query parameters whose value is a credential: api_key, key, token, secret (any case, also
# as a suffix: access_token, x-api-key, client_secret), and passwords.
_SECRET_NAME = re.compile(r"(?:^|[_.-])(?:api_?key|key|token|secret|password)$", re.IGNORECASE)
# A Buena key wherever it appears (a path segment, a parameter of any name).
_BUENA_KEY = re.compile(r"bna_[0-9a-fA-F]{64}")
_FIELDS_ATTRIBUTE = "buena_fields"


def redact_query(query: str) -> str:
    """``limit=5&api_key=bna_...`` → ``limit=5&api_key=REDACTED``, everything else verbatim."""
    parts = query.split("&")
    for index, part in enumerate(parts):
        name, equals, _value = part.partition("=")
        if equals and _SECRET_NAME.search(unquote_plus(name)):
            parts[index] = f"{name}={REDACTED}"
    return redact_keys("&".join(parts))


def redact_keys(text: str) -> str:
    return _BUENA_KEY.sub(REDACTED, text) if "bna_" in text.lower() else text


def key_id_of(scope: dict[str, Any]) -> str | None:
    """The id of the key that authenticated the request, whichever path answered it."""
    outcome = scope.get("state", {}).get(AUTH_OUTCOME_STATE_KEY)  # the hot paths'
    if isinstance(outcome, Principal):
        return outcome.key_id
    user = scope.get("user")  # Litestar's authentication middleware
    return user.key_id if isinstance(user, Principal) else None


class AccessLog:
    def __init__(self) -> None:
        self.logger = logging.getLogger(LOGGER_NAME)

    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)

    def write(self, scope: dict[str, Any], route: str, status: int, seconds: float) -> None:
        raw_path = scope.get("raw_path")
        path = redact_keys(raw_path.decode("latin-1") if raw_path else scope["path"])
        query_bytes: bytes = scope.get("query_string", b"")
        query = redact_query(query_bytes.decode("latin-1")) if query_bytes else ""
        client = scope.get("client")
        fields = {
            "request_id": request_id_of(scope),
            "method": scope["method"],
            "route": route,
            "path": path,
            "query": query,
            "status": status,
            "latency_ms": round(seconds * 1000, 3),
            "key_id": key_id_of(scope),
            "client": client[0] if client else None,
            "http_version": scope.get("http_version", "1.1"),
        }
        target = f"{path}?{query}" if query else path
        self.logger.info(
            '%s - "%s %s HTTP/%s" %d %.2fms %s key=%s',
            f"{client[0]}:{client[1]}" if client else "-",
            fields["method"],
            target,
            fields["http_version"],
            status,
            fields["latency_ms"],
            fields["request_id"],
            fields["key_id"] or "-",
            extra={_FIELDS_ATTRIBUTE: fields},
        )


class JsonFormatter(logging.Formatter):
    """A record as one JSON object: time, level, logger, message, and the access log's fields."""

    _encoder = msgspec.json.Encoder()

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, _FIELDS_ATTRIBUTE, None)
        if fields:
            document.update(fields)
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return self._encoder.encode(document).decode()


TEXT_FORMAT = "%(levelname)s %(name)s: %(message)s"


def logging_config(log_format: LogFormat, *, access_log: bool) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for ``serve``: every record, uvicorn's included, through
    one handler in the chosen format; uvicorn's own access log off (this module writes it)."""
    formatter: dict[str, Any] = (
        {"()": JsonFormatter} if log_format is LogFormat.JSON else {"format": TEXT_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"buena": formatter},
        "handlers": {
            "buena": {
                "class": "logging.StreamHandler",
                "formatter": "buena",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["buena"], "level": "INFO"},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "WARNING"},
            LOGGER_NAME: {"level": "INFO" if access_log else "WARNING"},
        },
    }
