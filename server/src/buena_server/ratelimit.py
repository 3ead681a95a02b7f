"""Per-key rate limits with ``limits`` (in-memory storage here; Redis when configured).

Limits are checked shortest window first and the check stops at the first exhausted window,
so a refused request never uses up quota of a longer window. The X-RateLimit-* headers
describe the window closest to running out; they are attached by the app's ``before_send``
hook so that error responses (403, 404, 422, ...) carry them too.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.aio.storage import Storage
from limits.aio.strategies import (
    FixedWindowRateLimiter,
    MovingWindowRateLimiter,
    RateLimiter,
    SlidingWindowCounterRateLimiter,
)
from limits.storage import storage_from_string
from litestar.types import ASGIApp, Receive, Scope, Send

from buena_server.auth.principal import Principal
from buena_server.config import RateLimitStrategy
from buena_server.errors import RateLimitExceeded

HEADERS_STATE_KEY = "buena_rate_limit_headers"

_STRATEGIES: dict[RateLimitStrategy, type[RateLimiter]] = {
    RateLimitStrategy.FIXED_WINDOW: FixedWindowRateLimiter,
    RateLimitStrategy.MOVING_WINDOW: MovingWindowRateLimiter,
    RateLimitStrategy.SLIDING_WINDOW_COUNTER: SlidingWindowCounterRateLimiter,
}


def parse_rate_limits(value: str) -> list[RateLimitItem]:
    """``"60/minute;1000/hour"`` → items sorted by window length; ``"off"`` → []."""
    if value.strip().lower() == "off":
        return []
    try:
        items = parse_many(value)
    except ValueError as exc:
        raise ValueError(
            f"invalid rate limits {value!r}: use e.g. '60/minute;1000/hour;10000/day' or 'off'"
        ) from exc
    return sorted(items, key=lambda item: item.get_expiry())


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_at: float  # epoch seconds
    retry_after: int  # seconds, meaningful when refused

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset_at)),
        }


class KeyRateLimiter:
    def __init__(
        self, items: Sequence[RateLimitItem], storage: Storage, strategy: RateLimitStrategy
    ) -> None:
        self.items = list(items)
        self.storage = storage
        self.limiter = _STRATEGIES[strategy](storage)

    @classmethod
    def from_settings(
        cls, rate_limits: str, strategy: RateLimitStrategy, storage_uri: str = "async+memory://"
    ) -> KeyRateLimiter | None:
        items = parse_rate_limits(rate_limits)
        if not items:
            return None
        storage = storage_from_string(storage_uri)
        if not isinstance(storage, Storage):
            raise ValueError(f"{storage_uri!r} is not an asynchronous rate limit storage")
        return cls(items, storage, strategy)

    async def check(self, key_id: str) -> Decision:
        for item in self.items:
            if not await self.limiter.hit(item, "key", key_id):
                stats = await self.limiter.get_window_stats(item, "key", key_id)
                return Decision(
                    allowed=False,
                    limit=item.amount,
                    remaining=0,
                    reset_at=stats.reset_time,
                    retry_after=max(1, math.ceil(stats.reset_time - time.time())),
                )
        closest: Decision | None = None
        for item in self.items:
            stats = await self.limiter.get_window_stats(item, "key", key_id)
            if closest is None or stats.remaining < closest.remaining:
                closest = Decision(True, item.amount, stats.remaining, stats.reset_time, 0)
        assert closest is not None
        return closest


class RateLimitMiddleware:
    """ASGI middleware placed after authentication; a no-op when limits are off."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limiter: KeyRateLimiter | None = scope["litestar_app"].state.rate_limiter
        principal = scope.get("auth")
        if limiter is not None and isinstance(principal, Principal):
            decision = await limiter.check(principal.key_id)
            headers = decision.headers()
            scope.setdefault("state", {})[HEADERS_STATE_KEY] = headers
            if not decision.allowed:
                raise RateLimitExceeded(
                    f"Rate limit of {decision.limit} requests exceeded; "
                    f"retry in {decision.retry_after} seconds",
                    details={"limit": decision.limit, "retry_after": decision.retry_after},
                    headers={**headers, "Retry-After": str(decision.retry_after)},
                )
        await self.app(scope, receive, send)
