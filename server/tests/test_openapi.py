"""The OpenAPI document describes the API truthfully."""

from __future__ import annotations

from typing import Any

import pytest

from server_testing import API, InProcessClient

OPERATIONS = {
    ("get", "/api/v2/leads"): ("list_leads", "leads:read"),
    ("post", "/api/v2/leads"): ("create_lead", "leads:write"),
    ("get", "/api/v2/leads/{lead_id}"): ("get_lead", "leads:read"),
    ("patch", "/api/v2/leads/{lead_id}"): ("update_lead", "leads:write"),
    ("delete", "/api/v2/leads/{lead_id}"): ("delete_lead", "leads:delete"),
    ("get", "/api/v2/keys"): ("list_api_keys", "api_keys:read"),
    ("post", "/api/v2/keys"): ("create_api_key", "api_keys:write"),
    ("delete", "/api/v2/keys/{key_id}"): ("revoke_api_key", "api_keys:write"),
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
        for status in ("401", "403", "429", "500"):
            error = operation["responses"][status]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/ErrorBody"}
    health = schema["paths"]["/api/v2/health"]["get"]
    assert "security" not in health
    assert set(health["responses"]) == {"200", "503"}


async def test_list_parameters_and_enums(schema: dict[str, Any]) -> None:
    parameters = {
        p["name"]: p["schema"] for p in schema["paths"]["/api/v2/leads"]["get"]["parameters"]
    }
    assert set(parameters) == {"limit", "offset", "sort", "order", "search", "company", "status"}
    assert parameters["limit"]["minimum"] == 1
    assert parameters["offset"]["minimum"] == 0
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


async def test_swagger_ui(client: InProcessClient) -> None:
    response = await client.get(f"{API}/docs")
    assert response.status_code == 200
    assert "swagger" in response.text.lower()
