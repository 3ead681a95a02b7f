"""Every route and every permission: exactly the keys that hold a route's permission get past
it, on hot paths on and off (GET /leads/{id} and POST /leads are answered by hot_paths.py
when on).

The routes are read from the app, so a route added without a line in ``API_ROUTES`` (or in
``PUBLIC_PATHS``) fails here. ``API_ROUTES`` is the contract (docs/api.md, the SDK
reference); the permission a route *declares* is read from its guards
(``auth.guards.declared_permissions``) and must match it, and so must what the route *does*.
HEAD is held to the permission of GET on the same path.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from litestar import Litestar

from buena_server.app import hot_paths_of
from buena_server.auth.guards import declared_permissions
from buena_server.auth.permissions import Permission
from buena_server.kit.openapi_docs import BASE_PATH

from server_testing import (
    ANY_METHOD,
    API,
    PUBLIC_PATHS,
    Account,
    InProcessClient,
    assert_error,
    served_routes,
)

# The contract: the one permission each API route requires.
API_ROUTES: dict[tuple[str, str], Permission] = {
    ("GET", f"{BASE_PATH}/leads"): Permission.LEADS_READ,
    ("POST", f"{BASE_PATH}/leads"): Permission.LEADS_WRITE,
    ("POST", f"{BASE_PATH}/leads/batch"): Permission.LEADS_WRITE,
    ("GET", f"{BASE_PATH}/leads/export"): Permission.LEADS_READ,
    ("GET", f"{BASE_PATH}/leads/{{lead_id}}"): Permission.LEADS_READ,
    ("PATCH", f"{BASE_PATH}/leads/{{lead_id}}"): Permission.LEADS_WRITE,
    ("DELETE", f"{BASE_PATH}/leads/{{lead_id}}"): Permission.LEADS_DELETE,
    ("GET", f"{BASE_PATH}/keys"): Permission.API_KEYS_READ,
    ("POST", f"{BASE_PATH}/keys"): Permission.API_KEYS_WRITE,
    ("DELETE", f"{BASE_PATH}/keys/{{key_id}}"): Permission.API_KEYS_WRITE,
    ("GET", f"{BASE_PATH}/webhooks"): Permission.WEBHOOKS_READ,
    ("POST", f"{BASE_PATH}/webhooks"): Permission.WEBHOOKS_WRITE,
    ("GET", f"{BASE_PATH}/webhooks/{{webhook_id}}"): Permission.WEBHOOKS_READ,
    ("PATCH", f"{BASE_PATH}/webhooks/{{webhook_id}}"): Permission.WEBHOOKS_WRITE,
    ("DELETE", f"{BASE_PATH}/webhooks/{{webhook_id}}"): Permission.WEBHOOKS_WRITE,
    ("POST", f"{BASE_PATH}/webhooks/{{webhook_id}}/rotate-secret"): Permission.WEBHOOKS_WRITE,
    ("GET", f"{BASE_PATH}/webhooks/{{webhook_id}}/deliveries"): Permission.WEBHOOKS_READ,
    (
        "POST",
        f"{BASE_PATH}/webhooks/{{webhook_id}}/deliveries/{{delivery_id}}/redeliver",
    ): Permission.WEBHOOKS_WRITE,
    ("GET", f"{BASE_PATH}/events"): Permission.WEBHOOKS_READ,
    ("GET", f"{BASE_PATH}/events/{{event_id}}"): Permission.WEBHOOKS_READ,
    ("GET", f"{BASE_PATH}/credits"): Permission.LEADS_ENRICH,
    ("POST", f"{BASE_PATH}/enrich"): Permission.LEADS_ENRICH,
    ("GET", f"{BASE_PATH}/leads/{{lead_id}}/enrichment"): Permission.LEADS_READ,
    ("GET", f"{BASE_PATH}/leads/{{lead_id}}/activities"): Permission.LEADS_READ,
    ("GET", f"{BASE_PATH}/jobs"): Permission.JOBS_READ,
    ("GET", f"{BASE_PATH}/jobs/{{job_id}}"): Permission.JOBS_READ,
    ("GET", f"{BASE_PATH}/jobs/{{job_id}}/result"): Permission.JOBS_READ,
    ("POST", f"{BASE_PATH}/jobs/{{job_id}}/cancel"): Permission.JOBS_UPDATE,
    ("GET", f"{BASE_PATH}/integrations/linkedin"): Permission.LINKEDIN_READ,
    ("PUT", f"{BASE_PATH}/integrations/linkedin"): Permission.LINKEDIN_SCHEDULE,
    ("DELETE", f"{BASE_PATH}/integrations/linkedin"): Permission.LINKEDIN_SCHEDULE,
    ("POST", f"{BASE_PATH}/linkedin/actions"): Permission.LINKEDIN_SCHEDULE,
    ("GET", f"{BASE_PATH}/linkedin/actions"): Permission.LINKEDIN_READ,
    ("GET", f"{BASE_PATH}/linkedin/actions/{{action_id}}"): Permission.LINKEDIN_READ,
    ("POST", f"{BASE_PATH}/linkedin/actions/{{action_id}}/cancel"): Permission.LINKEDIN_SCHEDULE,
    ("POST", f"{BASE_PATH}/linkedin/scheduleLinkedInAction"): Permission.LINKEDIN_SCHEDULE,
    ("POST", f"{BASE_PATH}/prospect-lists"): Permission.LINKEDIN_UPLOAD,
    ("POST", f"{BASE_PATH}/prospect-lists/import"): Permission.LINKEDIN_UPLOAD,
    ("GET", f"{BASE_PATH}/prospect-lists"): Permission.LINKEDIN_UPLOAD,
    ("GET", f"{BASE_PATH}/prospect-lists/{{list_id}}"): Permission.LINKEDIN_UPLOAD,
    ("GET", f"{BASE_PATH}/prospect-lists/{{list_id}}/prospects"): Permission.LINKEDIN_UPLOAD,
    ("POST", f"{BASE_PATH}/prospect-lists/{{list_id}}/convert"): Permission.LINKEDIN_UPLOAD,
    ("POST", f"{BASE_PATH}/prospect-lists/{{list_id}}/schedule"): Permission.LINKEDIN_SCHEDULE,
    ("GET", f"{BASE_PATH}/voice-clones"): Permission.VOICE_READ,
    ("POST", f"{BASE_PATH}/voice-clones"): Permission.VOICE_CREATE,
    ("GET", f"{BASE_PATH}/voice-clones/{{voice_id}}"): Permission.VOICE_READ,
    ("PATCH", f"{BASE_PATH}/voice-clones/{{voice_id}}"): Permission.VOICE_UPDATE,
    ("DELETE", f"{BASE_PATH}/voice-clones/{{voice_id}}"): Permission.VOICE_DELETE,
    ("POST", f"{BASE_PATH}/voice-clones/preview"): Permission.VOICE_PREVIEW,
}


def contract_permission(method: str, path: str) -> Permission | None:
    """The permission the contract gives a route (HEAD: that of GET); None if it has none."""
    return API_ROUTES.get(("GET" if method == "HEAD" else method, path))


def test_every_route_declares_the_permission_of_the_contract(app: Litestar) -> None:
    served: set[tuple[str, str]] = set()
    for method, path, handler in served_routes(app):
        served.add(("GET" if method == "HEAD" else method, path))
        declared = declared_permissions(handler)
        if path in PUBLIC_PATHS:
            assert declared == frozenset(), (method, path, declared)
            continue
        required = contract_permission(method, path)
        assert required is not None, f"{method} {path} is in neither API_ROUTES nor PUBLIC_PATHS"
        assert declared == {required}, (method, path, declared)
    # No line of the contract names a route the app does not serve.
    assert set(API_ROUTES) <= served, set(API_ROUTES) - served


def test_the_openapi_document_names_each_routes_permission(app: Litestar) -> None:
    paths = app.openapi_schema.paths or {}
    for (method, path), permission in API_ROUTES.items():
        operation = getattr(paths[path], method.lower())
        assert operation is not None, (method, path)
        assert f"`{permission}`" in (operation.description or ""), (method, path)


# -- behaviour ----------------------------------------------------------------------------

# A request to a route: (path below /api/v2, JSON body or None), built anew for each key so
# that a permitted write (a delete, a revoke) never takes away what the next key's request
# needs. A route without a builder gets an unknown id and an empty body, and is then held
# only to "not 401, not 403" when permitted.
RequestBuilder = Callable[[Account], Awaitable[tuple[str, Any]]]
_unique = itertools.count()


async def _new_lead(account: Account) -> str:
    lead = await account.create_lead(email=f"table{next(_unique)}@example.com")
    lead_id: str = lead["id"]
    return lead_id


async def _new_key(account: Account) -> str:
    # Holding only api_keys:write, so that any key allowed to revoke may revoke it.
    response = await account.client.post(
        f"{API}/keys",
        json={"name": "revoked in the table", "permissions": [Permission.API_KEYS_WRITE]},
        headers=account.headers(),
    )
    assert response.status_code == 201, response.text
    key_id: str = response.json()["id"]
    return key_id


async def _list_leads(_account: Account) -> tuple[str, Any]:
    return "/leads", None


async def _create_lead(_account: Account) -> tuple[str, Any]:
    body = {"first_name": "Tab", "last_name": "Le", "email": f"made{next(_unique)}@example.com"}
    return "/leads", body


async def _lead(account: Account) -> tuple[str, Any]:
    return f"/leads/{await _new_lead(account)}", None


async def _update_lead(account: Account) -> tuple[str, Any]:
    return f"/leads/{await _new_lead(account)}", {"company": "Patched"}


async def _credits(_account: Account) -> tuple[str, Any]:
    return "/credits", None


async def _enrich(_account: Account) -> tuple[str, Any]:
    return "/enrich", {"leads": [{"email": "ada@analytical-engines.co.uk"}]}


async def _lead_enrichment(account: Account) -> tuple[str, Any]:
    return f"/leads/{await _new_lead(account)}/enrichment", None


async def _list_jobs(_account: Account) -> tuple[str, Any]:
    return "/jobs", None


async def _linkedin_integration(_account: Account) -> tuple[str, Any]:
    return "/integrations/linkedin", None


async def _connect_linkedin(_account: Account) -> tuple[str, Any]:
    return "/integrations/linkedin", {"profile_url": "https://www.linkedin.com/in/table-owner"}


async def _list_linkedin_actions(_account: Account) -> tuple[str, Any]:
    return "/linkedin/actions", None


async def _list_keys(_account: Account) -> tuple[str, Any]:
    return "/keys", None


async def _create_key(_account: Account) -> tuple[str, Any]:
    return "/keys", {"name": "made in the table", "permissions": [Permission.API_KEYS_WRITE]}


async def _revoke_key(account: Account) -> tuple[str, Any]:
    return f"/keys/{await _new_key(account)}", None


async def _new_webhook(account: Account) -> str:
    response = await account.client.post(
        f"{API}/webhooks",
        json={"url": "https://hooks.invalid/hook", "events": ["*"]},
        headers=account.headers(),
    )
    assert response.status_code == 201, response.text
    webhook_id: str = response.json()["id"]
    return webhook_id


async def _list_webhooks(_account: Account) -> tuple[str, Any]:
    return "/webhooks", None


async def _create_webhook(_account: Account) -> tuple[str, Any]:
    return "/webhooks", {"url": "https://hooks.invalid/hook", "events": ["lead.created"]}


async def _webhook(account: Account) -> tuple[str, Any]:
    return f"/webhooks/{await _new_webhook(account)}", None


async def _update_webhook(account: Account) -> tuple[str, Any]:
    return f"/webhooks/{await _new_webhook(account)}", {"description": "Patched"}


async def _rotate_webhook_secret(account: Account) -> tuple[str, Any]:
    return f"/webhooks/{await _new_webhook(account)}/rotate-secret", None


async def _webhook_deliveries(account: Account) -> tuple[str, Any]:
    return f"/webhooks/{await _new_webhook(account)}/deliveries", None


BUILDERS: dict[tuple[str, str], RequestBuilder] = {
    ("GET", f"{BASE_PATH}/leads"): _list_leads,
    ("POST", f"{BASE_PATH}/leads"): _create_lead,
    ("GET", f"{BASE_PATH}/leads/{{lead_id}}"): _lead,
    ("PATCH", f"{BASE_PATH}/leads/{{lead_id}}"): _update_lead,
    ("DELETE", f"{BASE_PATH}/leads/{{lead_id}}"): _lead,
    ("GET", f"{BASE_PATH}/keys"): _list_keys,
    ("POST", f"{BASE_PATH}/keys"): _create_key,
    ("DELETE", f"{BASE_PATH}/keys/{{key_id}}"): _revoke_key,
    ("GET", f"{BASE_PATH}/webhooks"): _list_webhooks,
    ("POST", f"{BASE_PATH}/webhooks"): _create_webhook,
    ("GET", f"{BASE_PATH}/webhooks/{{webhook_id}}"): _webhook,
    ("PATCH", f"{BASE_PATH}/webhooks/{{webhook_id}}"): _update_webhook,
    ("DELETE", f"{BASE_PATH}/webhooks/{{webhook_id}}"): _webhook,
    ("POST", f"{BASE_PATH}/webhooks/{{webhook_id}}/rotate-secret"): _rotate_webhook_secret,
    ("GET", f"{BASE_PATH}/webhooks/{{webhook_id}}/deliveries"): _webhook_deliveries,
    ("GET", f"{BASE_PATH}/credits"): _credits,
    ("POST", f"{BASE_PATH}/enrich"): _enrich,
    ("GET", f"{BASE_PATH}/leads/{{lead_id}}/enrichment"): _lead_enrichment,
    ("GET", f"{BASE_PATH}/jobs"): _list_jobs,
    ("GET", f"{BASE_PATH}/integrations/linkedin"): _linkedin_integration,
    ("PUT", f"{BASE_PATH}/integrations/linkedin"): _connect_linkedin,
    ("GET", f"{BASE_PATH}/linkedin/actions"): _list_linkedin_actions,
}
# What the hot paths answer themselves when on (the rest they hand to Litestar).
HOT_ROUTES = {("GET", f"{BASE_PATH}/leads/{{lead_id}}"), ("POST", f"{BASE_PATH}/leads")}


async def _request_for(method: str, path: str, account: Account) -> tuple[str, Any]:
    builder = BUILDERS.get(("GET" if method == "HEAD" else method, path))
    if builder is not None:
        return await builder(account)
    below = path.removeprefix(BASE_PATH)
    return re.sub(r"\{\w+\}", "x_unknown", below), ({} if method in {"POST", "PATCH"} else None)


class HandOverCounter:
    """Counts the requests the hot paths hand over to Litestar (none when they are off)."""

    def __init__(self, app: Litestar) -> None:
        self.handed_over = 0
        hot_paths = hot_paths_of(app)
        if hot_paths is None:
            return
        inner = hot_paths.fallback

        async def fallback(scope: Any, receive: Any, send: Any) -> None:
            self.handed_over += 1
            await inner(scope, receive, send)

        hot_paths.fallback = fallback


@pytest.fixture(params=[True, False], ids=["hot-paths", "litestar-only"])
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    # Every key of the table creates webhooks.
    return {"hot_paths": request.param, "max_webhooks_per_account": 1000}


async def test_exactly_the_keys_holding_the_permission_pass(
    client: InProcessClient, account: Account
) -> None:
    hot_paths_on = hot_paths_of(client.app) is not None
    counter = HandOverCounter(client.app)  # type: ignore[arg-type]
    single = {permission: await account.key_with(permission) for permission in Permission}
    all_but: dict[Permission, str] = {}
    served = {
        (method, path)
        for method, path, _handler in served_routes(client.app)
        if path not in PUBLIC_PATHS
    }
    assert len(served) >= len(API_ROUTES)
    # HEAD on each GET path, whether the app declares it as a route or answers it another
    # way; a path that refuses HEAD (405) is left out.
    for head in sorted({("HEAD", path) for method, path in served if method == "GET"} - served):
        target, _ = await _request_for(*head, account)
        if (await client.head(API + target, headers=account.headers())).status_code != 405:
            served.add(head)
    routes = sorted(served)
    failures: list[str] = []
    for method, path in routes:
        required = contract_permission(method, path)
        assert required is not None, f"{method} {path}: not in API_ROUTES"
        if required not in all_but:
            others = [p for p in Permission if p is not required]
            all_but[required] = await account.key_with(*others)
        keys: list[tuple[frozenset[str], str]] = [
            (frozenset({permission}), key) for permission, key in single.items()
        ]
        keys.append((frozenset(Permission) - {required}, all_but[required]))
        keys.append((frozenset(Permission), account.key))
        # A key without the permission is refused before the route does anything, so the
        # refused keys share one target; each key holding it gets a target of its own.
        refused_request = await _request_for(method, path, account)
        for granted, key in keys:
            if required in granted:
                target, body = await _request_for(method, path, account)
            else:
                target, body = refused_request
            before = counter.handed_over
            response = await client.request(
                method, API + target, json=body, headers={"x-api-key": key}
            )
            case = f"{method} {path} with {sorted(map(str, granted))}: {response.status_code}"
            if required in granted:
                built = ("GET" if method == "HEAD" else method, path) in BUILDERS
                if response.status_code in (401, 403) or (built and not response.is_success):
                    failures.append(f"{case} (should pass) {response.text}")
                elif hot_paths_on and (method, path) in HOT_ROUTES:
                    # Answered by the hot path itself, so its own permission check was tried.
                    assert counter.handed_over == before, case
            elif response.status_code != 403:
                failures.append(f"{case} (should be 403) {response.text}")
            elif method != "HEAD":
                error = assert_error(response, 403, "PERMISSION_DENIED")
                assert error["details"] == {
                    "required": [required.value],
                    "granted": sorted(granted),
                }, case
    assert not failures, "\n".join(failures)


async def test_public_paths_and_preflights_need_no_key(client: InProcessClient) -> None:
    paths: set[str] = set()
    for method, path, _handler in served_routes(client.app):
        paths.add(path)
        if path in PUBLIC_PATHS:
            concrete = path.replace("{path}", "swagger")
            response = await client.request("GET" if method == ANY_METHOD else method, concrete)
            assert response.status_code not in (401, 403), (method, path, response.text)
    # A browser's preflight carries no key: OPTIONS is answered on every path without one.
    for path in paths:
        concrete = re.sub(r"\{\w+\}", "x_unknown", path)
        response = await client.options(concrete)
        assert response.status_code not in (401, 403), (path, response.text)
