"""Per-key rate limits with ``limits``: in process memory, or in Redis when configured so
that every server process shares them.

Limits are checked shortest window first and the check stops at the first exhausted window,
so a refused request never uses up quota of a longer window. The X-RateLimit-* headers
describe the window closest to running out; they are attached by the app's ``before_send``
hook so that error responses (403, 404, 422, ...) carry them too.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from limits import RateLimitItem, WindowStats, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import (
    FixedWindowRateLimiter,
    MovingWindowRateLimiter,
    RateLimiter,
    SlidingWindowCounterRateLimiter,
)
from limits.errors import StorageError
from litestar.types import ASGIApp, Receive, Scope, Send
from redis.asyncio import ConnectionPool

from buena_server.auth.principal import Principal
from buena_server.config import RateLimitStrategy
from buena_server.errors import RateLimitExceeded

HEADERS_STATE_KEY = "buena_rate_limit_headers"
logger = logging.getLogger("buena_server.ratelimit")

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
    """The configured limits applied per API key on one storage."""

    def __init__(
        self, items: Sequence[RateLimitItem], storage: Storage, strategy: RateLimitStrategy
    ) -> None:
        self.items = list(items)
        self.storage = storage
        self.limiter = _STRATEGIES[strategy](storage)

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
        for item, stats in await self.window_stats(key_id):
            if closest is None or stats.remaining < closest.remaining:
                closest = Decision(True, item.amount, stats.remaining, stats.reset_time, 0)
        assert closest is not None
        return closest

    async def window_stats(self, key_id: str) -> list[tuple[RateLimitItem, WindowStats]]:
        return [
            (item, await self.limiter.get_window_stats(item, "key", key_id)) for item in self.items
        ]


class RateLimitService:
    """Limits shared through Redis when configured, with a per-process fallback.

    When Redis fails, requests are limited by this process's memory instead of failing or
    going unlimited, and Redis is tried again after ``retry_seconds`` (or as soon as a
    health check finds it back), so the server recovers on its own.
    """

    def __init__(
        self,
        items: Sequence[RateLimitItem],
        strategy: RateLimitStrategy,
        redis_pool: ConnectionPool | None = None,
        key_prefix: str = "buena",
        retry_seconds: float = 5.0,
    ) -> None:
        self.local = KeyRateLimiter(items, MemoryStorage(), strategy)
        self.shared: KeyRateLimiter | None = None
        if redis_pool is not None:
            storage = RedisStorage(
                "async+redis://",
                implementation="redispy",
                wrap_exceptions=True,
                key_prefix=f"{key_prefix}:ratelimit",
                # limits types its options as scalars; a pool is what it passes on to redis-py.
                connection_pool=redis_pool,  # type: ignore[arg-type]
            )
            self.shared = KeyRateLimiter(items, storage, strategy)
        self.retry_seconds = retry_seconds
        self._shared_down_until = 0.0

    @property
    def items(self) -> list[RateLimitItem]:
        return self.local.items

    @property
    def active(self) -> KeyRateLimiter:
        """The limiter requests use right now."""
        if self.shared is not None and time.monotonic() >= self._shared_down_until:
            return self.shared
        return self.local

    def shared_is_back(self) -> None:
        self._shared_down_until = 0.0

    async def check(self, key_id: str) -> Decision:
        limiter = self.active
        if limiter is self.local:
            return await self.local.check(key_id)
        try:
            return await limiter.check(key_id)
        except StorageError as exc:
            if self._shared_down_until == 0.0:
                logger.warning("Redis unavailable, limiting per process meanwhile: %s", exc)
            self._shared_down_until = time.monotonic() + self.retry_seconds
            return await self.local.check(key_id)


class RateLimitMiddleware:
    """ASGI middleware placed after authentication; a no-op when limits are off."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limiter: RateLimitService | None = scope["litestar_app"].state.rate_limiter
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
