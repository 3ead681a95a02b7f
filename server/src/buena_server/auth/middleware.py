"""Authentication and rate limiting: the API key from ``x-api-key`` (or ``Authorization:
Bearer``) to a Principal, then the key's rate limits.

They are one step because the rate limiter's Redis round trip also reads the key's version,
which decides whether the key this process remembers is still current (auth/cache.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import ASGIApp, Scope

from buena_server.auth.cache import KeyCache
from buena_server.auth.failures import AuthFailureGuard
from buena_server.auth.principal import Principal
from buena_server.auth.tokens import is_well_formed_key, key_digest
from buena_server.auth.usage import KeyUsageTracker
from buena_server.errors import RateLimitExceeded, Unauthorized
from buena_server.keys.repository import ApiKeyRecord, ApiKeyRepository
from buena_server.kit.clock import utcnow
from buena_server.kit.driver import Database
from buena_server.kit.ratelimit import DECISION_STATE_KEY, RateLimitService

EXCLUDE_OPT_KEY = "exclude_from_auth"
# What a request has been found to be before the Litestar app sees it: the caller (a
# Principal), or the exception that ends it (a refused key, a database outage, a server
# still starting), which the middleware raises for the app's one exception handler.
AUTH_OUTCOME_STATE_KEY = "buena_auth_outcome"


def end_with(scope: Scope | dict[str, Any], exc: Exception) -> None:
    """Have the Litestar app answer this request with ``exc`` (through its one exception
    handler), before anything else of the request runs."""
    scope.setdefault("state", {})[AUTH_OUTCOME_STATE_KEY] = exc


def presented_key(header: Callable[[str], str | None]) -> str | None:
    """The key from ``x-api-key``, else from ``Authorization: Bearer``; ``header(name)`` reads
    one request header."""
    key = header("x-api-key")
    if key:
        return key.strip()
    authorization = header("authorization") or ""
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


async def _load(database: Database, digest: str) -> ApiKeyRecord:
    async with database.transaction(write=False) as conn:
        record = await ApiKeyRepository(conn).find_by_digest(digest)
    if record is None:
        raise invalid_key()
    return record


def _check_usable(record: ApiKeyRecord) -> None:
    if not record.is_active:
        raise Unauthorized("This API key has been revoked", details={"reason": "revoked"})
    if record.expires_at is not None and record.expires_at <= utcnow():
        raise Unauthorized("This API key has expired", details={"reason": "expired"})


def _check_loaded(record: ApiKeyRecord, digest: str, failures: AuthFailureGuard | None) -> None:
    """``_check_usable`` for a key just read from the database: the failure guard learns
    whether it is one to let through while its address is over the limit."""
    if failures is None:
        _check_usable(record)
        return
    try:
        _check_usable(record)
    except Unauthorized:
        failures.forget(digest)
        raise
    failures.remember(digest)


@dataclass(frozen=True, slots=True)
class AuthServices:
    """What authenticating a request uses, gathered once (``Services.auth``): each
    attribute read from Litestar's State is a failed lookup and then a Python call, and
    reading four of them cost ~4% of a cached read on SQLite."""

    database: Database
    key_cache: KeyCache
    rate_limiter: RateLimitService | None
    key_usage: KeyUsageTracker
    failures: AuthFailureGuard | None = None


async def authenticate(
    services: AuthServices, scope: Scope | dict[str, Any], key: str | None
) -> Principal:
    """The caller of a request, after its key's rate limits; raises Unauthorized or
    RateLimitExceeded. The rate-limit decision (for the X-RateLimit-* headers) goes into the
    scope's state either way. Failures count against the client's address (auth/failures.py),
    and past their limit are answered 429 instead of 401."""
    failures = services.failures
    try:
        if key is None:
            raise Unauthorized(
                "Missing API key: send it in the x-api-key header", details={"reason": "missing"}
            )
        # Refused on its form alone: a malformed key costs no database lookup.
        if not is_well_formed_key(key):
            raise invalid_key()

        cache = services.key_cache
        database = services.database
        digest = key_digest(key)
        # Read before the key itself, so that an entry is never newer than its version.
        marker = database.change_marker()
        local_version = None if marker is None else f"db:{marker}"
        cached = cache.get(digest)
        if cached is None:
            if failures is not None and not failures.verified(digest):
                await failures.refuse_if_over(scope)
            entry = cache.put(digest, await _load(database, digest), local_version)
            _check_loaded(entry.record, digest, failures)
        else:
            entry = cached
            _check_usable(entry.record)

        limiter = services.rate_limiter
        decision = await limiter.check(entry.record.id) if limiter is not None else None
        if cached is not None:
            # SQLite says itself whether anything changed; otherwise the Redis script tells.
            current = local_version or (decision.key_version if decision is not None else None)
            if current is None or current != cached.version:
                entry = cache.put(digest, await _load(database, digest), current)
                _check_loaded(entry.record, digest, failures)
    except Unauthorized:
        if failures is not None:
            await failures.count(scope)
        raise

    if decision is not None:
        scope.setdefault("state", {})[DECISION_STATE_KEY] = decision
        if not decision.allowed:
            raise RateLimitExceeded(
                f"Rate limit of {decision.limit} requests exceeded; "
                f"retry in {decision.retry_after} seconds",
                details={"limit": decision.limit, "retry_after": decision.retry_after},
                # The X-RateLimit-* headers come with every answer (http_hooks.common_headers).
                headers={"Retry-After": str(decision.retry_after)},
            )

    services.key_usage.touch(entry.record.id, utcnow())
    return entry.principal


class ApiKeyAuthenticationMiddleware(AbstractAuthenticationMiddleware):
    """Given the app's ``AuthServices`` by ``create_app`` (``services.SharedMiddleware``)."""

    def __init__(self, app: ASGIApp, *, auth: AuthServices, exclude_from_auth_key: str) -> None:
        super().__init__(app, exclude_from_auth_key=exclude_from_auth_key)
        self.auth = auth

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        # A request the hot paths handed over has been authenticated (and counted) already,
        # or has met the exception that answers it (``end_with``).
        outcome = connection.scope.get("state", {}).get(AUTH_OUTCOME_STATE_KEY)
        if isinstance(outcome, Exception):
            raise outcome
        if not isinstance(outcome, Principal):
            key = presented_key(connection.headers.get)
            outcome = await authenticate(self.auth, connection.scope, key)
        return AuthenticationResult(user=outcome, auth=outcome)


def invalid_key() -> Unauthorized:
    """The answer to a key that names no key (unknown, malformed or wrongly signed)."""
    return Unauthorized("Invalid API key", details={"reason": "invalid"})
