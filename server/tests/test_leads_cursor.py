"""Cursor paging on GET /leads and GET /keys: next_cursor, stability under concurrent
inserts and deletes, refusals (cursor with offset, malformed, made for another list)."""

from __future__ import annotations

from typing import Any

import pytest

from server_testing import API, Account, InProcessClient, assert_error


async def page(account: Account, path: str = "/leads", **params: Any) -> dict[str, Any]:
    response = await account.client.get(f"{API}{path}", params=params, headers=account.headers())
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def walk(account: Account, path: str = "/leads", **params: Any) -> list[str]:
    """Every id, page by page through next_cursor."""
    ids: list[str] = []
    cursor = None
    while True:
        body = await page(account, path, **params, **({"cursor": cursor} if cursor else {}))
        ids += [item["id"] for item in body["data"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return ids
        assert len(body["data"]) == body["limit"]


@pytest.fixture
async def people(account: Account) -> list[dict[str, Any]]:
    # Many equal last names: ties in the sort, broken by id.
    return [
        await account.create_lead(
            first_name=f"P{i:02d}", last_name="Doe" if i % 3 else "Ames", email=f"p{i}@x.io"
        )
        for i in range(23)
    ]


@pytest.mark.parametrize("sort", ["created_at", "updated_at", "first_name", "last_name"])
@pytest.mark.parametrize("order", ["asc", "desc"])
async def test_cursor_pages_match_one_big_page(
    account: Account, people: list[dict[str, Any]], sort: str, order: str
) -> None:
    whole = await page(account, sort=sort, order=order, limit=100)
    assert whole["next_cursor"] is None
    assert await walk(account, sort=sort, order=order, limit=5) == [
        lead["id"] for lead in whole["data"]
    ]


async def test_last_page_has_no_cursor(account: Account, people: list[dict[str, Any]]) -> None:
    body = await page(account, limit=23)
    assert len(body["data"]) == 23
    assert body["next_cursor"] is None
    assert (await page(account, limit=22))["next_cursor"] is not None


async def test_offset_still_works_and_gives_a_cursor(
    account: Account, people: list[dict[str, Any]]
) -> None:
    whole = [lead["id"] for lead in (await page(account, limit=100))["data"]]
    by_offset = await page(account, limit=5, offset=10)
    assert [lead["id"] for lead in by_offset["data"]] == whole[10:15]
    following = await page(account, limit=5, cursor=by_offset["next_cursor"])
    assert [lead["id"] for lead in following["data"]] == whole[15:20]
    assert following["total"] == 23


async def test_filters_carry_through_the_cursor(
    account: Account, people: list[dict[str, Any]]
) -> None:
    ames = [p["id"] for p in people if p["last_name"] == "Ames"]
    assert sorted(await walk(account, search="ames", limit=2)) == sorted(ames)


async def test_stable_under_concurrent_inserts_and_deletes(
    account: Account, people: list[dict[str, Any]]
) -> None:
    """Each lead present from the first page to the last is listed exactly once, whatever
    is created or deleted between pages; no lead is listed twice."""
    for sort, order in (("created_at", "desc"), ("last_name", "asc"), ("first_name", "desc")):
        doomed = {p["id"] for p in people[::4]}
        throughout = {p["id"] for p in people} - doomed
        seen: list[str] = []
        cursor = None
        round_ = 0
        while True:
            params: dict[str, Any] = {"limit": 4, "sort": sort, "order": order}
            if cursor:
                params["cursor"] = cursor
            body = await page(account, **params)
            seen += [lead["id"] for lead in body["data"]]
            cursor = body["next_cursor"]
            if cursor is None:
                break
            # Between pages: a lead that sorts anywhere, and a doomed one deleted.
            round_ += 1
            await account.create_lead(
                first_name=f"N{sort}{round_}", last_name="Doe", email=f"n{sort}{round_}@x.io"
            )
            if doomed:
                gone = doomed.pop()
                response = await account.client.delete(
                    f"{API}/leads/{gone}", headers=account.headers()
                )
                assert response.status_code == 200
        assert len(seen) == len(set(seen)), "a lead was listed twice"
        assert throughout <= set(seen), "a lead present throughout was skipped"
        people = [p for p in people if p["id"] not in doomed]
        # Deleted leads stay deleted for the next sort.
        people = [
            p
            for p in people
            if (
                await account.client.get(f"{API}/leads/{p['id']}", headers=account.headers())
            ).status_code
            == 200
        ]


async def test_cursor_with_offset_is_400_naming_both(
    account: Account, people: list[dict[str, Any]]
) -> None:
    cursor = (await page(account, limit=5))["next_cursor"]
    response = await account.client.get(
        f"{API}/leads", params={"cursor": cursor, "offset": 5}, headers=account.headers()
    )
    body = assert_error(response, 400, "INVALID_REQUEST")
    assert {e["field"] for e in body["details"]["errors"]} == {"cursor", "offset"}


@pytest.mark.parametrize(
    "cursor", ["not base64 !", "bm90IGpzb24", "WzEsImEiLCJ0IiwieCIsImxlYWRfMSJd", "A" * 2000]
)
async def test_malformed_cursor_is_422(
    client: InProcessClient, account: Account, cursor: str
) -> None:
    for path in ("/leads", "/keys"):
        response = await client.get(
            f"{API}{path}", params={"cursor": cursor}, headers=account.headers()
        )
        body = assert_error(response, 422, "INVALID_CURSOR")
        assert body["details"]["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize(
    "other",
    [
        {"sort": "first_name"},
        {"order": "asc"},
        {"search": "doe"},
        {"status": "active"},
        {"tags": "vip"},
        {"created_after": "2020-01-01T00:00:00Z"},
    ],
)
async def test_cursor_of_another_list_is_422(
    account: Account, people: list[dict[str, Any]], other: dict[str, str]
) -> None:
    cursor = (await page(account, limit=5))["next_cursor"]
    response = await account.client.get(
        f"{API}/leads", params={"cursor": cursor, **other}, headers=account.headers()
    )
    assert_error(response, 422, "INVALID_CURSOR")


async def test_keys_cursor_is_not_a_leads_cursor(
    account: Account, people: list[dict[str, Any]]
) -> None:
    for i in range(3):
        await account.key_with("leads:read", name=f"k{i}")
    keys_cursor = (await page(account, "/keys", limit=2))["next_cursor"]
    leads_cursor = (await page(account, limit=2))["next_cursor"]
    assert_error(
        await account.client.get(
            f"{API}/leads", params={"cursor": keys_cursor}, headers=account.headers()
        ),
        422,
        "INVALID_CURSOR",
    )
    assert_error(
        await account.client.get(
            f"{API}/keys", params={"cursor": leads_cursor}, headers=account.headers()
        ),
        422,
        "INVALID_CURSOR",
    )


async def test_keys_pages_by_cursor(account: Account) -> None:
    for i in range(6):
        await account.key_with("leads:read", name=f"k{i}")
    whole = await page(account, "/keys", limit=100)
    assert whole["next_cursor"] is None
    assert await walk(account, "/keys", limit=2) == [key["id"] for key in whole["data"]]
    response = await account.client.get(
        f"{API}/keys", params={"cursor": "x", "offset": 0}, headers=account.headers()
    )
    assert_error(response, 400, "INVALID_REQUEST")
