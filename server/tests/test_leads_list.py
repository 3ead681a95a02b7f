"""GET /leads: pagination, sorting, filters, totals."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from buena_server.auth.permissions import Permission
from buena_server.services import services_of

from server_testing import API, Account, InProcessClient, assert_error

PEOPLE = [
    ("John", "Smith", "john.smith@acme.com", "Acme Inc", "active"),
    ("Johnny", "Bravo", "jb@cartoon.org", "Cartoon Network", "contacted"),
    ("Alice", "Johnson", "alice@example.com", "Example Corp", "active"),
    ("bob", "Stone", "bob@JOHNSTONE.io", "Stone & Sons", "inactive"),
    ("Émile", "Zola", "emile@lettres.fr", "example corp", "active"),
    ("Carol", "Danvers", "carol@shield.gov", None, "active"),
]


@pytest.fixture
async def people(account: Account) -> list[dict[str, object]]:
    created = []
    for first, last, email, company, status in PEOPLE:
        created.append(
            await account.create_lead(
                first_name=first, last_name=last, email=email, company=company, status=status
            )
        )
    return created


async def list_leads(client: InProcessClient, account: Account, **params: object):
    response = await client.get(f"{API}/leads", params=params, headers=account.headers())
    assert response.status_code == 200, response.text
    return response.json()


class TestListLeads:
    async def test_valid(
        self, client: InProcessClient, account: Account, people: list[dict[str, object]]
    ) -> None:
        body = await list_leads(client, account)
        assert set(body) == {"data", "total", "limit", "offset", "next_cursor"}
        assert body["total"] == len(PEOPLE)
        assert body["limit"] == 50
        assert body["offset"] == 0
        # Default order: newest first.
        assert [lead["id"] for lead in body["data"]] == [p["id"] for p in reversed(people)]

    async def test_every_status_by_default(
        self, client: InProcessClient, account: Account, people: list[dict[str, object]]
    ) -> None:
        statuses = {lead["status"] for lead in (await list_leads(client, account))["data"]}
        assert statuses == {"active", "contacted", "inactive"}

    async def test_anonymous(self, client: InProcessClient) -> None:
        assert_error(await client.get(f"{API}/leads"), 401, "UNAUTHORIZED")

    async def test_missing_permission(self, client: InProcessClient, account: Account) -> None:
        key = await account.key_with(Permission.LEADS_WRITE)
        response = await client.get(f"{API}/leads", headers={"x-api-key": key})
        body = assert_error(response, 403, "PERMISSION_DENIED")
        assert body["details"]["required"] == ["leads:read"]
        assert body["details"]["granted"] == ["leads:write"]

    async def test_only_own_account(
        self,
        client: InProcessClient,
        account: Account,
        other_account: Account,
        people: list[dict[str, object]],
    ) -> None:
        await other_account.create_lead(first_name="Other", email="john.smith@acme.com")
        body = await list_leads(client, other_account)
        assert body["total"] == 1
        assert body["data"][0]["first_name"] == "Other"
        assert (await list_leads(client, other_account, search="alice"))["total"] == 0


async def test_totals_stay_exact_through_writes(
    client: InProcessClient, account: Account, other_account: Account
) -> None:
    """Unfiltered and status-only totals come from counters kept with every write; they must
    always equal a real count."""
    database = services_of(client.app).database

    async def check() -> None:
        async with database.transaction(write=False) as conn:
            rows = (
                await conn.execute(
                    text("SELECT status, count(*) FROM leads WHERE account_id = :a GROUP BY 1"),
                    {"a": account.id},
                )
            ).all()
        real = dict(rows)
        assert (await list_leads(client, account))["total"] == sum(real.values())
        for status in ("active", "inactive", "contacted"):
            body = await list_leads(client, account, status=status)
            assert body["total"] == real.get(status, 0)

    await other_account.create_lead(email="elsewhere@example.com")
    created = [await account.create_lead(email=f"c{i}@example.com") for i in range(4)]
    await check()
    await client.patch(
        f"{API}/leads/{created[0]['id']}", json={"status": "contacted"}, headers=account.headers()
    )
    await client.patch(
        f"{API}/leads/{created[1]['id']}", json={"status": "inactive"}, headers=account.headers()
    )
    await client.patch(
        f"{API}/leads/{created[1]['id']}", json={"status": "inactive"}, headers=account.headers()
    )  # no change, no count
    await check()
    await client.delete(f"{API}/leads/{created[0]['id']}", headers=account.headers())
    await client.delete(f"{API}/leads/{created[0]['id']}", headers=account.headers())  # 404
    refused = await client.post(
        f"{API}/leads",
        json={"first_name": "D", "last_name": "U", "email": "C1@example.com"},
        headers=account.headers(),
    )
    assert refused.status_code == 409  # a refused insert counts nothing
    await check()


class TestPagination:
    async def test_limit_above_100_is_applied_as_100(
        self, client: InProcessClient, account: Account
    ) -> None:
        body = await list_leads(client, account, limit=500)
        assert body["limit"] == 100

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"limit": 0}, "limit"),
            ({"limit": -5}, "limit"),
            ({"offset": -1}, "offset"),
            ({"sort": "email"}, "sort"),
            ({"order": "up"}, "order"),
            ({"status": "gone"}, "status"),
            ({"search": "x" * 201}, "search"),
        ],
    )
    async def test_invalid_values(
        self,
        client: InProcessClient,
        account: Account,
        params: dict[str, object],
        field: str,
    ) -> None:
        response = await client.get(f"{API}/leads", params=params, headers=account.headers())
        body = assert_error(response, 422, "VALIDATION_ERROR")
        assert body["details"]["errors"][0]["field"] == field

    @pytest.mark.parametrize(
        "params",
        [
            {"limit": "ten"},
            {"offset": "1.5"},
            {"limit": "1.0"},
            {"offset": "1e3"},
            {"limit": "+5"},
            {"limit": ""},
        ],
    )
    async def test_integers_are_strict(
        self, client: InProcessClient, account: Account, params: dict[str, object]
    ) -> None:
        # Not applied as the nearest integer (offset=1e3 used to skip 1000 leads): refused.
        response = await client.get(f"{API}/leads", params=params, headers=account.headers())
        body = assert_error(response, 422, "VALIDATION_ERROR")
        assert [error["field"] for error in body["details"]["errors"]] == list(params)

    async def test_unknown_parameter_is_refused(
        self, client: InProcessClient, account: Account, people: list[dict[str, object]]
    ) -> None:
        # GET /leads?tag=x used to answer every lead, as if no filter had been asked for.
        response = await client.get(
            f"{API}/leads",
            params={"tag": "x", "limit": 5, "Status": "active"},
            headers=account.headers(),
        )
        body = assert_error(response, 400, "UNKNOWN_PARAMETER")
        assert [error["field"] for error in body["details"]["errors"]] == ["tag", "Status"]
        assert "tag" in body["message"]

    @pytest.mark.parametrize("sort", ["created_at", "updated_at", "first_name", "last_name"])
    @pytest.mark.parametrize("order", ["asc", "desc"])
    async def test_walking_all_pages_returns_each_lead_once(
        self, client: InProcessClient, account: Account, sort: str, order: str
    ) -> None:
        # Many leads share a sort key (same names; timestamps may collide), so only the id
        # tie-break keeps pages from overlapping or skipping.
        ids = set()
        for i in range(23):
            lead = await account.create_lead(
                first_name="Same", last_name="Name", email=f"s{i}@x.io"
            )
            ids.add(lead["id"])
        seen: list[str] = []
        offset = 0
        while True:
            body = await list_leads(client, account, limit=5, offset=offset, sort=sort, order=order)
            assert body["total"] == 23
            seen.extend(lead["id"] for lead in body["data"])
            if len(body["data"]) < 5:
                break
            offset += 5
        assert len(seen) == len(ids)
        assert set(seen) == ids

    async def test_offset_past_the_end(
        self, client: InProcessClient, account: Account, people: list[dict[str, object]]
    ) -> None:
        body = await list_leads(client, account, offset=100)
        assert body["data"] == []
        assert body["total"] == len(PEOPLE)
        assert body["offset"] == 100


class TestSorting:
    async def test_first_name_ascending_is_case_insensitive(
        self, client: InProcessClient, account: Account, people: list[dict[str, object]]
    ) -> None:
        body = await list_leads(client, account, sort="first_name", order="asc")
        names = [lead["first_name"] for lead in body["data"]]
        assert names == ["Alice", "bob", "Carol", "John", "Johnny", "Émile"]

    async def test_last_name_descending(
        self, client: InProcessClient, account: Account, people: list[dict[str, object]]
    ) -> None:
        body = await list_leads(client, account, sort="last_name", order="desc")
        names = [lead["last_name"] for lead in body["data"]]
        assert names == ["Zola", "Stone", "Smith", "Johnson", "Danvers", "Bravo"]

    async def test_updated_at_follows_updates(
        self, client: InProcessClient, account: Account, people: list[dict[str, object]]
    ) -> None:
        oldest = people[0]["id"]
        response = await client.patch(
            f"{API}/leads/{oldest}", json={"notes": "touched"}, headers=account.headers()
        )
        assert response.status_code == 200
        body = await list_leads(client, account, sort="updated_at", order="desc")
        assert body["data"][0]["id"] == oldest


class TestFilters:
    @pytest.mark.parametrize(
        ("search", "expected"),
        [
            ("john", {"John", "Johnny", "Alice", "bob"}),  # first, last name and email
            ("JOHN", {"John", "Johnny", "Alice", "bob"}),
            ("john smith", {"John"}),  # "first last"
            ("ny br", {"Johnny"}),  # across the space of "Johnny Bravo"
            ("@shield.gov", {"Carol"}),
            ("émile", {"Émile"}),
            ("ÉMILE", {"Émile"}),  # non-ASCII case folding
            ("%", set()),  # LIKE wildcards are literal
            ("_", set()),
            ("nobody", set()),
        ],
    )
    async def test_search(
        self,
        client: InProcessClient,
        account: Account,
        people: list[dict[str, object]],
        search: str,
        expected: set[str],
    ) -> None:
        body = await list_leads(client, account, search=search)
        assert {lead["first_name"] for lead in body["data"]} == expected
        assert body["total"] == len(expected)

    async def test_company_substring_case_insensitive(
        self, client: InProcessClient, account: Account, people: list[dict[str, object]]
    ) -> None:
        body = await list_leads(client, account, company="EXAMPLE")
        assert {lead["first_name"] for lead in body["data"]} == {"Alice", "Émile"}

    async def test_status(
        self, client: InProcessClient, account: Account, people: list[dict[str, object]]
    ) -> None:
        body = await list_leads(client, account, status="active")
        assert {lead["first_name"] for lead in body["data"]} == {"John", "Alice", "Émile", "Carol"}
        assert body["total"] == 4

    async def test_filters_combine_and_total_counts_matches_not_page(
        self, client: InProcessClient, account: Account, people: list[dict[str, object]]
    ) -> None:
        body = await list_leads(client, account, search="john", status="active", limit=1)
        assert len(body["data"]) == 1
        assert body["total"] == 2  # John Smith and Alice Johnson


async def test_the_page_size_clamp_holds_on_the_rows_returned(
    client: InProcessClient, account: Account
) -> None:
    """Past 100 stored leads, a page asked for 500 holds 100 rows, not only says so."""
    for n in range(102):
        await account.create_lead(first_name=f"Clamp{n}", email=f"clamp{n}@example.com")
    body = await list_leads(client, account, limit=500)
    assert (body["limit"], len(body["data"]), body["total"]) == (100, 100, 102)
    rest = await list_leads(client, account, limit=500, offset=100)
    assert len(rest["data"]) == 2
    assert {lead["id"] for lead in body["data"]}.isdisjoint(lead["id"] for lead in rest["data"])
