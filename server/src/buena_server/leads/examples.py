"""The OpenAPI examples of /leads (the reference's own lead where it has one), and the parts
of the batch's and the export's documents Litestar cannot derive (the batch's items, the
export's two media types)."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    Example,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIType,
    Reference,
    Schema,
)

from buena_server.kit.openapi_docs import BASE_PATH
from buena_server.leads.schemas import BatchLeadsResponse

BATCH: dict[str, Any] = {
    "mode": "upsert",
    "leads": [
        {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "tags": ["vip"]},
        {"first_name": "Alan", "last_name": "Turing", "email": "not-an-email"},
    ],
}
_CREATED = {"index": 0, "outcome": "created", "id": "lead_3f9c2a7b1e4d5c6b7a8f9e0d", "error": None}
BATCH_PARTIAL: dict[str, Any] = {
    "results": [
        _CREATED,
        {
            "index": 1,
            "outcome": "error",
            "id": None,
            "error": {
                "status": 422,
                "code": "VALIDATION_ERROR",
                "message": "email is not a valid email address: An email address must have an "
                "@-sign.",
                "field": "email",
            },
        },
    ],
    "created": 1,
    "updated": 0,
    "unchanged": 0,
    "errors": 1,
}
BATCH_DONE: dict[str, Any] = {
    "results": [_CREATED, {**_CREATED, "index": 1, "outcome": "updated", "id": "lead_9a8b7c"}],
    "created": 1,
    "updated": 1,
    "unchanged": 0,
    "errors": 0,
}
# The reference's create_lead and update_lead examples, and what the server answers to them.
CREATE_LEAD: dict[str, Any] = {
    "first_name": "John",
    "last_name": "Doe",
    "email": "john.doe@example.com",
    "company": "Example Corp",
    "phone": "+1-555-123-4567",
    "linkedin_url": "https://linkedin.com/in/johndoe",
    "job_title": "Software Engineer",
    "location": "San Francisco, CA",
    "notes": "Met at tech conference 2024",
    "tags": ["conference", "engineer", "potential"],
    "custom_fields": {"lead_source": "conference", "budget": 50000},
}
UPDATE_LEAD: dict[str, Any] = {
    "company": "New Company Inc",
    "job_title": "Senior Software Engineer",
    "status": "contacted",
    "tags": ["contacted", "promoted", "hot-lead"],
    "notes": "Promoted to senior role, very interested in our product",
    "custom_fields": {"priority": "very_high", "last_contacted": "2024-06-29", "budget": 75000},
}
LEAD_ID = "lead_5f031a78d1255a6efee725c6"
LEAD: dict[str, Any] = {
    "id": LEAD_ID,
    **CREATE_LEAD,
    "status": "active",
    "created_at": "2026-12-05T10:00:00.123456Z",
    "updated_at": "2026-12-05T10:00:00.123456Z",
}
UPDATED_LEAD: dict[str, Any] = {
    **LEAD,
    **UPDATE_LEAD,
    "custom_fields": {**LEAD["custom_fields"], **UPDATE_LEAD["custom_fields"]},
    "updated_at": "2026-12-05T11:30:00.5Z",
}
# operationId -> the example of its request body and of its success answer.
REQUESTS: dict[str, tuple[str, Any]] = {
    "create_lead": ("The reference's lead", CREATE_LEAD),
    "update_lead": ("The reference's update", UPDATE_LEAD),
    "batch_leads": ("Two leads, one of them bad", BATCH),
}
ANSWERS: dict[str, tuple[str, Any]] = {
    "create_lead": ("The lead created", LEAD),
    "get_lead": ("A lead", LEAD),
    "update_lead": ("The lead updated (custom_fields merged key by key)", UPDATED_LEAD),
    "delete_lead": (
        "The lead deleted",
        {"success": True, "message": f"Lead {LEAD_ID} deleted", "deleted_id": LEAD_ID},
    ),
    "list_leads": (
        "A page of one lead",
        {"data": [LEAD], "total": 1, "limit": 50, "offset": 0, "next_cursor": None},
    ),
}
CSV = (
    "id,first_name,last_name,email,company,phone,linkedin_url,job_title,location,notes,tags,"
    "status,created_at,updated_at,custom_fields.score\r\n"
    "lead_3f9c2a7b1e4d5c6b7a8f9e0d,Ada,Lovelace,ada@example.com,Analytical Engines,,,,,,"
    "vip|math,active,2026-12-05T10:00:00.123456Z,2026-12-05T10:00:00.123456Z,42\r\n"
)
NDJSON = (
    '{"id":"lead_3f9c2a7b1e4d5c6b7a8f9e0d","first_name":"Ada","last_name":"Lovelace",'
    '"email":"ada@example.com","company":"Analytical Engines","phone":null,'
    '"linkedin_url":null,"job_title":null,"location":null,"notes":null,'
    '"tags":["vip","math"],"custom_fields":{"score":42},"status":"active",'
    '"created_at":"2026-12-05T10:00:00.123456Z","updated_at":"2026-12-05T10:00:00.123456Z"}\n'
)


def example(summary: str, value: Any) -> list[Example]:
    return [Example(summary=summary, value=value)]


def batch_answers() -> dict[int, ResponseSpec]:
    return {
        200: ResponseSpec(
            data_container=BatchLeadsResponse,
            description="Every item succeeded",
            generate_examples=False,
            examples=example("Every item succeeded", BATCH_DONE),
        ),
        207: ResponseSpec(
            data_container=BatchLeadsResponse,
            description="At least one item is an error (the others are done)",
            generate_examples=False,
            examples=example("One bad item", BATCH_PARTIAL),
        ),
    }


def document_batch_and_export(app: Litestar) -> None:
    """The batch's items are leads as for POST /leads, decoded one by one (so an item that
    is not one is that item's error, not the body's); the export answers NDJSON or CSV."""
    document = app.openapi_schema
    schemas = (document.components.schemas or {}) if document.components else {}
    batch = schemas.get("BatchLeadsRequest")
    if batch is not None and batch.properties is not None:
        leads = batch.properties["leads"]
        if isinstance(leads, Schema):
            # Any value is accepted: one that is not a lead is that item's error (207).
            leads.items = Schema(
                any_of=[Reference(ref="#/components/schemas/CreateLeadRequest"), Schema()],
                description="A lead as for POST /leads (CreateLeadRequest); an item that is "
                "not one is reported as that item's error",
            )
    paths = document.paths or {}
    export = paths.get(f"{BASE_PATH}/leads/export")
    if export is None or export.get is None or export.get.responses is None:
        return
    answer = export.get.responses.get("200")
    if answer is not None and not isinstance(answer, Reference):
        text = Schema(type=OpenAPIType.STRING)
        answer.content = {
            "application/x-ndjson": OpenAPIMediaType(
                schema=text, examples={"ndjson": Example(summary="One lead", value=NDJSON)}
            ),
            "text/csv": OpenAPIMediaType(
                schema=text, examples={"csv": Example(summary="One lead", value=CSV)}
            ),
        }
        answer.headers = {
            **(answer.headers or {}),
            "Content-Disposition": OpenAPIHeader(
                schema=text,
                description='attachment; filename="leads.ndjson" (or "leads.csv")',
                required=True,
            ),
        }
