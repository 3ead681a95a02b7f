"""Every query on the idempotency_keys table (the database store)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, literal_column, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from buena_server.idempotency.model import Claim, Held, StoredResponse
from buena_server.kit.driver import Connection
from buena_server.tables import idempotency_keys as table

_KEY = and_(table.c.account_id == bindparam("of_account"), table.c.key == bindparam("of_key"))
_CLAIMED_VALUES = ("fingerprint", "token", "locked_until", "expires_at")


def _claim_statement(dialect: Any) -> Any:
    """INSERT the claim; over an existing row only when that row no longer holds the key
    (expired, or a lease run out without an answer): the ``is_free`` rule, in SQL. A row
    comes back when the claim is this request's."""
    insert = dialect.insert(table).values(
        account_id=bindparam("of_account"),
        key=bindparam("of_key"),
        **{name: bindparam(f"new_{name}") for name in _CLAIMED_VALUES},
    )
    return insert.on_conflict_do_update(
        index_elements=[table.c.account_id, table.c.key],
        set_={
            **{name: insert.excluded[name] for name in _CLAIMED_VALUES},
            "status": None,
            "headers": None,
            "body": None,
        },
        where=or_(
            table.c.expires_at <= bindparam("now"),
            and_(table.c.status.is_(None), table.c.locked_until <= bindparam("now")),
        ),
    ).returning(literal_column("1"))


_CLAIM = {"postgresql": _claim_statement(postgresql), "sqlite": _claim_statement(sqlite)}
_HELD = select(table.c.fingerprint, table.c.status, table.c.headers, table.c.body).where(
    _KEY, table.c.expires_at > bindparam("now")
)
_SAVE = (
    update(table)
    .where(_KEY, table.c.token == bindparam("of_token"))
    .values(
        status=bindparam("new_status"),
        headers=bindparam("new_headers"),
        body=bindparam("new_body"),
        locked_until=None,
    )
)
_RELEASE = delete(table).where(_KEY, table.c.token == bindparam("of_token"))
_PURGE = delete(table).where(table.c.expires_at <= bindparam("now"))


class IdempotencyRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def claim(
        self, claim: Claim, *, now: datetime, locked_until: datetime, expires_at: datetime
    ) -> bool:
        """Whether the key is now this claim's (one statement)."""
        result = await self.conn.execute(
            _CLAIM[self.conn.dialect.name],
            {
                "of_account": claim.account_id,
                "of_key": claim.key,
                "new_fingerprint": claim.fingerprint,
                "new_token": claim.token,
                "new_locked_until": locked_until,
                "new_expires_at": expires_at,
                "now": now,
            },
        )
        return result.first() is not None

    async def held(self, account_id: str, key: str, *, now: datetime) -> Held | None:
        """What holds the key now, if anything."""
        row = (
            await self.conn.execute(_HELD, {"of_account": account_id, "of_key": key, "now": now})
        ).first()
        if row is None:
            return None
        fingerprint, status, headers, body = row
        response = None
        if status is not None:
            response = StoredResponse(
                status, [(name, value) for name, value in headers or []], bytes(body or b"")
            )
        return Held(fingerprint, response)

    async def save(self, claim: Claim, response: StoredResponse) -> bool:
        """Keep the answer under the key; False when the claim is no longer this one's."""
        result = await self.conn.execute(
            _SAVE,
            {
                "of_account": claim.account_id,
                "of_key": claim.key,
                "of_token": claim.token,
                "new_status": response.status,
                "new_headers": [list(pair) for pair in response.headers],
                "new_body": response.body,
            },
        )
        return result.rowcount == 1

    async def release(self, claim: Claim) -> None:
        await self.conn.execute(
            _RELEASE,
            {"of_account": claim.account_id, "of_key": claim.key, "of_token": claim.token},
        )

    async def purge(self, now: datetime) -> int:
        """Delete the expired rows; how many."""
        return (await self.conn.execute(_PURGE, {"now": now})).rowcount
