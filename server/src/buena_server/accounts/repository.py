"""Every query on the accounts table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select

from buena_server.driver import Connection
from buena_server.tables import accounts


class AccountRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def any_exists(self) -> bool:
        return bool((await self.conn.execute(select(exists().select_from(accounts)))).scalar())

    async def exists(self, account_id: str) -> bool:
        query = select(exists().where(accounts.c.id == account_id))
        return bool((await self.conn.execute(query)).scalar())

    async def insert(self, account_id: str, name: str, created_at: datetime) -> None:
        await self.conn.execute(
            accounts.insert().values(id=account_id, name=name, created_at=created_at)
        )
