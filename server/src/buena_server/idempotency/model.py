"""What an Idempotency-Key means, independent of where it is kept.

The rules (after Stripe's): a key belongs to an account; the first request that presents it
*claims* it for a short lease, runs, and its answer is kept for ``ttl`` seconds; a later
request with the same key gets that answer again, marked ``Idempotent-Replayed: true``, if
it is the same request (method, path and query, body), and 422 otherwise; while the first
is still running, 409. A claim whose lease ran out without an answer (its process died) no
longer holds the key. Answers that say the request never ran (401, 403, 429) or that it may
run if tried again (5xx) are not kept: the claim is released and the key can be used again.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass

import msgspec

from buena_server.errors import (
    IdempotencyKeyInUse,
    IdempotencyKeyMismatch,
    InvalidIdempotencyKey,
)

HEADER = "idempotency-key"
REPLAYED_HEADER = "idempotent-replayed"
METHODS = frozenset({"POST", "PATCH", "DELETE"})
# Route ``opt`` that turns the header off for a route whose answer must not be stored (it
# carries a secret shown once, such as a new API key) or is not worth storing (a voice
# preview: audio that changes nothing, cached by its own key): ``opt=NO_KEPT_ANSWERS``.
OPT = "idempotency"
NO_KEPT_ANSWERS = {OPT: False}
MAX_KEY_LENGTH = 255
# Visible ASCII: keys end up in Redis keys and log lines.
_KEY = re.compile(r"[\x21-\x7e]{1,255}")
# Refused before the request ran: nothing to remember, the same key may be tried again.
_NOT_RUN = frozenset({401, 403, 429})
# Headers that belong to one answer and not to the result: a replay gets its own.
_PER_ANSWER_HEADERS = frozenset(
    {
        "content-length",
        "date",
        "server",
        "x-request-id",
        "retry-after",
        REPLAYED_HEADER,
    }
)


class StoredResponse(msgspec.Struct, frozen=True):
    """The answer kept for a key: status, the headers that describe the result, body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


class Claim(msgspec.Struct, frozen=True):
    """A key this request holds while it runs; ``token`` tells its holder apart from a
    later one that took the key over after the lease ran out. (A Struct: a frozen
    dataclass sets each field through ``object.__setattr__``, three times the cost.)"""

    account_id: str
    key: str
    fingerprint: str
    token: str


@dataclass(frozen=True, slots=True)
class Held:
    """What a store found under a key another request claimed first."""

    fingerprint: str
    response: StoredResponse | None  # None while that request still runs


def is_valid_key(value: str) -> bool:
    return _KEY.fullmatch(value) is not None


def check_key(value: str) -> str:
    """The key, or InvalidIdempotencyKey (400) for an empty, over-long or unprintable one."""
    if not _KEY.fullmatch(value):
        raise InvalidIdempotencyKey(
            f"The Idempotency-Key header must be 1 to {MAX_KEY_LENGTH} visible ASCII characters",
            details={"max_length": MAX_KEY_LENGTH, "length": len(value)},
        )
    return value


def fingerprint(method: str, path: str, query_string: bytes, body: bytes) -> str:
    """What makes two requests "the same request" for a key: the SHA-256 of
    ``"<method> <path>?<query>\n<the body's SHA-256>"`` in UTF-8, the query read as latin-1."""
    if not query_string.isascii():  # as its latin-1 characters in UTF-8
        query_string = query_string.decode("latin-1").encode()
    target = b"%b %b?%b\n%b" % (
        method.encode(),
        path.encode(),
        query_string,
        hashlib.sha256(body).hexdigest().encode(),
    )
    return hashlib.sha256(target).hexdigest()


def new_claim(account_id: str, key: str, request_fingerprint: str) -> Claim:
    # Not a secret, only unique among the claims of one key: the fast generator (as for
    # request ids), without a system call.
    return Claim(account_id, key, request_fingerprint, f"{random.getrandbits(128):032x}")


def replay_or_refuse(held: Held, request_fingerprint: str) -> StoredResponse:
    """The answer to replay for a key another request holds, or the error to answer."""
    if held.fingerprint != request_fingerprint:
        raise key_mismatch()
    if held.response is None:
        raise key_in_use()
    return held.response


def is_kept(status: int) -> bool:
    """Whether an answer is remembered for its key (see the module docstring)."""
    return status < 500 and status not in _NOT_RUN


def kept_headers(
    headers: list[tuple[bytes, bytes]] | list[tuple[str, str]],
) -> list[tuple[str, str]]:
    """The headers of an answer worth replaying (content type, location...)."""
    kept: list[tuple[str, str]] = []
    for name, value in headers:
        text_name = name.decode("latin-1") if isinstance(name, bytes) else name
        text_name = text_name.lower()
        if text_name in _PER_ANSWER_HEADERS or text_name.startswith("x-ratelimit-"):
            continue
        kept.append((text_name, value.decode("latin-1") if isinstance(value, bytes) else value))
    return kept


__all__ = [
    "HEADER",
    "MAX_KEY_LENGTH",
    "METHODS",
    "NO_KEPT_ANSWERS",
    "OPT",
    "REPLAYED_HEADER",
    "Claim",
    "Held",
    "StoredResponse",
    "check_key",
    "fingerprint",
    "is_kept",
    "is_valid_key",
    "kept_headers",
    "new_claim",
    "replay_or_refuse",
]


def key_mismatch() -> IdempotencyKeyMismatch:
    return IdempotencyKeyMismatch(
        "This Idempotency-Key was used with a different request (method, path or body); "
        "use a new key for a new request",
        details={"reason": "fingerprint_mismatch"},
    )


def key_in_use() -> IdempotencyKeyInUse:
    return IdempotencyKeyInUse(
        "A request with this Idempotency-Key is still being processed; retry shortly",
        headers={"Retry-After": "1"},
    )
