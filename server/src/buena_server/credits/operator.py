"""``buena-server accounts list`` and ``accounts credits``: an operator's commands on
accounts and their credits, straight on the database."""

from __future__ import annotations

from buena_server.accounts.repository import AccountRepository
from buena_server.credits.repository import CreditRepository
from buena_server.credits.service import CreditService
from buena_server.kit.driver import Connection
from buena_server.kit.text_table import aligned

_COLUMNS = ("ID", "NAME", "CREDITS")


class NoSuchAccount(Exception):
    """What the operator is told, without a traceback."""


async def list_accounts(conn: Connection, *, default_credits: int) -> str:
    """Every account with its balance (``BUENA_DEFAULT_CREDITS`` until its first charge)."""
    found = await CreditRepository(conn).accounts_with_balances()
    if not found:
        return "No accounts."
    rows = [
        (account_id, name, str(default_credits if balance is None else balance))
        for account_id, name, balance in found
    ]
    return aligned(_COLUMNS, rows)


async def add_credits(
    conn: Connection, account_id: str, amount: int, *, default_credits: int
) -> int:
    """Add ``amount`` (negative takes back, never below zero): the new balance."""
    if not await AccountRepository(conn).exists(account_id):
        raise NoSuchAccount(f"no account {account_id}")
    service = CreditService(CreditRepository(conn), default_credits=default_credits)
    entry = await service.add(account_id, amount, description="buena-server accounts credits")
    return entry.balance_after
