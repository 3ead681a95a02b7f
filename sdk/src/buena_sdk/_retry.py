"""When to retry a request and how long to wait first.

Pure functions only (no I/O, no sleeping): the sync and async request loops in
``api_client`` both ask these for a decision, so the two can never disagree.
"""

import email.utils
import functools
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Optional

# Statuses that mean "this attempt failed, another may not": request timeout, rate limited
# and the transient server errors. 501 and 505 are permanent, so they are left out.
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

# Methods whose repetition leaves the server as one call would. PATCH is here because this
# API's PATCH sets fields and merges custom_fields key by key, which is idempotent too.
# DELETE is idempotent for the server's state, but a retry after a lost response answers 404.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})

# A non-idempotent request (POST) without an Idempotency-Key is only retried when the server
# certainly did not act on it: 429 is answered before the handler runs. A 5xx may come after
# the lead was created.
SAFE_STATUSES_FOR_NON_IDEMPOTENT = frozenset({429})

# A request carrying an Idempotency-Key may be repeated whatever its method: the server
# answers a repeat with the first answer (``Idempotent-Replayed: true``) instead of acting
# twice, and answers 409 with this code while the first attempt is still running.
IDEMPOTENCY_KEY_IN_USE = "IDEMPOTENCY_KEY_IN_USE"


@dataclass(frozen=True)
class RetryPolicy:
    """How many retries, and the bounds of the waits between them."""

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    # A server asking for a longer pause than this is not retried: the caller gets the error
    # (with ``retry_after``) at once instead of a silent minute-long stall.
    max_retry_after: float = 60.0

    def delay_after_response(
        self,
        method: str,
        status: int,
        headers: Mapping[str, str],
        retries_taken: int,
        *,
        now: Optional[datetime] = None,
        rand: Callable[[], float] = random.random,
        idempotency_key: bool = False,
        error_code: Optional[str] = None,
    ) -> Optional[float]:
        """Seconds to wait before retrying after an HTTP error response, or None to give up.

        ``idempotency_key``: the request carries one; ``error_code``: the ``code`` of the
        error body, when there is one."""
        if retries_taken >= self.max_retries:
            return None
        in_use = idempotency_key and status == 409 and error_code == IDEMPOTENCY_KEY_IN_USE
        if status not in RETRYABLE_STATUSES and not in_use:
            return None
        repeatable = _is_idempotent(method) or idempotency_key
        if not repeatable and status not in SAFE_STATUSES_FOR_NON_IDEMPOTENT:
            return None
        retry_after = parse_retry_after(headers.get("Retry-After"), now=now)
        if retry_after is not None:
            return retry_after if retry_after <= self.max_retry_after else None
        return self.backoff(retries_taken, rand=rand)

    def delay_after_connection_error(
        self,
        method: str,
        request_sent: bool,
        retries_taken: int,
        *,
        rand: Callable[[], float] = random.random,
        idempotency_key: bool = False,
    ) -> Optional[float]:
        """Seconds to wait before retrying after a failure with no response, or None.

        ``request_sent`` is False only when the failure happened before any byte of the
        request left (connection refused, DNS failure, connect timeout); then any method is
        safe to repeat. Otherwise only idempotent methods are, and requests that carry an
        Idempotency-Key (``idempotency_key``).
        """
        if retries_taken >= self.max_retries:
            return None
        if request_sent and not (_is_idempotent(method) or idempotency_key):
            return None
        return self.backoff(retries_taken, rand=rand)

    def backoff(self, retries_taken: int, *, rand: Callable[[], float] = random.random) -> float:
        """Exponential backoff (0.5 s, 1 s, 2 s, ... capped) with up to 25 % jitter off.

        The jitter spreads out clients that failed together so they do not retry in step.
        """
        delay = min(self.initial_delay * (2.0**retries_taken), self.max_delay)
        return delay * (1.0 - 0.25 * rand())


def parse_retry_after(value: Optional[str], *, now: Optional[datetime] = None) -> Optional[float]:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date).

    Returns None for a missing or unparseable header, and 0 for a date in the past.
    """
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        # float() also accepts "nan" and "inf", neither of which is a usable wait.
        if seconds != seconds or seconds in (float("inf"), float("-inf")):
            return None
        return max(seconds, 0.0)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        # RFC 9110 dates are always GMT; a zone-less parse means GMT too.
        when = when.replace(tzinfo=timezone.utc)
    current = now if now is not None else datetime.now(timezone.utc)
    return max((when - current).total_seconds(), 0.0)


def error_code_of(body: bytes) -> Optional[str]:
    """The ``code`` of an error body, or None when the body is not one."""
    try:
        value = json.loads(body)
    except ValueError:
        return None
    code = value.get("code") if isinstance(value, dict) else None
    return code if isinstance(code, str) else None


def _is_idempotent(method: str) -> bool:
    return method.upper() in IDEMPOTENT_METHODS


@functools.lru_cache(maxsize=16)
def shared_policy(max_retries: int) -> RetryPolicy:
    """The policy for ``max_retries``: immutable, so every call with it shares one."""
    return RetryPolicy(max_retries=max_retries)
