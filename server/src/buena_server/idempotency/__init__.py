"""Idempotency-Key: a repeated write answered once (see model.py for the rules)."""

from buena_server.idempotency.layer import (
    Idempotency,
    IdempotencyMiddleware,
    keep_answer_before_commit,
    keep_rendered_answer,
)
from buena_server.idempotency.model import HEADER, Claim, StoredResponse
from buena_server.idempotency.store import DatabaseStore, IdempotencyStore

__all__ = [
    "HEADER",
    "Claim",
    "DatabaseStore",
    "Idempotency",
    "IdempotencyMiddleware",
    "IdempotencyStore",
    "StoredResponse",
    "keep_answer_before_commit",
    "keep_rendered_answer",
]
