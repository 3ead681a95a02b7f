"""API keys remembered between requests, and how a revocation reaches every process at once.

Looking a key up costs a database round trip per request. Each process therefore remembers
the keys it has seen, but trusts a remembered key only while its *version* in Redis is the one
it saw before it last read the key from the database. The version is read by the same Redis
script that applies the key's rate limits (no extra round trip), and revoking a key bumps it
before and after the revocation commits, so from the moment a revoke is answered no process
accepts the key. On SQLite the database gives the version itself (``PRAGMA data_version``,
``Database.change_marker``: it changes with every commit of any connection). On PostgreSQL
without Redis, or while Redis is unreachable, nothing is trusted: every request reads its key
from the database.

The bump before the commit makes a revocation fail (503, nothing changed) when Redis cannot
be told; the bump after it closes the window in which another process could reload the key
between the first bump and the commit. Should that second bump fail, a stale entry lives at
most ``ttl`` seconds.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from redis.asyncio import ConnectionPool, Redis
from redis.exceptions import RedisError

from buena_server.auth.principal import Principal
from buena_server.keys.repository import ApiKeyRecord

logger = logging.getLogger("buena_server.auth")


# How long a process trusts a key it remembers without checking its version.
CACHE_TTL_SECONDS = 5.0


def version_key(prefix: str, key_id: str) -> str:
    # The braces are a Redis Cluster hash tag: the key's version and its rate-limit counters
    # share a slot, so one script can touch them all.
    return f"{prefix}:keyversion:{{{key_id}}}"


@dataclass(frozen=True, slots=True)
class CachedKey:
    record: ApiKeyRecord
    # The key's version (in Redis, or SQLite's "db:<data_version>") read *before* ``record``
    # was read from the database; None when unknown (then the entry is never trusted).
    version: str | None
    loaded_at: float
    principal: Principal


class KeyCache:
    def __init__(self, *, max_entries: int = 10_000, ttl: float = CACHE_TTL_SECONDS) -> None:
        self.max_entries = max_entries
        self.ttl = ttl
        self._entries: dict[str, CachedKey] = {}

    def get(self, digest: str) -> CachedKey | None:
        entry = self._entries.get(digest)
        if entry is not None and time.monotonic() - entry.loaded_at > self.ttl:
            del self._entries[digest]
            return None
        return entry

    def put(self, digest: str, record: ApiKeyRecord, version: str | None) -> CachedKey:
        self._entries.pop(digest, None)
        if len(self._entries) >= self.max_entries:
            del self._entries[next(iter(self._entries))]  # the oldest
        principal = Principal(
            key_id=record.id,
            account_id=record.account_id,
            permissions=frozenset(record.permissions),
        )
        entry = self._entries[digest] = CachedKey(record, version, time.monotonic(), principal)
        return entry

    def forget(self, key_id: str) -> None:
        for digest in [d for d, e in self._entries.items() if e.record.id == key_id]:
            del self._entries[digest]


class KeyVersions:
    """Bumps key versions in Redis (see the module docstring)."""

    def __init__(self, redis_pool: ConnectionPool, prefix: str) -> None:
        self.redis = Redis(connection_pool=redis_pool)
        self.prefix = prefix

    async def bump(self, key_id: str) -> None:
        await self.redis.incr(version_key(self.prefix, key_id))

    async def bump_after_commit(self, key_id: str) -> None:
        try:
            await self.bump(key_id)
        except (RedisError, OSError) as exc:
            logger.error(
                "could not publish the revocation of key %s after it committed; other "
                "processes may accept it for up to their key cache TTL: %s",
                key_id,
                exc,
            )
