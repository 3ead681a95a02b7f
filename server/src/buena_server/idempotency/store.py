"""Where the answers to Idempotency-Keys are kept: the database, or Redis.

Both stores are shared by every server process, so a key holds across processes: the
database claims a key with its primary key (``INSERT ... ON CONFLICT``), Redis with one Lua
script (redis_store.py). They differ in one thing: the database store can keep an answer in
the same transaction as the change it reports (``saves_in_transaction``), so that a process
dying between the two cannot leave a change without its answer; see docs/design.md,
"Idempotency".
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable
from datetime import datetime, timedelta

from buena_server.idempotency.model import Claim, Held, StoredResponse, new_claim
from buena_server.idempotency.repository import IdempotencyRepository
from buena_server.kit import clock
from buena_server.kit.driver import Connection, Database


class IdempotencyStore(ABC):
    saves_in_transaction = False
    sends_claims = False  # whether send_claim sends a claim (Redis)

    def __init__(self, *, ttl_seconds: float, lease_seconds: float) -> None:
        self.ttl = timedelta(seconds=ttl_seconds)
        self.lease = timedelta(seconds=lease_seconds)

    async def claim(self, account_id: str, key: str, fingerprint: str) -> Claim | Held:
        """The key for this request (a Claim), or what holds it already."""
        claim = new_claim(account_id, key, fingerprint)
        for _attempt in range(3):
            held = await self._claim(claim, clock.utcnow())
            if held is None:
                return claim
            if held is not _GONE:
                return held
        # Released or purged between our attempts each time: someone keeps working on it.
        return Held(fingerprint, None)

    def send_claim(self, claim: Claim, now: datetime) -> Awaitable[object] | None:
        """Send the claim now, its outcome to be read by ``claim_sent``; None where the store
        cannot (the database)."""
        return None

    async def claim_sent(self, claim: Claim, reply: Awaitable[object]) -> Claim | Held | None:
        """What a claim sent by ``send_claim`` found (as ``claim``), or None when it did not
        run and must be made the usual way."""
        raise NotImplementedError

    @abstractmethod
    async def _claim(self, claim: Claim, now: datetime) -> Held | None:
        """None when the claim is taken; what holds the key otherwise (``_GONE`` when that
        was let go of between the two looks)."""

    @abstractmethod
    async def save(self, claim: Claim, response: StoredResponse) -> bool:
        """Keep the answer under the key (outside any request transaction); False when the
        claim is no longer this request's (its lease ran out and another took the key)."""

    async def save_in(self, conn: Connection, claim: Claim, response: StoredResponse) -> bool:
        """Keep the answer in the request's own transaction, where the store can."""
        raise NotImplementedError

    @abstractmethod
    async def release(self, claim: Claim) -> None:
        """Let go of the key without an answer: the next request with it runs."""

    async def purge(self) -> int:
        """Forget expired answers; how many were deleted (Redis expires its own)."""
        return 0

    async def close(self) -> None:
        return None


_GONE = Held("", None)


class DatabaseStore(IdempotencyStore):
    saves_in_transaction = True

    def __init__(self, database: Database, *, ttl_seconds: float, lease_seconds: float) -> None:
        super().__init__(ttl_seconds=ttl_seconds, lease_seconds=lease_seconds)
        self.database = database

    async def _claim(self, claim: Claim, now: datetime) -> Held | None:
        # Its own statement, committed before the request runs: other processes must see it.
        async with self.database.transaction(write=True, single_write=True) as conn:
            taken = await IdempotencyRepository(conn).claim(
                claim, now=now, locked_until=now + self.lease, expires_at=now + self.ttl
            )
        if taken:
            return None
        async with self.database.transaction(write=False) as conn:
            held = await IdempotencyRepository(conn).held(claim.account_id, claim.key, now=now)
        return _GONE if held is None else held

    async def save(self, claim: Claim, response: StoredResponse) -> bool:
        async with self.database.transaction(write=True, single_write=True) as conn:
            return await IdempotencyRepository(conn).save(claim, response)

    async def save_in(self, conn: Connection, claim: Claim, response: StoredResponse) -> bool:
        return await IdempotencyRepository(conn).save(claim, response)

    async def release(self, claim: Claim) -> None:
        async with self.database.transaction(write=True, single_write=True) as conn:
            await IdempotencyRepository(conn).release(claim)

    async def purge(self) -> int:
        async with self.database.transaction(write=True, single_write=True) as conn:
            return await IdempotencyRepository(conn).purge(clock.utcnow())
