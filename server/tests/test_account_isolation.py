"""Every route that takes an id, given another account's id: 404, answered exactly as an
unknown id is (same status, code, message, details, headers), on hot paths on and off, and
the other account's resource is unchanged afterwards. Lists never show another account's
resources.

The id-taking routes are read from the app: one added without a line in ``ID_ROUTES``
fails here.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from litestar import Litestar

from buena_server.jobs.service import submit_job
from buena_server.kit.ids import new_id
from buena_server.kit.openapi_docs import BASE_PATH
from buena_server.services import services_of

from server_testing import API, PUBLIC_PATHS, Account, InProcessClient, assert_error, served_routes
from voice_testing import created

# Differ between two otherwise equal answers.
VOLATILE_FIELDS = {"timestamp", "request_id"}
VOLATILE_HEADERS = {"date", "x-request-id", "x-ratelimit-remaining", "x-ratelimit-reset"}
_unique = itertools.count()


@dataclass(frozen=True)
class Resource:
    """An account's resource and how to look at it as its owner."""

    id: str
    # The owner's view of it (compared before and after another account's request).
    view: Callable[[], Awaitable[Any]]


async def _lead_of(owner: Account) -> Resource:
    lead = await owner.create_lead(
        email=f"owned{next(_unique)}@example.com", tags=["mine"], custom_fields={"tier": "gold"}
    )

    async def view() -> Any:
        response = await owner.client.get(f"{API}/leads/{lead['id']}", headers=owner.headers())
        return response.status_code, response.json()

    return Resource(lead["id"], view)


async def _key_of(owner: Account) -> Resource:
    created = await owner.client.post(
        f"{API}/keys",
        json={"name": "owned", "permissions": ["leads:read"]},
        headers=owner.headers(),
    )
    assert created.status_code == 201, created.text
    key = created.json()

    async def view() -> Any:
        listed = await owner.client.get(f"{API}/keys", headers=owner.headers())
        record = next(k for k in listed.json()["data"] if k["id"] == key["id"])
        # The key itself still works.
        works = await owner.client.get(f"{API}/leads", headers={"x-api-key": key["key"]})
        return record["is_active"], record["name"], record["permissions"], works.status_code

    return Resource(key["id"], view)


async def _webhook_of(owner: Account) -> Resource:
    created = await owner.client.post(
        f"{API}/webhooks",
        json={"url": "https://hooks.invalid/owned", "events": ["lead.created"]},
        headers=owner.headers(),
    )
    assert created.status_code == 201, created.text
    hook = created.json()

    async def view() -> Any:
        response = await owner.client.get(f"{API}/webhooks/{hook['id']}", headers=owner.headers())
        return response.status_code, response.json()

    return Resource(hook["id"], view)


async def _event_of(owner: Account) -> Resource:
    lead = await owner.create_lead(email=f"evented{next(_unique)}@example.com")
    listed = await owner.client.get(
        f"{API}/events", params={"type": "lead.created"}, headers=owner.headers()
    )
    event = next(e for e in listed.json()["data"] if e["data"]["object"]["id"] == lead["id"])

    async def view() -> Any:
        response = await owner.client.get(f"{API}/events/{event['id']}", headers=owner.headers())
        return response.status_code, response.json()

    return Resource(event["id"], view)


async def _job_of(owner: Account) -> Resource:
    async with services_of(owner.client.app).database.transaction(write=True) as conn:
        job = await submit_job(conn, owner.id, "test.isolation", total=1, params={})
    # Canceled by its owner, so that nothing changes it while the test runs.
    canceled = await owner.client.post(f"{API}/jobs/{job.id}/cancel", headers=owner.headers())
    assert canceled.status_code == 200, canceled.text

    async def view() -> Any:
        response = await owner.client.get(f"{API}/jobs/{job.id}", headers=owner.headers())
        return response.status_code, response.json()

    return Resource(job.id, view)


async def _action_of(owner: Account) -> Resource:
    connected = await owner.client.put(
        f"{API}/integrations/linkedin",
        json={"profile_url": "linkedin.com/in/owner"},
        headers=owner.headers(),
    )
    assert connected.status_code == 200, connected.text
    made = await owner.client.post(
        f"{API}/linkedin/actions",
        json={
            "action_type": "view_profile",
            "profile_url": f"linkedin.com/in/owned-{next(_unique)}",
        },
        headers=owner.headers(),
    )
    assert made.status_code == 202, made.text
    action_id = made.json()["id"]

    async def view() -> Any:
        response = await owner.client.get(
            f"{API}/linkedin/actions/{action_id}", headers=owner.headers()
        )
        return response.status_code, response.json()

    return Resource(action_id, view)


async def _prospect_list_of(owner: Account) -> Resource:
    made = await owner.client.post(
        f"{API}/prospect-lists",
        json={"name": "owned", "prospects": [{"email": f"p{next(_unique)}@example.com"}]},
        headers=owner.headers(),
    )
    assert made.status_code == 201, made.text
    list_id = made.json()["id"]

    async def view() -> Any:
        response = await owner.client.get(
            f"{API}/prospect-lists/{list_id}/prospects", headers=owner.headers()
        )
        return response.status_code, response.json()

    return Resource(list_id, view)


async def _voice_clone_of(owner: Account) -> Resource:
    made = await created(owner)
    clone_id = made["id"]

    async def view() -> Any:
        response = await owner.client.get(f"{API}/voice-clones/{clone_id}", headers=owner.headers())
        return response.status_code, response.json()

    return Resource(clone_id, view)


@dataclass(frozen=True)
class IdRoute:
    make: Callable[[Account], Awaitable[Resource]]
    id_prefix: str
    code: str
    body: dict[str, Any] | None = None


# The contract: each id-taking route, how to make what it names, and its not-found code.
ID_ROUTES: dict[tuple[str, str], IdRoute] = {
    ("GET", f"{BASE_PATH}/leads/{{lead_id}}"): IdRoute(_lead_of, "lead", "LEAD_NOT_FOUND"),
    ("PATCH", f"{BASE_PATH}/leads/{{lead_id}}"): IdRoute(
        _lead_of,
        "lead",
        "LEAD_NOT_FOUND",
        {"company": "Taken over", "tags": [], "custom_fields": {"tier": None}},
    ),
    ("DELETE", f"{BASE_PATH}/leads/{{lead_id}}"): IdRoute(_lead_of, "lead", "LEAD_NOT_FOUND"),
    ("GET", f"{BASE_PATH}/leads/{{lead_id}}/enrichment"): IdRoute(
        _lead_of, "lead", "LEAD_NOT_FOUND"
    ),
    ("GET", f"{BASE_PATH}/leads/{{lead_id}}/activities"): IdRoute(
        _lead_of, "lead", "LEAD_NOT_FOUND"
    ),
    ("GET", f"{BASE_PATH}/linkedin/actions/{{action_id}}"): IdRoute(
        _action_of, "lia", "LINKEDIN_ACTION_NOT_FOUND"
    ),
    ("POST", f"{BASE_PATH}/linkedin/actions/{{action_id}}/cancel"): IdRoute(
        _action_of, "lia", "LINKEDIN_ACTION_NOT_FOUND"
    ),
    ("DELETE", f"{BASE_PATH}/keys/{{key_id}}"): IdRoute(_key_of, "key", "API_KEY_NOT_FOUND"),
    **{
        (method, f"{BASE_PATH}/webhooks/{{webhook_id}}{below}"): IdRoute(
            _webhook_of, "wh", "WEBHOOK_NOT_FOUND", body
        )
        for method, below, body in (
            ("GET", "", None),
            ("PATCH", "", {"description": "Taken over", "events": ["*"]}),
            ("DELETE", "", None),
            ("POST", "/rotate-secret", None),
            ("GET", "/deliveries", None),
            ("POST", "/deliveries/{delivery_id}/redeliver", None),
        )
    },
    ("GET", f"{BASE_PATH}/events/{{event_id}}"): IdRoute(_event_of, "evt", "EVENT_NOT_FOUND"),
    **{
        (method, f"{BASE_PATH}/prospect-lists/{{list_id}}{below}"): IdRoute(
            _prospect_list_of, "pl", "PROSPECT_LIST_NOT_FOUND", body
        )
        for method, below, body in (
            ("GET", "", None),
            ("GET", "/prospects", None),
            ("POST", "/convert", None),
            ("POST", "/schedule", {"action_type": "view_profile"}),
        )
    },
    **{
        (method, f"{BASE_PATH}/jobs/{{job_id}}{below}"): IdRoute(_job_of, "job", "JOB_NOT_FOUND")
        for method, below in (("GET", ""), ("GET", "/result"), ("POST", "/cancel"))
    },
    **{
        (method, f"{BASE_PATH}/voice-clones/{{voice_id}}"): IdRoute(
            _voice_clone_of, "voice", "VOICE_CLONE_NOT_FOUND", body
        )
        for method, body in (
            ("GET", None),
            ("PATCH", {"name": "Taken over", "labels": {}}),
            ("DELETE", None),
        )
    },
}


def id_routes(app: Litestar) -> list[tuple[str, str]]:
    return sorted(
        {
            (method, path)
            for method, path, _handler in served_routes(app)
            if "{" in path and path not in PUBLIC_PATHS
        }
    )


def _comparable(response: httpx.Response, the_id: str) -> tuple[int, Any, dict[str, str]]:
    """The answer with the id it names replaced, and what differs between any two answers
    left out."""
    body = response.json() if response.content else None
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k not in VOLATILE_FIELDS}
        body = _replaced(body, the_id)
    headers = {k: v for k, v in response.headers.items() if k not in VOLATILE_HEADERS}
    return response.status_code, body, headers


def _replaced(value: Any, the_id: str) -> Any:
    if isinstance(value, dict):
        return {k: _replaced(v, the_id) for k, v in value.items()}
    if isinstance(value, list):
        return [_replaced(v, the_id) for v in value]
    if isinstance(value, str):
        return value.replace(the_id, "<id>")
    return value


@pytest.fixture(params=[True, False], ids=["hot-paths", "litestar-only"])
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"hot_paths": request.param}


def test_every_id_taking_route_is_in_the_table(app: Litestar) -> None:
    served = {("GET" if method == "HEAD" else method, path) for method, path in id_routes(app)}
    assert served == set(ID_ROUTES)


async def test_another_accounts_id_is_answered_as_an_unknown_one(
    client: InProcessClient, account: Account, other_account: Account
) -> None:
    routes = id_routes(client.app)
    assert routes
    # HEAD on each GET path, however the app answers it; left out where it is refused (405).
    for path in sorted({path for method, path in routes if method == "GET"}):
        if ("HEAD", path) not in routes:
            target = re.sub(r"\{\w+\}", new_id("x"), path)
            if (await client.head(target, headers=account.headers())).status_code != 405:
                routes.append(("HEAD", path))
    for method, path in routes:
        route = ID_ROUTES["GET" if method == "HEAD" else method, path]
        owned = await route.make(account)
        before = await owned.view()
        unknown = new_id(route.id_prefix)
        assert len(unknown) == len(owned.id)

        def target(the_id: str, path: str = path) -> str:
            return re.sub(r"\{\w+\}", the_id, path)

        intruding = await client.request(
            method, target(owned.id), json=route.body, headers=other_account.headers()
        )
        missing = await client.request(
            method, target(unknown), json=route.body, headers=other_account.headers()
        )
        case = f"{method} {path}"
        assert intruding.status_code == 404, (case, intruding.text)
        if method != "HEAD":
            assert_error(intruding, 404, route.code)
        assert _comparable(intruding, owned.id) == _comparable(missing, unknown), case
        # Untouched: the owner sees exactly what it saw before.
        assert await owned.view() == before, case


async def test_lists_show_only_the_callers_account(
    client: InProcessClient, account: Account, other_account: Account
) -> None:
    lead = await _lead_of(account)
    key = await _key_of(account)
    leads = await client.get(
        f"{API}/leads", params={"search": "owned"}, headers=other_account.headers()
    )
    assert leads.status_code == 200
    assert leads.json()["total"] == 0
    everything = await client.get(f"{API}/leads?limit=100", headers=other_account.headers())
    assert lead.id not in everything.text
    keys = await client.get(f"{API}/keys", headers=other_account.headers())
    assert keys.status_code == 200
    assert key.id not in keys.text
    assert [k["id"] for k in keys.json()["data"]] == [other_account.key_id]
