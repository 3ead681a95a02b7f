"""Decisions about credits: the opening grant, charges that never overdraw, additions.

A balance is opened by the account's first change of it (a charge, an operator's
addition) with ``BUENA_DEFAULT_CREDITS``, recorded in the ledger as a ``grant``: accounts
created before credits existed get theirs the same way as new ones. Until then the account's
balance reads as ``BUENA_DEFAULT_CREDITS`` and its ledger is empty (reads never write).
Every change runs in the caller's transaction, its ledger entry with it.
"""

from __future__ import annotations

from buena_server.credits.repository import CreditRepository, LedgerRecord
from buena_server.credits.schemas import CreditsResponse, LedgerEntry
from buena_server.errors import InsufficientCredits
from buena_server.kit.clock import utcnow

GRANT = "grant"
ENRICHMENT = "enrichment"
REFUND = "refund"
OPERATOR = "operator"


def insufficient_credits(required: int, balance: int) -> InsufficientCredits:
    """402: a charge of ``required`` credits that a balance of ``balance`` cannot pay."""
    return InsufficientCredits(
        f"This call costs {required} credits; the account has {balance}",
        details={"required": required, "balance": balance},
    )


def public_entry(record: LedgerRecord) -> LedgerEntry:
    return LedgerEntry(
        id=record.id,
        amount=record.amount,
        balance_after=record.balance_after,
        kind=record.kind,  # type: ignore[arg-type]  # written from the three kinds only
        description=record.description,
        request_id=record.request_id,
        created_at=record.created_at,
    )


class CreditService:
    def __init__(self, repository: CreditRepository, *, default_credits: int) -> None:
        self.repository = repository
        self.default_credits = default_credits

    async def balance(self, account_id: str) -> int:
        """The account's balance (``BUENA_DEFAULT_CREDITS`` until it is opened)."""
        balance = await self.repository.balance(account_id)
        return self.default_credits if balance is None else balance

    async def _open(self, account_id: str) -> None:
        at = utcnow()
        if await self.repository.open(account_id, self.default_credits, at):
            await self.repository.record(
                account_id,
                self.default_credits,
                self.default_credits,
                GRANT,
                at,
                description="Opening balance (BUENA_DEFAULT_CREDITS)",
            )

    async def charge(
        self, account_id: str, cost: int, *, description: str, request_id: str | None
    ) -> int:
        """Take ``cost`` credits: the balance left. Raises ``InsufficientCredits`` (402),
        taking nothing, when the balance is smaller. A cost of 0 records nothing."""
        if cost == 0:
            return await self.balance(account_id)
        left = await self._add(account_id, -cost)
        if left is None:
            raise insufficient_credits(cost, await self.balance(account_id))
        await self.repository.record(
            account_id,
            -cost,
            left,
            ENRICHMENT,
            utcnow(),
            description=description,
            request_id=request_id,
        )
        return left

    async def refund(self, account_id: str, amount: int, *, description: str) -> int:
        """Give back ``amount`` credits of a reservation (``charge``) that were not used:
        the balance after. A refund of 0 records nothing."""
        if amount == 0:
            return await self.balance(account_id)
        left = await self._add(account_id, amount)
        assert left is not None  # adding never goes below the floor
        await self.repository.record(
            account_id, amount, left, REFUND, utcnow(), description=description
        )
        return left

    async def add(self, account_id: str, amount: int, *, description: str) -> LedgerRecord:
        """An operator's change (negative takes credits back, never below zero): its ledger
        entry. Raises ``InsufficientCredits`` when it would leave less than zero."""
        left = await self._add(account_id, amount)
        if left is None:
            balance = await self.balance(account_id)
            raise InsufficientCredits(
                f"The account has {balance} credits: cannot take {-amount}",
                details={"required": -amount, "balance": balance},
            )
        return await self.repository.record(
            account_id, amount, left, OPERATOR, utcnow(), description=description
        )

    async def _add(self, account_id: str, amount: int) -> int | None:
        left = await self.repository.add(account_id, amount, utcnow(), floor=0)
        if left is None and await self.repository.balance(account_id) is None:
            await self._open(account_id)
            left = await self.repository.add(account_id, amount, utcnow(), floor=0)
        return left

    async def statement(self, account_id: str, *, limit: int, offset: int) -> CreditsResponse:
        balance = await self.balance(account_id)
        records, total = await self.repository.find_page(account_id, limit=limit, offset=offset)
        return CreditsResponse(
            balance=balance,
            data=[public_entry(r) for r in records],
            total=total,
            limit=limit,
            offset=offset,
        )
