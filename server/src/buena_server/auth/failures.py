"""Failed authentications limited per client address (``BUENA_AUTH_FAILURE_LIMIT``).

Every failed attempt (no key, a malformed, unknown, revoked or expired one) counts against
the address it came from, in a moving window kept by ``limits`` (in Redis when configured,
so every process shares it; else in this process). Past the limit an attempt is answered
429 with ``Retry-After``, and a key this process has not verified lately is refused before
its database lookup: guessing keys costs neither answers nor queries.

Only failures are limited. A key this process verified within ``remember_seconds`` is looked
up as usual, so a valid client sharing an address (a NAT, an office) with someone failing
keeps working; a valid key this process has not seen lately waits out the window like a
guess, since telling it apart would take the lookup the limit exists to save.

The address is the ASGI ``client``: the peer, or what ``X-Forwarded-For`` says when the peer
is one of ``BUENA_TRUSTED_PROXIES`` (uvicorn rewrites it, see cli.py), the same address the
access log shows.
"""

from __future__ import annotations

import time
from typing import Any

from redis.asyncio import ConnectionPool

from buena_server.config import Settings
from buena_server.errors import RateLimitExceeded
from buena_server.kit.ratelimit import Decision, RateLimitService
from buena_server.kit.ratelimit_rules import RateLimitStrategy, parse_rate_limits


def client_address(scope: dict[str, Any] | Any) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class AuthFailureGuard:
    def __init__(
        self,
        limiter: RateLimitService,
        *,
        remember_seconds: float = 3600.0,
        max_remembered: int = 10_000,
    ) -> None:
        self.limiter = limiter
        self.remember_seconds = remember_seconds
        self.max_remembered = max_remembered
        # digest -> when (monotonic) this process last found the key usable
        self._verified: dict[str, float] = {}

    def verified(self, digest: str) -> bool:
        when = self._verified.get(digest)
        return when is not None and time.monotonic() - when <= self.remember_seconds

    def remember(self, digest: str) -> None:
        self._verified.pop(digest, None)
        if len(self._verified) >= self.max_remembered:
            del self._verified[next(iter(self._verified))]  # the oldest
        self._verified[digest] = time.monotonic()

    def forget(self, digest: str) -> None:
        self._verified.pop(digest, None)

    async def refuse_if_over(self, scope: dict[str, Any] | Any) -> None:
        """Raise the 429 when the request's address has used up its failures."""
        decision = await self.limiter.exhausted(client_address(scope))
        if decision is not None:
            raise _refusal(decision)

    async def count(self, scope: dict[str, Any] | Any) -> None:
        """Count a failed attempt; raise the 429 when it is one too many."""
        decision = await self.limiter.check(client_address(scope))
        if not decision.allowed:
            raise _refusal(decision)


def _refusal(decision: Decision) -> RateLimitExceeded:
    return RateLimitExceeded(
        f"Too many failed authentication attempts from this address (limit "
        f"{decision.limit}); retry in {decision.retry_after} seconds",
        details={
            "reason": "authentication_failures",
            "limit": decision.limit,
            "retry_after": decision.retry_after,
        },
        headers={"Retry-After": str(decision.retry_after)},
    )


def auth_failure_guard(
    settings: Settings, redis_pool: ConnectionPool | None
) -> AuthFailureGuard | None:
    items = parse_rate_limits(settings.auth_failure_limit)
    if not items:
        return None
    limiter = RateLimitService(
        items,
        RateLimitStrategy.MOVING_WINDOW,
        redis_pool,
        key_prefix=f"{settings.redis_key_prefix}:authfail",
    )
    return AuthFailureGuard(limiter)
