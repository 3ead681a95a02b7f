"""GET /leads filters for imports and exports: tags (any of), created/updated after and
before, has_email; their refusals (422) and the query rules (400)."""

from __future__ import annotations

from typing import Any

import pytest

from server_testing import API, Account, InProcessClient, assert_error


@pytest.fixture
async def people(account: Account) -> list[dict[str, Any]]:
    tags = [["vip"], ["vip", "cold"], [], ["cold"], ["VIP"], ["warm, hot"]]
    return [
        await account.create_lead(first_name=f"P{i}", email=f"p{i}@x.io", tags=t)
        for i, t in enumerate(tags)
    ]


async def ids(account: Account, **params: Any) -> list[str]:
    response = await account.client.get(
        f"{API}/leads", params={"order": "asc", **params}, headers=account.headers()
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["data"])
    return [lead["id"] for lead in body["data"]]


async def test_tags_any_of(account: Account, people: list[dict[str, Any]]) -> None:
    by = [p["id"] for p in people]
    assert await ids(account, tags="vip") == [by[0], by[1]]  # exact, case-sensitive
    assert await ids(account, tags="vip,cold") == [by[0], by[1], by[3]]
    assert await ids(account, tags=" cold , nope,") == [by[1], by[3]]
    assert await ids(account, tags="nope") == []
    assert await ids(account, tags="vip", search="p1") == [by[1]]


async def test_created_and_updated_windows(account: Account, people: list[dict[str, Any]]) -> None:
    by = [p["id"] for p in people]
    created = [p["created_at"] for p in people]
    assert await ids(account, created_after=created[2]) == by[3:]  # strictly after
    assert await ids(account, created_before=created[2]) == by[:2]
    assert await ids(account, created_after=created[0], created_before=created[3]) == by[1:3]
    response = await account.client.patch(
        f"{API}/leads/{by[1]}", json={"company": "Changed"}, headers=account.headers()
    )
    assert response.status_code == 200
    changed = response.json()["updated_at"]
    assert await ids(account, updated_after=created[-1]) == [by[1]]
    assert await ids(account, updated_before=changed) == [by[0], *by[2:]]
    # Any offset, as RFC 3339 allows.
    assert await ids(account, created_after="2000-01-01T05:00:00+05:00") == by
    assert await ids(account, created_before="2000-01-01T00:00:00Z") == []


async def test_has_email(account: Account, people: list[dict[str, Any]]) -> None:
    # Every lead has an email (it is required): true keeps all, false none.
    assert await ids(account, has_email="true") == [p["id"] for p in people]
    assert await ids(account, has_email="false") == []


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("created_after", "2026-01-01"),
        ("created_before", "2026-01-01T00:00:00"),
        ("updated_after", "tomorrow"),
        ("updated_before", ""),
        ("has_email", "1"),
        ("has_email", "True"),
        ("tags", "x" * 2551),
    ],
)
async def test_bad_values_are_422(
    client: InProcessClient, account: Account, name: str, value: str
) -> None:
    response = await client.get(f"{API}/leads", params={name: value}, headers=account.headers())
    body = assert_error(response, 422, "VALIDATION_ERROR")
    assert body["details"]["errors"][0]["field"] == name


async def test_unknown_and_repeated_parameters_are_400(
    client: InProcessClient, account: Account
) -> None:
    response = await client.get(f"{API}/leads", params={"tag": "vip"}, headers=account.headers())
    assert_error(response, 400, "UNKNOWN_PARAMETER")
    response = await client.get(
        f"{API}/leads", params=[("tags", "a"), ("tags", "b")], headers=account.headers()
    )
    assert_error(response, 400, "INVALID_REQUEST")
