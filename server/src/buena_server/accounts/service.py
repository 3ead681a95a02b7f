"""Creating accounts with their first (admin) key, and the bootstrap on an empty database."""

from __future__ import annotations

from dataclasses import dataclass

from buena_server.accounts.repository import AccountRepository
from buena_server.auth.permissions import ALL_PERMISSIONS
from buena_server.auth.tokens import key_digest
from buena_server.keys.repository import ApiKeyRepository
from buena_server.keys.service import issue_key
from buena_server.kit.clock import utcnow
from buena_server.kit.driver import Connection
from buena_server.kit.ids import new_id
from buena_server.leads.repository import LeadRepository


@dataclass(frozen=True, slots=True)
class NewAccount:
    account_id: str
    key_id: str
    key: str


async def create_account(conn: Connection, name: str, *, key: str | None = None) -> NewAccount:
    """A new account and an admin key holding every permission (``key`` if given)."""
    account_id = new_id("acct")
    await AccountRepository(conn).insert(account_id, name, utcnow())
    await LeadRepository(conn).create_counters(account_id)
    record, secret = await issue_key(
        ApiKeyRepository(conn),
        account_id=account_id,
        name="Admin key",
        permissions=ALL_PERMISSIONS,
        description="Created with the account; holds every permission",
        key=key,
    )
    return NewAccount(account_id=account_id, key_id=record.id, key=secret)


async def bootstrap(conn: Connection, name: str, key: str | None) -> NewAccount | None:
    """On a database without accounts, create one. Returns it only when something was created.

    With a bootstrap key that is already stored (a restart), nothing happens.
    """
    if key is not None and await ApiKeyRepository(conn).find_by_digest(key_digest(key)):
        return None
    if await AccountRepository(conn).any_exists():
        if key is None:
            return None
        # A bootstrap key this database does not know, while accounts already exist: refuse
        # to guess which account it should belong to.
        raise RuntimeError(
            "BUENA_BOOTSTRAP_KEY is not known to this database, which already has accounts; "
            "create the key with `buena-server keys create --account ID` instead"
        )
    return await create_account(conn, name, key=key)
