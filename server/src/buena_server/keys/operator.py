"""``buena-server keys list`` and ``keys revoke``: an operator's commands, straight on the
database, for when no admin key is at hand or Redis is down.

A revocation commits in the database whatever Redis's state; then the key's version in Redis
is bumped (auth/cache.py), so that processes which remember the key stop trusting it. When
Redis cannot be reached the command says so: processes on PostgreSQL without Redis read keys
from the database on every request anyway, and those that had Redis trust a remembered key
at most ``CACHE_TTL_SECONDS`` (5) longer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from redis.exceptions import RedisError

from buena_server.auth.cache import CACHE_TTL_SECONDS, KeyVersions
from buena_server.config import Settings
from buena_server.keys.repository import ApiKeyRecord, ApiKeyRepository
from buena_server.keys.service import revoke_record
from buena_server.kit.clock import utcnow
from buena_server.kit.driver import Connection
from buena_server.kit.redis_connection import RedisEndpoint
from buena_server.kit.text_table import aligned

_COLUMNS = ("ID", "ACCOUNT", "NAME", "PREVIEW", "STATE", "CREATED", "EXPIRES", "LAST USED")


class OperatorError(Exception):
    """What the operator is told, without a traceback."""


def key_table(records: Sequence[ApiKeyRecord], now: datetime) -> str:
    """The keys as an aligned text table, then their permissions one key a line."""
    rows = [
        (
            r.id,
            r.account_id,
            r.name,
            r.key_preview,
            _state(r, now),
            _when(r.created_at),
            _when(r.expires_at),
            _when(r.last_used),
        )
        for r in records
    ]
    return aligned(_COLUMNS, rows)


def _state(record: ApiKeyRecord, now: datetime) -> str:
    if not record.is_active:
        return "revoked"
    if record.expires_at is not None and record.expires_at <= now:
        return "expired"
    return "active"


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%SZ") if moment is not None else "-"


async def list_keys(conn: Connection, account_id: str | None) -> str:
    records = await ApiKeyRepository(conn).find_all(account_id)
    if not records:
        return "No API keys." if account_id is None else f"No API keys in account {account_id}."
    return key_table(records, utcnow())


async def revoke_in_database(conn: Connection, key_id: str) -> ApiKeyRecord:
    """Revoke the key (with its event); the key as it was. Raises OperatorError when there
    is no such key."""
    repository = ApiKeyRepository(conn)
    target = await repository.find_by_id(key_id)
    if target is None:
        raise OperatorError(f"no API key {key_id}")
    await revoke_record(repository, target)
    return target


async def tell_other_processes(settings: Settings, key_id: str) -> tuple[bool, str]:
    """Bump the key's version in Redis, if configured: whether every process now refuses
    the key, and what happened, in one line."""
    if settings.redis_url is None:
        return True, "Redis is not configured: every process reads keys from the database."
    endpoint = RedisEndpoint.from_url(settings.redis_url, settings.redis_timeout_seconds)
    pool = endpoint.pool()
    versions = KeyVersions(pool, settings.redis_key_prefix)
    try:
        await versions.bump(key_id)
    except (RedisError, OSError) as exc:
        return False, (
            f"Redis is unreachable ({exc}), so it was not told: processes that remember "
            f"the key may accept it for up to {CACHE_TTL_SECONDS:g} more seconds."
        )
    finally:
        await versions.redis.aclose()
        await pool.aclose()
    return True, "Redis told: no process accepts the key any more."
