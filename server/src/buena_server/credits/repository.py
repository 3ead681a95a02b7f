"""Every query on credit_balances and credit_ledger."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from buena_server.kit.driver import Connection
from buena_server.kit.ids import new_id
from buena_server.tables import accounts, credit_balances, credit_ledger


@dataclass(frozen=True, slots=True)
class LedgerRecord:
    id: str
    account_id: str
    amount: int
    balance_after: int
    kind: str
    description: str | None
    request_id: str | None
    created_at: datetime


_LEDGER_COLUMNS = tuple(credit_ledger.c[name] for name in LedgerRecord.__dataclass_fields__)

# Opening a balance: a second opener (another request of the account's first moments) waits
# for the first's row on PostgreSQL and inserts nothing; SQLite's writers take turns.
_OPEN = {
    name: dialect.insert(credit_balances)
    .on_conflict_do_nothing(index_elements=[credit_balances.c.account_id])
    .returning(credit_balances.c.balance)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


class CreditRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def open(self, account_id: str, balance: int, at: datetime) -> bool:
        """Give the account its first balance unless it has one; whether this opened it."""
        statement = _OPEN[self.conn.dialect.name].values(
            account_id=account_id, balance=balance, updated_at=at
        )
        return (await self.conn.execute(statement)).first() is not None

    async def balance(self, account_id: str) -> int | None:
        result = await self.conn.execute(
            select(credit_balances.c.balance).where(credit_balances.c.account_id == account_id)
        )
        value = result.scalar()
        return None if value is None else int(value)

    async def add(self, account_id: str, amount: int, at: datetime, *, floor: int) -> int | None:
        """Add ``amount`` (negative to spend) unless the balance would fall below ``floor``:
        the new balance, or None (nothing changed: too little left, or no balance yet).

        One conditional UPDATE: concurrent spenders wait for each other's row lock and
        PostgreSQL re-reads the condition against the committed balance, so no two can
        both pass it with the same credits.
        """
        statement = (
            update(credit_balances)
            .where(
                credit_balances.c.account_id == account_id,
                credit_balances.c.balance + amount >= floor,
            )
            .values(balance=credit_balances.c.balance + amount, updated_at=at)
            .returning(credit_balances.c.balance)
        )
        value = (await self.conn.execute(statement)).scalar()
        return None if value is None else int(value)

    async def record(
        self,
        account_id: str,
        amount: int,
        balance_after: int,
        kind: str,
        at: datetime,
        *,
        description: str | None = None,
        request_id: str | None = None,
    ) -> LedgerRecord:
        record = LedgerRecord(
            id=new_id("cred"),
            account_id=account_id,
            amount=amount,
            balance_after=balance_after,
            kind=kind,
            description=description,
            request_id=request_id,
            created_at=at,
        )
        await self.conn.execute(
            credit_ledger.insert().values(
                {name: getattr(record, name) for name in LedgerRecord.__dataclass_fields__}
            )
        )
        return record

    async def find_page(
        self, account_id: str, *, limit: int, offset: int
    ) -> tuple[Sequence[LedgerRecord], int]:
        """One page of the account's ledger, newest first (ties broken by id), and how many
        entries it has in all."""
        result = await self.conn.execute(
            select(*_LEDGER_COLUMNS)
            .where(credit_ledger.c.account_id == account_id)
            .order_by(credit_ledger.c.created_at.desc(), credit_ledger.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        records = [LedgerRecord(**row) for row in result.mappings()]
        total = await self.conn.execute(
            select(func.count())
            .select_from(credit_ledger)
            .where(credit_ledger.c.account_id == account_id)
        )
        return records, int(total.scalar_one())

    async def accounts_with_balances(self) -> Sequence[tuple[str, str, int | None]]:
        """Every account's id, name and balance (None: not opened yet), oldest first."""
        result = await self.conn.execute(
            select(accounts.c.id, accounts.c.name, credit_balances.c.balance)
            .select_from(accounts.outerjoin(credit_balances))
            .order_by(accounts.c.created_at, accounts.c.id)
        )
        return [(row[0], row[1], None if row[2] is None else int(row[2])) for row in result.all()]
