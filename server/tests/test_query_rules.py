"""Query strings on every route: unknown parameters are refused (400 UNKNOWN_PARAMETER, as
Stripe does) and integer parameters are strict (422). The routes and their parameters are
read from the OpenAPI document, so a route or parameter added later is covered too."""

from __future__ import annotations

from typing import Any

import pytest

from server_testing import API, Account, InProcessClient, assert_error

BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/api/v2/leads"): {"first_name": "Ada", "last_name": "L", "email": "ada@example.com"},
    ("patch", "/api/v2/leads/{lead_id}"): {"company": "Changed"},
    ("post", "/api/v2/keys"): {"name": "k", "permissions": ["leads:read"]},
}
NOT_INTEGERS = ["1.0", "1e3", "+1", " 1", "", "0x10", "ten", "1_000"]


async def _operations(client: InProcessClient) -> list[tuple[str, str, dict[str, Any]]]:
    schema = (await client.get(f"{API}/openapi.json")).json()
    return [
        (method, path, operation)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    ]


@pytest.fixture(params=[True, False], ids=["hot-paths", "litestar-only"])
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"hot_paths": request.param}


async def test_unknown_parameters_are_refused_on_every_route(
    client: InProcessClient, account: Account
) -> None:
    lead = await account.create_lead()
    await account.key_with("leads:read", name="spare")
    keys = (await client.get(f"{API}/keys", headers=account.headers())).json()["data"]
    spare = next(k["id"] for k in keys if k["name"] == "spare")
    operations = await _operations(client)
    assert len(operations) >= 9
    for method, path, _operation in operations:
        url = path.replace("{lead_id}", lead["id"]).replace("{key_id}", spare)
        before = await _state(client, account)
        response = await client.request(
            method,
            f"{url}?tag=x&Tag&tag=y",  # a bare name is a parameter too
            headers=account.headers(),
            json=BODIES.get((method, path)),
        )
        body = assert_error(response, 400, "UNKNOWN_PARAMETER")
        errors = body["details"]["errors"]
        assert [error["field"] for error in errors] == ["tag", "Tag"], (method, path)
        assert {error["source"] for error in errors} == {"query"}
        # Refused before anything was done.
        assert await _state(client, account) == before, (method, path)


async def _state(client: InProcessClient, account: Account) -> Any:
    leads = (await client.get(f"{API}/leads?limit=100", headers=account.headers())).json()
    keys = (await client.get(f"{API}/keys", headers=account.headers())).json()["data"]
    # last_used moves with every request; what matters is which keys exist and are active.
    return leads, [(key["id"], key["is_active"]) for key in keys]


async def test_a_parameter_given_twice_is_refused(
    client: InProcessClient, account: Account
) -> None:
    # limit=5&limit=200 used to apply the last one, silently.
    response = await client.get(
        f"{API}/leads?limit=5&offset=0&limit=200&order=asc&order=asc", headers=account.headers()
    )
    body = assert_error(response, 400, "INVALID_REQUEST")
    assert [error["field"] for error in body["details"]["errors"]] == ["limit", "order"]


def _integer_parameters(operation: dict[str, Any]) -> list[str]:
    names = []
    for parameter in operation.get("parameters", []):
        types = parameter["schema"].get("type")
        if parameter["in"] == "query" and "integer" in (
            types if isinstance(types, list) else [types]
        ):
            names.append(parameter["name"])
    return names


async def test_integer_parameters_are_strict(client: InProcessClient, account: Account) -> None:
    await account.create_lead()
    checked = []
    for _method, path, operation in await _operations(client):
        for name in _integer_parameters(operation):
            for value in NOT_INTEGERS:
                response = await client.get(path, params={name: value}, headers=account.headers())
                body = assert_error(response, 422, "VALIDATION_ERROR")
                assert [e["field"] for e in body["details"]["errors"]] == [name], value
            checked.append((path, name))
    assert ("/api/v2/leads", "limit") in checked
    assert ("/api/v2/leads", "offset") in checked


async def test_offset_written_as_a_float_is_not_applied(
    client: InProcessClient, account: Account
) -> None:
    for i in range(3):
        await account.create_lead(email=f"p{i}@example.com")
    response = await client.get(f"{API}/leads?offset=1e0", headers=account.headers())
    assert_error(response, 422, "VALIDATION_ERROR")
    response = await client.get(f"{API}/leads?offset=1&limit=2", headers=account.headers())
    assert response.status_code == 200
    assert (response.json()["offset"], response.json()["limit"]) == (1, 2)
