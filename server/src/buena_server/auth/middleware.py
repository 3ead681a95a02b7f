"""Authentication: the API key from ``x-api-key`` (or ``Authorization: Bearer``) to a Principal."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from buena_server.auth.principal import Principal
from buena_server.auth.tokens import is_well_formed_key, key_digest
from buena_server.auth.usage import KeyUsageTracker
from buena_server.clock import utcnow
from buena_server.errors import Unauthorized
from buena_server.keys.repository import ApiKeyRepository

EXCLUDE_OPT_KEY = "exclude_from_auth"


def presented_key(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    key = connection.headers.get("x-api-key")
    if key:
        return key.strip()
    authorization = connection.headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


class ApiKeyAuthenticationMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        key = presented_key(connection)
        if key is None:
            raise Unauthorized(
                "Missing API key: send it in the x-api-key header",
                details={"reason": "missing"},
            )
        if not is_well_formed_key(key):
            raise Unauthorized("Invalid API key", details={"reason": "invalid"})

        engine = connection.app.state.engine
        async with engine.connect() as conn:
            record = await ApiKeyRepository(conn).find_by_digest(key_digest(key))
        now = utcnow()
        if record is None:
            raise Unauthorized("Invalid API key", details={"reason": "invalid"})
        if not record.is_active:
            raise Unauthorized("This API key has been revoked", details={"reason": "revoked"})
        if record.expires_at is not None and record.expires_at <= now:
            raise Unauthorized("This API key has expired", details={"reason": "expired"})

        tracker: KeyUsageTracker = connection.app.state.key_usage
        tracker.touch(record.id, now)
        principal = Principal(
            key_id=record.id,
            account_id=record.account_id,
            permissions=frozenset(record.permissions),
        )
        return AuthenticationResult(user=principal, auth=principal)
