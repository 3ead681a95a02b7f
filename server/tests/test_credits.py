"""Credits: the opening grant, charges that never overdraw (under real concurrency on the
test's database), 402 that takes nothing, GET /credits, and the operator's commands."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from test_server_keys_cli import run

from buena_server.credits.repository import CreditRepository
from buena_server.credits.service import CreditService
from buena_server.errors import InsufficientCredits
from buena_server.services import services_of

from server_testing import API, Account, InProcessClient, assert_error


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"default_credits": 10}


async def charge(client: InProcessClient, account: Account, cost: int) -> int:
    """One charge in a write transaction of its own, as a request makes it."""
    async with services_of(client.app).database.transaction(write=True) as conn:
        service = CreditService(CreditRepository(conn), default_credits=10)
        return await service.charge(account.id, cost, description="test", request_id=None)


async def credits(client: InProcessClient, account: Account, **params: Any) -> dict[str, Any]:
    response = await client.get(f"{API}/credits", params=params, headers=account.headers())
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class TestGetCredits:
    async def test_before_any_charge_the_balance_is_the_default(
        self, client: InProcessClient, account: Account
    ) -> None:
        assert await credits(client, account) == {
            "balance": 10,
            "data": [],
            "total": 0,
            "limit": 50,
            "offset": 0,
        }

    async def test_ledger_explains_the_balance(
        self, client: InProcessClient, account: Account
    ) -> None:
        assert await charge(client, account, 3) == 7
        assert await charge(client, account, 0) == 7  # free: nothing recorded
        assert await charge(client, account, 2) == 5
        body = await credits(client, account)
        assert body["balance"] == 5
        assert [(e["kind"], e["amount"], e["balance_after"]) for e in body["data"]] == [
            ("enrichment", -2, 5),
            ("enrichment", -3, 7),
            ("grant", 10, 10),
        ]
        assert sum(e["amount"] for e in body["data"]) == body["balance"]
        page = await credits(client, account, limit=1, offset=1)
        assert [e["amount"] for e in page["data"]] == [-3]
        assert (page["total"], page["limit"], page["offset"]) == (3, 1, 1)

    async def test_needs_leads_enrich(self, client: InProcessClient, account: Account) -> None:
        reader = await account.key_with("leads:read", "leads:write")
        response = await client.get(f"{API}/credits", headers=account.headers(reader))
        body = assert_error(response, 403, "PERMISSION_DENIED")
        assert body["details"]["required"] == ["leads:enrich"]
        enricher = await account.key_with("leads:enrich")
        response = await client.get(f"{API}/credits", headers=account.headers(enricher))
        assert response.status_code == 200

    async def test_anonymous(self, client: InProcessClient) -> None:
        assert_error(await client.get(f"{API}/credits"), 401, "UNAUTHORIZED")

    async def test_accounts_are_apart(
        self, client: InProcessClient, account: Account, other_account: Account
    ) -> None:
        await charge(client, account, 4)
        assert (await credits(client, other_account))["balance"] == 10
        assert (await credits(client, other_account))["total"] == 0


class TestCharging:
    async def test_insufficient_credits_take_nothing(
        self, client: InProcessClient, account: Account
    ) -> None:
        await charge(client, account, 8)
        with pytest.raises(InsufficientCredits) as refused:
            await charge(client, account, 3)
        assert refused.value.details == {"required": 3, "balance": 2}
        body = await credits(client, account)
        assert body["balance"] == 2
        assert body["total"] == 2  # the grant and the one charge

    async def test_a_first_charge_larger_than_the_grant_opens_nothing_visible(
        self, client: InProcessClient, account: Account
    ) -> None:
        with pytest.raises(InsufficientCredits):
            await charge(client, account, 11)
        # The refused charge's transaction rolled back, the opening with it.
        assert await credits(client, account) == {
            "balance": 10,
            "data": [],
            "total": 0,
            "limit": 50,
            "offset": 0,
        }

    async def test_concurrent_charges_never_overdraw(
        self, client: InProcessClient, account: Account
    ) -> None:
        """Twenty concurrent transactions of 3 credits against 10: exactly three pass, the
        balance ends at 1, and the ledger holds the grant and three charges."""
        results = await asyncio.gather(
            *(charge(client, account, 3) for _ in range(20)), return_exceptions=True
        )
        passed = [r for r in results if isinstance(r, int)]
        refused = [r for r in results if isinstance(r, InsufficientCredits)]
        assert len(passed) == 3, results
        assert len(refused) == 17
        assert sorted(passed) == [1, 4, 7]
        body = await credits(client, account)
        assert body["balance"] == 1
        assert body["total"] == 4


class TestOperatorCommands:
    async def test_accounts_list_and_credits(
        self, database_url: str, client: InProcessClient, account: Account, other_account: Account
    ) -> None:
        env = {"BUENA_DEFAULT_CREDITS": "10"}
        await charge(client, account, 4)
        listed = await run(database_url, "accounts", "list", **env)
        assert listed.returncode == 0, listed.stderr
        lines = listed.stdout.splitlines()
        assert lines[0].split() == ["ID", "NAME", "CREDITS"]
        rows = {line.split()[0]: line.split()[-1] for line in lines[1:]}
        assert rows[account.id] == "6"
        assert rows[other_account.id] == "10"  # never charged: the default
        assert "Other account" in listed.stdout

        added = await run(
            database_url,
            "accounts",
            "credits",
            "--account",
            other_account.id,
            "--add",
            "25",
            **env,
        )
        assert added.returncode == 0, added.stderr
        assert added.stdout.strip() == f"Account {other_account.id} now has 35 credits."
        body = await credits(client, other_account)
        assert [(e["kind"], e["amount"]) for e in body["data"]] == [
            ("operator", 25),
            ("grant", 10),
        ]

    async def test_credits_refusals(
        self, database_url: str, client: InProcessClient, account: Account
    ) -> None:
        env = {"BUENA_DEFAULT_CREDITS": "10"}
        unknown = await run(
            database_url, "accounts", "credits", "--account", "acct_x", "--add", "5", **env
        )
        assert unknown.returncode == 2
        assert "no account acct_x" in unknown.stderr
        overdrawn = await run(
            database_url, "accounts", "credits", "--account", account.id, "--add", "-11", **env
        )
        assert overdrawn.returncode == 2
        assert "cannot take 11" in overdrawn.stderr
        assert (await credits(client, account))["balance"] == 10
