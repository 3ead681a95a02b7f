"""Decisions about API keys: scope containment, one-time secrets, revocation.

A key may create or revoke only keys whose permissions it holds itself, never creates a key
that outlives it, and an account holds at most ``max_active`` keys that are neither revoked
nor expired (counted under a lock on the account's row, so concurrent creates cannot pass
the cap together).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any, cast

import msgspec
from redis.exceptions import RedisError

from buena_server.accounts.repository import AccountRepository
from buena_server.auth.cache import KeyCache, KeyVersions
from buena_server.auth.principal import Principal
from buena_server.auth.tokens import generate_key, key_digest, key_preview
from buena_server.auth.usage import KeyUsageTracker
from buena_server.errors import (
    ApiKeyLimitReached,
    ApiKeyNotFound,
    ApiKeyOutlivesCaller,
    PermissionDenied,
    ServiceUnavailable,
)
from buena_server.events.catalogue import API_KEY_CREATED, API_KEY_REVOKED
from buena_server.events.service import record_event
from buena_server.keys.repository import ApiKeyRecord, ApiKeyRepository
from buena_server.keys.schemas import (
    ApiKey,
    CreateApiKeyRequest,
    CreatedApiKey,
    ListApiKeysResponse,
    RevokeApiKeyResponse,
)
from buena_server.kit.clock import utcnow
from buena_server.kit.cursor import (
    Position,
    binding,
    decode_cursor,
    encode_cursor,
    malformed_cursor,
)
from buena_server.kit.ids import is_plausible_id, new_id
from buena_server.kit.validation import Context, validate

# Keys have one order (newest first) and no filters: a cursor is bound to the resource.
KEYS_CURSOR_BINDING = binding("keys", {})


def _public(record: ApiKeyRecord) -> ApiKey:
    return ApiKey(
        id=record.id,
        name=record.name,
        description=record.description,
        key_preview=record.key_preview,
        permissions=list(record.permissions),
        last_used=record.last_used,
        is_active=record.is_active,
        created_at=record.created_at,
        expires_at=record.expires_at,
    )


def _event_object(record: ApiKeyRecord) -> dict[str, Any]:
    """The key's public fields, as GET /keys shows them (never its secret or digest)."""
    plain: dict[str, Any] = msgspec.to_builtins(_public(record))
    return plain


async def issue_key(
    repository: ApiKeyRepository,
    *,
    account_id: str,
    name: str,
    permissions: Iterable[str],
    description: str | None = None,
    expires_at: datetime | None = None,
    key: str | None = None,
) -> tuple[ApiKeyRecord, str]:
    """Store a new key (generated unless given) and return it with its secret."""
    secret = key or generate_key()
    record = ApiKeyRecord(
        id=new_id("key"),
        account_id=account_id,
        name=name,
        description=description,
        key_preview=key_preview(secret),
        permissions=list(permissions),
        is_active=True,
        created_at=utcnow(),
        expires_at=expires_at,
        last_used=None,
    )
    await repository.insert(record, digest=key_digest(secret))
    await record_event(
        repository.conn, account_id, API_KEY_CREATED, {"object": _event_object(record)}
    )
    return record, secret


class ApiKeyService:
    def __init__(
        self,
        repository: ApiKeyRepository,
        usage: KeyUsageTracker,
        context: Context,
        *,
        accounts: AccountRepository,
        max_active: int,
        cache: KeyCache,
        versions: KeyVersions | None,
        after_commit: Callable[[Callable[[], Awaitable[None]]], None],
    ) -> None:
        self.repository = repository
        self.accounts = accounts
        self.max_active = max_active
        self.usage = usage
        self.context = context
        self.cache = cache
        self.versions = versions
        self.after_commit = after_commit

    async def list(
        self, principal: Principal, *, limit: int, offset: int, cursor: str | None = None
    ) -> ListApiKeysResponse:
        after = None
        if cursor is not None:
            after = decode_cursor(cursor, KEYS_CURSOR_BINDING)
            if not isinstance(after.value, datetime):
                raise malformed_cursor()
        records, total, more = await self.repository.find_page(
            principal.account_id, limit=limit, offset=offset, after=after
        )
        keys = []
        for record in records:
            # Uses not yet flushed to the database are newer than what it holds.
            pending = self.usage.pending(record.id)
            if pending is not None and (record.last_used is None or pending > record.last_used):
                record = dataclasses.replace(record, last_used=pending)
            keys.append(_public(record))
        following = None
        if more and records:
            last = records[-1]
            following = encode_cursor(KEYS_CURSOR_BINDING, Position(last.created_at, last.id))
        return ListApiKeysResponse(
            data=keys, total=total, limit=limit, offset=offset, next_cursor=following
        )

    async def create(self, principal: Principal, request: CreateApiKeyRequest) -> CreatedApiKey:
        request = validate(request, self.context)
        beyond = [p for p in request.permissions if p not in principal.permissions]
        if beyond:
            raise PermissionDenied(
                "A key can only grant permissions it holds itself",
                details={"required": beyond, "granted": sorted(principal.permissions)},
            )
        # The rule parsed it into an aware UTC datetime.
        expires_at = cast(datetime | None, request.expires_at)
        caller = await self.repository.get(principal.account_id, principal.key_id)
        if caller is not None and caller.expires_at is not None:
            _refuse_outliving(caller.expires_at, expires_at)
        await self.accounts.lock(principal.account_id)
        active = await self.repository.count_active(principal.account_id, utcnow())
        if active >= self.max_active:
            raise ApiKeyLimitReached(
                f"This account already has {active} active API keys, the most it may hold; "
                "revoke one before creating another",
                details={"limit": self.max_active, "active": active},
            )
        record, secret = await issue_key(
            self.repository,
            account_id=principal.account_id,
            name=request.name,
            permissions=request.permissions,
            description=request.description,
            expires_at=expires_at,
        )
        public = _public(record)
        return CreatedApiKey(
            **{f: getattr(public, f) for f in public.__struct_fields__}, key=secret
        )

    async def revoke(self, principal: Principal, key_id: str) -> RevokeApiKeyResponse:
        target = (
            await self.repository.get(principal.account_id, key_id)
            if is_plausible_id(key_id)
            else None
        )
        if target is None:
            raise key_not_found(key_id)
        missing = sorted(set(target.permissions) - principal.permissions)
        if missing:
            raise PermissionDenied(
                "A key can only revoke keys whose permissions it holds itself",
                details={
                    "key_id": key_id,
                    "required": missing,
                    "granted": sorted(principal.permissions),
                },
            )
        # Permissions never change, so the key read above is the key revoked here.
        await revoke_record(self.repository, target)
        self.cache.forget(key_id)
        versions = self.versions
        if versions is not None:
            # Other processes must stop trusting the key they remember (auth/cache.py).
            try:
                await versions.bump(key_id)
            except (RedisError, OSError) as exc:
                raise ServiceUnavailable(
                    "The key could not be revoked because Redis, which tells every server "
                    "process about revocations, is unreachable; nothing changed, retry shortly",
                    headers={"Retry-After": "1"},
                ) from exc
            self.after_commit(lambda: versions.bump_after_commit(key_id))
        return RevokeApiKeyResponse(
            success=True, message=f"API key {key_id} revoked", revoked_id=key_id
        )


async def revoke_record(repository: ApiKeyRepository, target: ApiKeyRecord) -> None:
    """Revoke the key in the database, with its api_key.revoked event (none when it was
    revoked already). Telling the other processes is the caller's part (auth/cache.py)."""
    await repository.revoke(target.account_id, target.id, utcnow())
    if target.is_active:  # revoking a revoked key again changes nothing: no event
        revoked = dataclasses.replace(target, is_active=False)
        await record_event(
            repository.conn, target.account_id, API_KEY_REVOKED, {"object": _event_object(revoked)}
        )


def _refuse_outliving(caller_expires_at: datetime, expires_at: datetime | None) -> None:
    """A key that expires may create only keys that expire no later than itself: refused
    (not clamped), so that the caller learns the expiry it gets."""
    if expires_at is not None and expires_at <= caller_expires_at:
        return
    limit = caller_expires_at.isoformat().replace("+00:00", "Z")
    asked = "no expires_at" if expires_at is None else "a later expires_at"
    message = (
        f"The calling API key expires at {limit}, so the key it creates must expire too, "
        f"at or before then ({asked} was given)"
    )
    raise ApiKeyOutlivesCaller(
        message,
        details={
            "errors": [{"field": "expires_at", "message": message}],
            "max_expires_at": limit,
        },
    )


def key_not_found(key_id: str) -> ApiKeyNotFound:
    return ApiKeyNotFound(f"API key {key_id} not found", details={"key_id": key_id})
