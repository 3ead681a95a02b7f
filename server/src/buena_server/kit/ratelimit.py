"""Per-key rate limits with ``limits``: in process memory, or in Redis when configured so
that every server process shares them.

Limits are checked shortest window first and the check stops at the first exhausted window,
so a refused request never uses up quota of a longer window. The X-RateLimit-* headers
describe the window closest to running out; they are attached to every answer by the front door
(``http_hooks.finish_head``) so that error responses (403, 404, 422, ...) carry them too.

Fixed windows in Redis (the default strategy) run as one Lua script per request: every
window's count and expiry, and the key's version (see auth/cache.py), in one round trip
instead of two or three per window through ``limits``. The other strategies, and the
per-process fallback, use ``limits``.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from limits import RateLimitItem, WindowStats
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import (
    FixedWindowRateLimiter,
    MovingWindowRateLimiter,
    RateLimiter,
    SlidingWindowCounterRateLimiter,
)
from limits.errors import StorageError
from redis.asyncio import ConnectionPool, Redis
from redis.exceptions import RedisError

from buena_server.auth.cache import version_key
from buena_server.kit.ratelimit_rules import RateLimitStrategy
from buena_server.kit.redis_script import Call, ReplyError, ScriptClient

# Where a request's rate-limit Decision is kept (scope state), for its response headers.
DECISION_STATE_KEY = "buena_rate_limit_decision"
logger = logging.getLogger("buena_server.kit.ratelimit")

_STRATEGIES: dict[RateLimitStrategy, type[RateLimiter]] = {
    RateLimitStrategy.FIXED_WINDOW: FixedWindowRateLimiter,
    RateLimitStrategy.MOVING_WINDOW: MovingWindowRateLimiter,
    RateLimitStrategy.SLIDING_WINDOW_COUNTER: SlidingWindowCounterRateLimiter,
}


class Decision(NamedTuple):
    """One request's verdict (a NamedTuple: built on every request, 5x cheaper than a frozen
    dataclass)."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: float  # epoch seconds
    retry_after: int  # seconds, meaningful when refused
    # The key's version in Redis, read in the same round trip (None: not read).
    key_version: str | None = None

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """The same headers as ASGI sends them (lower-case names, bytes)."""
        limit, remaining, reset = _RAW_HEADER_NAMES
        return [
            (limit, b"%d" % self.limit),
            (remaining, b"%d" % self.remaining),
            (reset, b"%d" % math.ceil(self.reset_at)),
        ]


_HEADER_NAMES = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
_RAW_HEADER_NAMES = tuple(name.lower().encode() for name in _HEADER_NAMES)


def _fixed_window_decision(
    counted: Iterable[tuple[int, int, float]], now: float, key_version: str | None = None
) -> Decision:
    """The decision from each window's (limit, count, end), shortest window first: refused at
    the first window over its limit (``counted`` is not read further, so a lazy one stops
    counting there), else allowed with the window closest to running out."""
    closest: Decision | None = None
    for amount, count, reset_at in counted:
        if count > amount:
            retry_after = max(1, math.ceil(reset_at - now))
            return Decision(False, amount, 0, reset_at, retry_after, key_version)
        if closest is None or amount - count < closest.remaining:
            closest = Decision(True, amount, amount - count, reset_at, 0, key_version)
    assert closest is not None
    return closest


class MemoryFixedWindows:
    """Fixed windows in this process's memory: what ``limits``' fixed-window strategy on its
    MemoryStorage does (a window starts at its first hit), without its async storage layer
    and string keys, which cost more than the rest of a cached request on SQLite."""

    def __init__(self, items: Sequence[RateLimitItem]) -> None:
        self.items = list(items)
        self._windows = [(item.amount, float(item.get_expiry())) for item in self.items]
        # key id -> per item [count, window end (epoch seconds)]
        self._counters: dict[str, list[list[float]]] = {}

    async def check(self, key_id: str) -> Decision:
        now = time.time()
        counters = self._counters.get(key_id)
        if counters is None:
            counters = self._counters[key_id] = [[0, 0.0] for _ in self._windows]

        counted = []
        for (amount, length), counter in zip(self._windows, counters, strict=True):
            if counter[1] <= now:
                counter[0], counter[1] = 0, now + length
            counter[0] += 1
            counted.append((amount, int(counter[0]), counter[1]))
            if counter[0] > amount:
                break  # refused here: longer windows are not counted
        return _fixed_window_decision(counted, now)

    async def window_stats(self, key_id: str) -> list[tuple[RateLimitItem, WindowStats]]:
        now = time.time()
        counters = self._counters.get(key_id) or [[0, 0.0] for _ in self._windows]
        stats = []
        for item, (count, end) in zip(self.items, counters, strict=True):
            live = end > now
            stats.append(
                (
                    item,
                    WindowStats(
                        end if live else now, max(0, item.amount - (int(count) if live else 0))
                    ),
                )
            )
        return stats


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


# KEYS: one counter per window, shortest first, then the key's version.
# ARGV: per window its limit and its length in milliseconds.
# Returns the version, then count and milliseconds left of each window counted; counting
# stops after the first window the request exceeds (as KeyRateLimiter.check does).
FIXED_WINDOWS_SCRIPT = """
local out = {redis.call('GET', KEYS[#KEYS]) or ''}
for i = 1, #KEYS - 1 do
  local limit = tonumber(ARGV[2 * i - 1])
  local count = redis.call('INCR', KEYS[i])
  if count == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[2 * i]) end
  out[#out + 1] = count
  out[#out + 1] = redis.call('PTTL', KEYS[i])
  if count > limit then break end
end
return out
"""


class RedisFixedWindows:
    """Fixed windows kept in Redis, all of a request's in one script (one round trip)."""

    def __init__(
        self,
        items: Sequence[RateLimitItem],
        pool: ConnectionPool,
        prefix: str,
        script: ScriptClient,
    ) -> None:
        self.items = list(items)
        self.prefix = prefix
        self.redis = Redis(connection_pool=pool)  # for window_stats only
        self.script = script
        self._args = [
            value for item in self.items for value in (item.amount, item.get_expiry() * 1000)
        ]
        # The script call of each key, packed once (bounded: emptied when it fills up).
        self._calls: dict[str, Call] = {}

    def _counters(self, key_id: str) -> list[str]:
        return [
            f"{self.prefix}:ratelimit:{{{key_id}}}:{item.amount}/{item.multiples}"
            f"{item.GRANULARITY.name}"
            for item in self.items
        ]

    def _call(self, key_id: str) -> Call:
        call = self._calls.get(key_id)
        if call is None:
            if len(self._calls) >= 10_000:
                self._calls.clear()
            keys = [*self._counters(key_id), version_key(self.prefix, key_id)]
            call = self._calls[key_id] = self.script.call(keys, self._args)
        return call

    async def check(self, key_id: str) -> Decision:
        try:
            reply = await self.script.send(self._call(key_id))
        except (RedisError, ReplyError, OSError) as exc:
            raise StorageError(exc) from exc
        now = time.time()
        version = reply[0].decode() if isinstance(reply[0], bytes) else str(reply[0])
        counted = zip(reply[1::2], reply[2::2], strict=True)
        return _fixed_window_decision(
            (
                (item.amount, int(count), now + max(int(ttl_ms), 0) / 1000)
                for item, (count, ttl_ms) in zip(self.items, counted, strict=False)
            ),
            now,
            version,
        )

    async def window_stats(self, key_id: str) -> list[tuple[RateLimitItem, WindowStats]]:
        now = time.time()
        stats = []
        for item, counter in zip(self.items, self._counters(key_id), strict=True):
            count = int(await self.redis.get(counter) or 0)
            ttl_ms = max(int(await self.redis.pttl(counter)), 0)
            stats.append((item, WindowStats(now + ttl_ms / 1000, max(item.amount - count, 0))))
        return stats


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
        script: ScriptClient | None = None,
        retry_seconds: float = 5.0,
    ) -> None:
        self.local: KeyRateLimiter | MemoryFixedWindows = (
            MemoryFixedWindows(items)
            if strategy is RateLimitStrategy.FIXED_WINDOW
            else KeyRateLimiter(items, MemoryStorage(), strategy)
        )
        self.shared: KeyRateLimiter | RedisFixedWindows | None = None
        if redis_pool is not None and script is not None:
            assert strategy is RateLimitStrategy.FIXED_WINDOW, "the script counts fixed windows"
            self.shared = RedisFixedWindows(items, redis_pool, key_prefix, script)
        elif redis_pool is not None:
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
        # For the metrics: requests refused, and times Redis failed and this process took over.
        self.refusals = 0
        self.fallbacks = 0

    @property
    def items(self) -> list[RateLimitItem]:
        return self.local.items

    @property
    def active(self) -> KeyRateLimiter | RedisFixedWindows | MemoryFixedWindows:
        """The limiter requests use right now."""
        if self.shared is not None and time.monotonic() >= self._shared_down_until:
            return self.shared
        return self.local

    @property
    def falling_back(self) -> bool:
        """Whether requests are limited per process because the shared storage failed."""
        return self.shared is not None and time.monotonic() < self._shared_down_until

    def shared_is_back(self) -> None:
        self._shared_down_until = 0.0

    async def check(self, key_id: str) -> Decision:
        limiter = self.active
        if limiter is self.local:
            decision = await self.local.check(key_id)
        else:
            try:
                decision = await limiter.check(key_id)
            except StorageError as exc:
                self._shared_failed(exc)
                decision = await self.local.check(key_id)
        if not decision.allowed:
            self.refusals += 1
        return decision

    async def exhausted(self, key_id: str) -> Decision | None:
        """The refusal the next request of ``key_id`` would get, without counting it; None
        while some of its limits is left."""
        limiter = self.active
        try:
            stats = await limiter.window_stats(key_id)
        except (StorageError, RedisError, OSError) as exc:
            self._shared_failed(exc)
            stats = await self.local.window_stats(key_id)
        now = time.time()
        for item, window in stats:
            if window.remaining <= 0 and window.reset_time > now:
                retry_after = max(1, math.ceil(window.reset_time - now))
                return Decision(False, item.amount, 0, window.reset_time, retry_after)
        return None

    def _shared_failed(self, exc: Exception) -> None:
        if self._shared_down_until == 0.0:
            logger.warning("Redis unavailable, limiting per process meanwhile: %s", exc)
        self._shared_down_until = time.monotonic() + self.retry_seconds
        self.fallbacks += 1
