"""Every query on the accounts table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select

from buena_server.kit.driver import Connection
from buena_server.tables import accounts


class AccountRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def any_exists(self) -> bool:
        return bool((await self.conn.execute(select(exists().select_from(accounts)))).scalar())

    async def exists(self, account_id: str) -> bool:
        query = select(exists().where(accounts.c.id == account_id))
        return bool((await self.conn.execute(query)).scalar())

    async def lock(self, account_id: str) -> None:
        """Hold the account's row until the transaction ends, so that decisions counting its
        rows run one at a time; SQLite's write transaction is serial already. PostgreSQL's
        ``FOR NO KEY UPDATE``, not ``FOR UPDATE``: the foreign-key checks of the account's
        other writes (lead inserts take ``FOR KEY SHARE``) do not wait for it."""
        await self.conn.execute(
            select(accounts.c.id).where(accounts.c.id == account_id).with_for_update(key_share=True)
        )

    async def insert(self, account_id: str, name: str, created_at: datetime) -> None:
        await self.conn.execute(
            accounts.insert().values(id=account_id, name=name, created_at=created_at)
        )
