"""Examples in the OpenAPI document: every request body, every success answer and every error
answer of every operation shows one.

Request and success examples come from each domain's ``examples`` tables (by operationId);
request examples given to Litestar as ``Body(examples=...)``, which it puts on the schema, are
shown on the media type too (where Swagger UI and ReDoc look). Error examples are the bodies
the server sends, built by the functions the server raises those errors with and encoded by
``error_body``, the one function every error answer goes through.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import (
    Example,
    OpenAPIResponse,
    Operation,
    Reference,
    RequestBody,
    Schema,
)
from litestar.openapi.spec.base import BaseSchemaObject

from buena_server.auth.guards import declared_permissions, permission_denied
from buena_server.auth.middleware import invalid_key
from buena_server.auth.permissions import Permission
from buena_server.credits.service import insufficient_credits
from buena_server.errors import (
    ApiError,
    InvalidJson,
    RateLimitExceeded,
    ValidationFailed,
    database_unavailable,
    error_body,
    internal_error,
    payload_too_large,
    voice_clone_not_found,
)
from buena_server.events.service import event_not_found
from buena_server.health import controller as health_controller
from buena_server.idempotency.model import key_in_use, key_mismatch
from buena_server.jobs import examples as job_examples
from buena_server.jobs.service import job_finished, job_not_found
from buena_server.keys import examples as key_examples
from buena_server.keys.service import key_not_found
from buena_server.kit.http_hooks import unsupported_media_type
from buena_server.kit.paging import page
from buena_server.kit.query_rules import QueryRules
from buena_server.leads import examples as lead_examples
from buena_server.leads.service import email_exists, lead_not_found
from buena_server.linkedin import examples as linkedin_examples
from buena_server.linkedin.service import (
    action_not_found,
    duplicate_action,
    not_cancelable,
    not_connected,
)
from buena_server.prospects import examples as prospect_examples
from buena_server.prospects.service import list_not_found as prospect_list_not_found
from buena_server.voice import examples as voice_examples
from buena_server.voice import preview as voice_preview
from buena_server.voice import upload as voice_upload
from buena_server.voice.service import in_use as voice_clone_in_use
from buena_server.webhooks import examples as webhook_examples
from buena_server.webhooks.service import delivery_not_found
from buena_server.webhooks.service import not_found as webhook_not_found

REQUESTS: Mapping[str, tuple[str, Any]] = {**lead_examples.REQUESTS, **key_examples.REQUESTS}
ANSWERS: Mapping[str, tuple[str, Any]] = {
    **lead_examples.ANSWERS,
    **key_examples.ANSWERS,
    **webhook_examples.ANSWERS,
    **health_controller.ANSWERS,
}
_REQUEST_ID = "req_6b1f0c2d3e4a5b6c7d8e9f0a1b2c3d4e"
_AT = datetime(2026, 12, 5, 10, 0, 0, 123456, tzinfo=UTC)
_WEBHOOK = "wh_5f0c6b1e2a9d4c7e8b3a1f20"
# 404: the error of the innermost resource the operation's path names (the first that matches).
_NOT_FOUND: tuple[tuple[str, Callable[[], ApiError]], ...] = (
    ("/deliveries/{delivery_id}", lambda: delivery_not_found(_WEBHOOK, "whd_8e1d2c3b4a5f6e7d")),
    ("/webhooks/{webhook_id}", lambda: webhook_not_found(_WEBHOOK)),
    ("/leads/{lead_id}", lambda: lead_not_found(lead_examples.LEAD_ID)),
    ("/keys/{key_id}", lambda: key_not_found(key_examples.KEY_ID)),
    ("/events/{event_id}", lambda: event_not_found("evt_1a2b3c4d5e6f7a8b9c0d1e2f")),
    ("/jobs/{job_id}", lambda: job_not_found(job_examples.JOB_ID)),
    ("/linkedin/actions/{action_id}", lambda: action_not_found(linkedin_examples.ACTION_ID)),
    ("/linkedin/actions", lambda: lead_not_found(lead_examples.LEAD_ID)),
    ("/prospect-lists/{list_id}", lambda: prospect_list_not_found(prospect_examples.LIST_ID)),
    ("/linkedin/scheduleLinkedInAction", lambda: lead_not_found(lead_examples.LEAD_ID)),
    ("/voice-clones/{voice_id}", lambda: voice_clone_not_found(voice_examples.CLONE_ID)),
    ("/voice-clones/preview", lambda: voice_clone_not_found(voice_examples.CLONE_ID)),
)
_SCHEDULES = {"schedule_linkedin_action", "schedule_linkedin_action_hosted"}
# 422: one invalid value of the operation's body or query, as the validation rules word it.
_INVALID_FIELD: Mapping[str, tuple[str, str]] = {
    "create_lead": (
        "email",
        "email is not a valid email address: An email address must have an @-sign.",
    ),
    "update_lead": ("status", "status must be one of: active, inactive, contacted"),
    "create_api_key": ("expires_at", "expires_at must be in the future"),
    "create_webhook": ("events", "events must have at least 1 item(s)"),
    "update_webhook": ("events", "events must have at least 1 item(s)"),
    "export_leads": ("format", "format must be one of: ndjson, csv"),
    "rotate_webhook_secret": ("overlap_seconds", "overlap_seconds must be 0 to 604800"),
    "enrich": ("leads[0].email", "leads[0].email must be at most 320 characters"),
    "update_linkedin_integration": (
        "timezone",
        "timezone must be an IANA time zone name, e.g. Europe/Berlin",
    ),
    "schedule_linkedin_action": ("message", "message must be at most 300 characters"),
    "schedule_linkedin_action_hosted": ("message", "message must be at most 300 characters"),
    "create_prospect_list": (
        "prospects[0].linkedin_url",
        "prospects[0].linkedin_url must be a LinkedIn member profile URL, e.g. "
        "https://www.linkedin.com/in/jane-doe",
    ),
    "schedule_prospect_list": (
        "scheduled_at",
        "scheduled_at must be an RFC 3339 date-time with an offset",
    ),
    "list_linkedin_actions": (
        "status",
        "status must be one of: scheduled, running, completed, failed, canceled",
    ),
    "list_voice_clones": ("status", "status must be one of: processing, ready, failed"),
    "update_voice_clone": ("settings.stability", "settings.stability must be 0 to 1"),
    "preview_voice_clone": ("text", "text must be at most 500 characters"),
}


def document_examples(app: Litestar) -> None:
    """Give every request body and answer of the document its examples."""
    paths = app.openapi_schema.paths or {}
    rules = QueryRules.of_routes(app.routes)
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if not isinstance(handler, HTTPRouteHandler) or not handler.include_in_schema:
                continue
            path = re.sub(r"\{(\w+):[^}]*\}", r"{\1}", route.path)
            if path not in paths:  # a router left out of the document (the docs' assets)
                continue
            for method in handler.http_methods:
                operation = getattr(paths[path], method.lower(), None)
                if not isinstance(operation, Operation):
                    continue
                _request_examples(operation)
                context = _Context(
                    operation, path, declared_permissions(handler), rules.get(handler)
                )
                responses = operation.responses or {}
                for status, response in responses.items():
                    if isinstance(response, OpenAPIResponse):
                        # A copy: Litestar shares answer objects between operations.
                        responses[status] = _with_examples(context, status, response)


@dataclasses.dataclass
class Verbatim(BaseSchemaObject):
    """An example's value as it is: Litestar's encoding of the document drops every None of
    a plain dict, so an answer's ``"phone": null`` would vanish from its example."""

    value: Any

    def to_schema(self) -> Any:
        return self.value


def _verbatim(examples: Mapping[str, Example | Reference]) -> dict[str, Example | Reference]:
    return {
        name: dataclasses.replace(example, value=Verbatim(example.value))
        if isinstance(example, Example) and not isinstance(example.value, Verbatim)
        else example
        for name, example in examples.items()
    }


class _Context:
    def __init__(
        self,
        operation: Operation,
        path: str,
        permissions: frozenset[Permission],
        rules: QueryRules | None,
    ) -> None:
        self.operation = operation
        self.operation_id = operation.operation_id or ""
        self.path = path
        self.permissions = permissions
        self.rules = rules
        parameters = [p for p in operation.parameters or () if not isinstance(p, Schema)]
        names = {getattr(p, "name", "") for p in parameters}
        self.has_body = operation.request_body is not None
        self.idempotent = "Idempotency-Key" in names
        self.paged = "limit" in names


def _request_examples(operation: Operation) -> None:
    body = operation.request_body
    if not isinstance(body, RequestBody):
        return
    known = REQUESTS.get(operation.operation_id or "")
    for media_type, media in body.content.items():
        schema = media.schema
        if media.examples:
            examples = _verbatim(media.examples)
        elif known is not None:
            examples = {"example": Example(summary=known[0], value=Verbatim(known[1]))}
        elif isinstance(schema, Schema) and schema.examples:
            # Body(examples=...): Litestar puts them on the schema only.
            examples = {
                f"example{n}": Example(value=Verbatim(value))
                for n, value in enumerate(schema.examples, 1)
            }
        else:
            continue
        # A copy: Litestar may share one media type object between operations.
        body.content = {**body.content, media_type: dataclasses.replace(media, examples=examples)}


def _with_examples(context: _Context, status: str, response: OpenAPIResponse) -> OpenAPIResponse:
    content = dict(response.content or {})
    for media_type, media in content.items():
        if media.examples:
            content[media_type] = dataclasses.replace(media, examples=_verbatim(media.examples))
            continue
        if status.startswith("2"):
            known = ANSWERS.get(context.operation_id)
            if known is None:
                continue
            examples: dict[str, Example | Reference] = {
                "example": Example(summary=known[0], value=Verbatim(known[1]))
            }
        else:
            examples = {
                error.code.lower(): Example(summary=error.message, value=Verbatim(_encoded(error)))
                for error in _errors(context, int(status))
            }
        content[media_type] = dataclasses.replace(media, examples=examples)
    return dataclasses.replace(response, content=content or response.content)


def _errors(context: _Context, status: int) -> list[ApiError]:
    """The errors an operation answers with ``status``, each once."""
    errors: list[ApiError] = []
    if status == 400:
        if context.has_body:
            errors.append(
                InvalidJson(
                    "The request body is not valid JSON: JSON is malformed: object keys must "
                    "be strings (byte 1)",
                    details={"reason": "JSON is malformed: object keys must be strings (byte 1)"},
                )
            )
        rules = context.rules
        if rules is not None:
            errors.append(_raised(lambda: rules.check([("colour", "red")])))
    elif status == 401:
        errors.append(invalid_key())
    elif status == 402:
        errors.append(insufficient_credits(7, 2))
    elif status == 403:
        for permission in sorted(context.permissions):
            errors.append(permission_denied(permission, _granted_without(permission)))
    elif status == 404:
        errors.extend([build() for part, build in _NOT_FOUND if part in context.path][:1])
    elif status == 409:
        if context.operation_id in {"create_lead", "update_lead"}:
            errors.append(email_exists("john.doe@example.com", lead_examples.LEAD_ID))
        if context.operation_id == "cancel_job":
            errors.append(job_finished(job_examples.JOB_ID, "completed"))
        if context.operation_id in _SCHEDULES | {"delete_linkedin_integration"}:
            errors.append(not_connected())
        if context.operation_id in _SCHEDULES:
            errors.append(duplicate_action(linkedin_examples.PROFILE, linkedin_examples.ACTION_ID))
        if context.operation_id == "schedule_prospect_list":
            errors.append(not_connected())
        if context.operation_id == "cancel_linkedin_action":
            errors.append(not_cancelable(linkedin_examples.ACTION_ID, "completed"))
        if context.operation_id == "create_voice_clone":
            errors.append(voice_upload.limit_reached(5, 5))
        if context.operation_id == "delete_voice_clone":
            errors.append(
                voice_clone_in_use(voice_examples.CLONE_ID, [linkedin_examples.ACTION_ID])
            )
        if context.operation_id == "preview_voice_clone":
            errors.append(voice_preview.not_ready(voice_examples.CLONE_ID, "processing", None))
        if context.idempotent:
            errors.append(key_in_use())
    elif status == 413:
        errors.append(payload_too_large())
        if context.operation_id == "create_voice_clone":
            errors.append(voice_upload.file_too_large("long.wav", 60_000_000, 52_428_800))
    elif status == 415:
        errors.append(unsupported_media_type("text/plain"))
    elif status == 422:
        field = _INVALID_FIELD.get(context.operation_id)
        if field is not None:
            errors.append(_invalid(*field))
        if context.operation_id == "create_voice_clone":
            errors.append(
                voice_upload.invalid_audio("notes.wav", "not a WAV, MP3, M4A or FLAC audio file")
            )
            errors.append(voice_upload.too_short(6.2, 10, [("intro.wav", 6.2)]))
        if context.paged:
            errors.append(_raised(lambda: page(0, None)))
        if context.idempotent:
            errors.append(key_mismatch())
    elif status == 429:
        errors.append(
            RateLimitExceeded(
                "Rate limit of 100 requests exceeded; retry in 12 seconds",
                details={"limit": 100, "retry_after": 12},
            )
        )
    elif status == 500:
        errors.append(internal_error())
    elif status == 503:
        errors.append(database_unavailable())
    return errors


def _granted_without(permission: Permission) -> Iterable[str]:
    return [Permission.LEADS_READ.value] if permission != Permission.LEADS_READ else []


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details={"errors": [{"field": field, "message": message}]})


def _raised(call: Callable[[], object]) -> ApiError:
    try:
        call()
    except ApiError as error:
        return error
    raise AssertionError("expected an ApiError")  # pragma: no cover


def _encoded(error: ApiError) -> Any:
    body = msgspec.structs.replace(error_body(error, _REQUEST_ID), timestamp=_AT)
    return msgspec.to_builtins(body)
