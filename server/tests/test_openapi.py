"""The OpenAPI document describes the API truthfully."""

from __future__ import annotations

import re
from typing import Any

import jsonschema_rs
import pytest

from buena_server.auth.permissions import ALL_PERMISSIONS
from buena_server.errors import ApiError
from buena_server.services import services_of

from server_testing import API, Account, InProcessClient
from voice_testing import sample
from webhook_receivers import PointingResolver

OPERATIONS = {
    ("get", "/api/v2/leads"): ("list_leads", "leads:read"),
    ("post", "/api/v2/leads"): ("create_lead", "leads:write"),
    ("get", "/api/v2/leads/{lead_id}"): ("get_lead", "leads:read"),
    ("patch", "/api/v2/leads/{lead_id}"): ("update_lead", "leads:write"),
    ("delete", "/api/v2/leads/{lead_id}"): ("delete_lead", "leads:delete"),
    ("get", "/api/v2/keys"): ("list_api_keys", "api_keys:read"),
    ("post", "/api/v2/keys"): ("create_api_key", "api_keys:write"),
    ("delete", "/api/v2/keys/{key_id}"): ("revoke_api_key", "api_keys:write"),
    ("get", "/api/v2/webhooks"): ("list_webhooks", "webhooks:read"),
    ("post", "/api/v2/webhooks"): ("create_webhook", "webhooks:write"),
    ("get", "/api/v2/webhooks/{webhook_id}"): ("get_webhook", "webhooks:read"),
    ("patch", "/api/v2/webhooks/{webhook_id}"): ("update_webhook", "webhooks:write"),
    ("delete", "/api/v2/webhooks/{webhook_id}"): ("delete_webhook", "webhooks:write"),
    ("post", "/api/v2/webhooks/{webhook_id}/rotate-secret"): (
        "rotate_webhook_secret",
        "webhooks:write",
    ),
    ("get", "/api/v2/webhooks/{webhook_id}/deliveries"): (
        "list_webhook_deliveries",
        "webhooks:read",
    ),
    ("post", "/api/v2/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"): (
        "redeliver_webhook_delivery",
        "webhooks:write",
    ),
    ("get", "/api/v2/credits"): ("get_credits", "leads:enrich"),
    ("post", "/api/v2/enrich"): ("enrich", "leads:enrich"),
    ("get", "/api/v2/leads/{lead_id}/enrichment"): ("get_lead_enrichment", "leads:read"),
    ("get", "/api/v2/leads/{lead_id}/activities"): ("list_lead_activities", "leads:read"),
    ("get", "/api/v2/integrations/linkedin"): ("get_linkedin_integration", "linkedin:read"),
    ("put", "/api/v2/integrations/linkedin"): ("update_linkedin_integration", "linkedin:schedule"),
    ("delete", "/api/v2/integrations/linkedin"): (
        "delete_linkedin_integration",
        "linkedin:schedule",
    ),
    ("post", "/api/v2/linkedin/actions"): ("schedule_linkedin_action", "linkedin:schedule"),
    ("get", "/api/v2/linkedin/actions"): ("list_linkedin_actions", "linkedin:read"),
    ("get", "/api/v2/linkedin/actions/{action_id}"): ("get_linkedin_action", "linkedin:read"),
    ("post", "/api/v2/linkedin/actions/{action_id}/cancel"): (
        "cancel_linkedin_action",
        "linkedin:schedule",
    ),
    ("post", "/api/v2/linkedin/scheduleLinkedInAction"): (
        "schedule_linkedin_action_hosted",
        "linkedin:schedule",
    ),
    ("post", "/api/v2/prospect-lists"): ("create_prospect_list", "linkedin:upload"),
    ("get", "/api/v2/prospect-lists"): ("list_prospect_lists", "linkedin:upload"),
    ("get", "/api/v2/prospect-lists/{list_id}"): ("get_prospect_list", "linkedin:upload"),
    ("get", "/api/v2/prospect-lists/{list_id}/prospects"): ("list_prospects", "linkedin:upload"),
    ("post", "/api/v2/prospect-lists/{list_id}/convert"): (
        "convert_prospect_list",
        "linkedin:upload",
    ),
    ("post", "/api/v2/prospect-lists/import"): ("import_prospect_list", "linkedin:upload"),
    ("post", "/api/v2/prospect-lists/{list_id}/schedule"): (
        "schedule_prospect_list",
        "linkedin:schedule",
    ),
}


@pytest.fixture
async def schema(client: InProcessClient) -> dict[str, Any]:
    response = await client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def test_every_operation_with_auth_and_errors(schema: dict[str, Any]) -> None:
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"] == {
        "type": "apiKey",
        "name": "x-api-key",
        "in": "header",
        "description": "An API key (bna_...). `Authorization: Bearer <key>` also works.",
    }
    for (method, path), (operation_id, permission) in OPERATIONS.items():
        operation = schema["paths"][path][method]
        assert operation["operationId"] == operation_id
        assert operation["security"] == [{"ApiKeyAuth": []}]
        assert permission in operation["description"]
        for status in ("400", "401", "403", "429", "500", "503"):
            error = operation["responses"][status]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/ErrorBody"}
    health = schema["paths"]["/api/v2/health"]["get"]
    assert "security" not in health
    assert set(health["responses"]) == {"200", "400", "503"}


async def test_every_error_response_is_our_error_body(schema: dict[str, Any]) -> None:
    # Litestar documents its own {status_code, detail, extra} for a 400 unless told otherwise.
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith("2") or (path, status) == ("/api/v2/health", "503"):
                    continue
                body = response["content"]["application/json"]["schema"]
                assert body == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, status)


async def test_error_descriptions_fit_the_operation(schema: dict[str, Any]) -> None:
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            has_body = "requestBody" in operation
            # Every operation refuses unknown query parameters.
            assert "unknown query parameter" in responses["400"]["description"].lower()
            # Only an operation with a body can have JSON, media-type or size trouble.
            assert ("JSON" in responses["400"]["description"]) == has_body, (method, path)
            assert (
                {"413", "415"} <= set(responses)
                if has_body
                else not {"413", "415"} & set(responses)
            )
    list_invalid = schema["paths"]["/api/v2/leads"]["get"]["responses"]["422"]["description"]
    assert "query parameter" in list_invalid


# What each create takes; the test below fails on a 201 it does not know.
CREATE_BODIES = {
    "/api/v2/leads": {"first_name": "A", "last_name": "B", "email": "a@b.io"},
    "/api/v2/keys": {"name": "CRM sync", "permissions": ["leads:read"]},
    "/api/v2/webhooks": {"url": "https://hooks.example.com/buena", "events": ["*"]},
    "/api/v2/prospect-lists": {"name": "Founders", "prospects": [{"email": "a@b.io"}]},
    "/api/v2/prospect-lists/import": "email\na@b.io\n",  # CSV
    "/api/v2/voice-clones": ("Ada", sample()),  # multipart: a name and a generated voice
}
# Where a create's resource lives when not under the path it was posted to.
COLLECTIONS = {"/api/v2/prospect-lists/import": "/api/v2/prospect-lists"}


async def test_created_responses_send_the_location_they_promise(
    schema: dict[str, Any], client: InProcessClient, account: Account
) -> None:
    # hooks.example.com resolves without DNS, to a public address (a webhook's URL must).
    services_of(client.app).webhook_sender.resolver.target = PointingResolver(
        {"hooks.example.com": "93.184.215.14"}
    )
    created = {
        path: operation["responses"]["201"]
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "201" in operation["responses"] and method == "post"
    }
    assert set(created) == set(CREATE_BODIES)
    for path, documented in created.items():
        body = CREATE_BODIES[path]
        if isinstance(body, str):
            csv_headers = {**account.headers(), "content-type": "text/csv"}
            response = await client.post(
                path, params={"name": "CSV"}, content=body.encode(), headers=csv_headers
            )
        elif isinstance(body, tuple):
            name, file = body
            response = await client.post(
                path, data={"name": name}, files=[("files", file)], headers=account.headers()
            )
        else:
            response = await client.post(path, json=body, headers=account.headers())
        assert response.status_code == 201, response.text
        # Nothing promises a URL it does not send (Litestar's default description did).
        assert "URL follows" not in documented["description"]
        if path == "/api/v2/keys":
            # No Location there (there is no GET /keys/{id}), nor a promise of one.
            assert "Location" not in (documented.get("headers") or {})
            assert "location" not in response.headers
            continue
        location = documented["headers"]["Location"]
        assert location["schema"] == {"type": "string"}
        assert location["required"] is True
        collection = COLLECTIONS.get(path, path)
        assert response.headers["location"] == f"{collection}/{response.json()['id']}"
        fetched = await client.get(response.headers["location"], headers=account.headers())
        assert fetched.status_code == 200
        assert fetched.json()["id"] == response.json()["id"]


async def test_integer_parameters_document_their_422(schema: dict[str, Any]) -> None:
    # Integers are strict (query_rules.py): an operation taking one can answer 422.
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            parameters = operation.get("parameters", [])
            if any(p["in"] == "query" and p["schema"].get("type") == "integer" for p in parameters):
                assert "422" in operation["responses"], (method, path)


async def test_query_parameters_admit_no_null(schema: dict[str, Any]) -> None:
    # A query string cannot carry null: each optional parameter has its plain type.
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    assert "oneOf" not in parameter["schema"], (method, path, parameter["name"])
                    assert parameter["schema"]["type"] in {"integer", "string"}


async def test_list_parameters_and_enums(schema: dict[str, Any]) -> None:
    parameters = {
        p["name"]: p["schema"] for p in schema["paths"]["/api/v2/leads"]["get"]["parameters"]
    }
    assert set(parameters) == {
        "limit",
        "offset",
        "cursor",
        "sort",
        "order",
        "search",
        "company",
        "status",
        "tags",
        "created_after",
        "created_before",
        "updated_after",
        "updated_before",
        "has_email",
    }
    assert parameters["created_after"]["format"] == "date-time"
    assert parameters["has_email"]["enum"] == ["true", "false"]
    assert parameters["limit"]["minimum"] == 1
    assert parameters["limit"]["default"] == 50
    assert parameters["offset"]["minimum"] == 0
    assert parameters["offset"]["default"] == 0
    assert parameters["sort"]["enum"] == ["created_at", "updated_at", "first_name", "last_name"]
    assert parameters["order"]["enum"] == ["asc", "desc"]
    assert parameters["status"]["enum"] == ["active", "inactive", "contacted"]


async def test_request_schemas_carry_the_enforced_constraints(schema: dict[str, Any]) -> None:
    create = schema["components"]["schemas"]["CreateLeadRequest"]
    assert create["required"] == ["email", "first_name", "last_name"]
    assert create["properties"]["email"]["format"] == "email"
    assert create["properties"]["first_name"]["maxLength"] == 100
    assert create["properties"]["tags"]["maxItems"] == 50
    update = schema["components"]["schemas"]["UpdateLeadRequest"]
    assert not update.get("required")
    # A required field may be changed but never cleared: null is not documented as allowed.
    assert update["properties"]["email"]["type"] == "string"
    assert update["properties"]["status"]["enum"] == ["active", "inactive", "contacted"]
    key = schema["components"]["schemas"]["CreateApiKeyRequest"]
    assert key["required"] == ["name", "permissions"]
    assert key["properties"]["permissions"]["maxItems"] == len(ALL_PERMISSIONS)


async def test_what_the_schema_admits_the_server_accepts(
    schema: dict[str, Any], client: InProcessClient, account: Account
) -> None:
    lead = schema["components"]["schemas"]["CreateLeadRequest"]["properties"]
    # phone "" was schema-valid and answered 422.
    assert lead["phone"]["minLength"] == 1
    assert lead["phone"]["format"] == "phone"
    # Any URI was schema-valid; the server takes http(s) URLs with a host only.
    pattern = re.compile(lead["linkedin_url"]["pattern"])
    for url in ("https://linkedin.com/in/jane", "HTTP://x.io:8080/a?b#c"):
        assert pattern.match(url)
    for url in ("ftp://x.io", "mailto:jane@x.io", "https://", "https://x.io/a b"):
        assert not pattern.match(url)
    # Nesting deeper than the server takes was schema-valid: depth 5 is stated.
    depth, values = 1, lead["custom_fields"]["additionalProperties"]
    while "items" in values:
        depth, values = depth + 1, values["items"]
    assert depth == 5
    # An expiry in the past was schema-valid (format date-time): "future" is a custom format.
    expires_at = schema["components"]["schemas"]["CreateApiKeyRequest"]["properties"]
    assert expires_at["expires_at"]["format"] == "future-date-time"
    # And what the schema admits at its limits is accepted.
    body = {
        "first_name": "A",
        "last_name": "B",
        "email": "ab@example.com",
        "phone": "+44 20 7946 0958",
        "linkedin_url": "HTTP://x.io:8080/a?b#c",
        "custom_fields": {"a": {"b": {"c": {"d": [1]}}}},
    }
    response = await client.post(f"{API}/leads", json=body, headers=account.headers())
    assert response.status_code == 201, response.text


async def test_response_schemas_match_the_reference(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    assert set(components["Lead"]["properties"]) == {
        "id",
        "first_name",
        "last_name",
        "email",
        "company",
        "phone",
        "linkedin_url",
        "job_title",
        "location",
        "notes",
        "tags",
        "custom_fields",
        "status",
        "created_at",
        "updated_at",
    }
    assert set(components["ListLeads200Response"]["properties"]) == {
        "data",
        "total",
        "limit",
        "offset",
        "next_cursor",
    }
    assert "key" in components["CreatedApiKey"]["properties"]
    assert "key" not in components["ApiKey"]["properties"]
    assert set(components["HealthCheck200Response"]["properties"]) == {
        "status",
        "timestamp",
        "version",
        "services",
        "response_time",
    }


@pytest.mark.parametrize(
    ("page", "script"),
    [("docs", "swagger-ui-bundle.js"), ("docs/redoc", "redoc.standalone.js")],
)
async def test_docs_pages_load_nothing_from_elsewhere(
    client: InProcessClient, page: str, script: str
) -> None:
    # The pages work offline: every script, style and icon is served by the server itself
    # (rendered in a real browser with no network by test_docs_page.py).
    response = await client.get(f"{API}/{page}")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", response.text)
    assert any(asset.endswith(f"/{script}") for asset in assets), assets
    assert "fonts.googleapis" not in response.text
    for asset in assets:
        assert asset.startswith(f"{API}/docs/assets/"), asset
        fetched = await client.get(asset)
        assert fetched.status_code == 200, asset
        assert len(fetched.content) > 0


async def test_unknown_docs_asset_is_our_json_404(client: InProcessClient) -> None:
    response = await client.get(f"{API}/docs/assets/swagger-ui/missing.js")
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


def _examples(media: dict[str, Any]) -> list[Any]:
    if "example" in media:
        return [media["example"]]
    return [example.get("value") for example in media.get("examples", {}).values()]


def _error_codes() -> dict[str, int]:
    """Every error code the server has, with its status."""
    codes: dict[str, int] = {}
    pending: list[type[ApiError]] = [ApiError]
    while pending:
        kind = pending.pop()
        codes[kind.code] = kind.status_code
        pending.extend(kind.__subclasses__())
    return codes


async def test_every_operation_shows_examples_its_schema_admits(schema: dict[str, Any]) -> None:
    """Each request body and each answer with a body shows an example; each example is valid
    for its media type's schema, and an error example's code is one the server answers with
    that status."""
    codes = _error_codes()
    missing: list[tuple[str, str, str]] = []
    checked = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            contents = [("request", operation.get("requestBody", {}).get("content", {}))]
            contents += [(s, r.get("content", {})) for s, r in operation["responses"].items()]
            for where, content in contents:
                for media_type, media in content.items():
                    examples = _examples(media)
                    if not examples:
                        missing.append((method, path, f"{where} {media_type}"))
                    for example in examples:
                        if "json" in media_type:
                            # The document is the root that its #/components references name.
                            validator = jsonschema_rs.Draft202012Validator(
                                {**media["schema"], "components": schema["components"]}
                            )
                            errors = [e.message for e in validator.iter_errors(example)]
                            assert errors == [], (method, path, where, example)
                            checked += 1
                        if where[0] in "45" and isinstance(example, dict) and "code" in example:
                            assert codes.get(example["code"]) == int(where), (path, example)
    assert missing == [], "\n".join(map(str, missing))
    assert checked > 150


async def test_error_examples_are_what_the_server_answers(
    client: InProcessClient, schema: dict[str, Any], account: Account
) -> None:
    """The examples of 400 (an unknown parameter), 401, 403, 404 and 422 (a page's limit) are
    the bodies the server sends for those requests, but for the request id and timestamp."""

    def example(path: str, method: str, status: int, code: str) -> dict[str, Any]:
        media = schema["paths"][f"{API}{path}"][method]["responses"][str(status)]
        values = _examples(media["content"]["application/json"])
        found: dict[str, Any] = next(v for v in values if v["code"] == code)
        return found

    def comparable(body: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in body.items() if k not in {"request_id", "timestamp"}}

    reader = account.headers(await account.key_with("leads:read"))
    lead = f"{API}/leads/lead_5f031a78d1255a6efee725c6"
    answers = [
        (await client.get(f"{API}/leads?colour=red", headers=account.headers()),
         example("/leads", "get", 400, "UNKNOWN_PARAMETER")),
        (await client.get(f"{API}/leads", headers={"x-api-key": "bna_" + "0" * 64}),
         example("/leads", "get", 401, "UNAUTHORIZED")),
        (await client.delete(lead, headers=reader),
         example("/leads/{lead_id}", "delete", 403, "PERMISSION_DENIED")),
        (await client.get(lead, headers=account.headers()),
         example("/leads/{lead_id}", "get", 404, "LEAD_NOT_FOUND")),
        (await client.get(f"{API}/keys?limit=0", headers=account.headers()),
         example("/keys", "get", 422, "VALIDATION_ERROR")),
    ]  # fmt: skip
    for response, documented in answers:
        assert comparable(response.json()) == comparable(documented)


@pytest.mark.parametrize("first_read", ["openapi.json", "docs/openapi.json", "docs", "docs/redoc"])
async def test_every_page_serves_the_finished_document_whichever_is_read_first(
    client: InProcessClient, first_read: str
) -> None:
    """The document is built and finished on first read (not in ``create_app``): each page
    that shows it, read first, has what the finishing steps add."""
    first = await client.get(f"{API}/{first_read}")
    assert first.status_code == 200
    if first_read.endswith(".json"):
        lead = first.json()["components"]["schemas"]["CreateLeadRequest"]
        assert lead["additionalProperties"] is False
    else:  # the page embeds the document
        assert '"additionalProperties":false' in first.text.replace(" ", "")
    served = await client.get(f"{API}/docs/openapi.json")
    ours = await client.get(f"{API}/openapi.json")
    assert served.json() == ours.json()
    create = ours.json()["paths"]["/api/v2/leads"]["post"]
    assert create["responses"]["201"]["headers"]["Location"]["required"] is True


def test_a_failed_finishing_step_leaves_no_half_finished_document(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from buena_server import app as app_module
    from buena_server.app import create_app

    calls = []

    def failing(app: Any, **_: Any) -> None:
        calls.append(app)
        raise RuntimeError("a step failed")

    monkeypatch.setattr(app_module, "_finish_document", failing)
    app = create_app(settings)
    with pytest.raises(RuntimeError, match="a step failed"):
        app.openapi_schema  # noqa: B018
    with pytest.raises(RuntimeError, match="a step failed"):
        app.openapi_schema  # noqa: B018  (built again, not served half finished)
    assert len(calls) == 2
