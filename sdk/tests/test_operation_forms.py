"""Every operation's raw forms (``*_without_preload_content``, sync and ``_async``) send the
request the operation sends, return the answer unread, and the domain APIs
(``WebhooksApi``, ``EventsApi``, ``EnrichmentApi``, ``JobsApi``, ``LinkedInApi``,
``VoiceClonesApi``, ...) send what ``DefaultApi`` sends: the forms differ only in what they
return."""

from typing import Any, Callable

import pytest

import buena_sdk
from buena_sdk.api.enrichment_api import EnrichmentApi
from buena_sdk.api.events_api import EventsApi
from buena_sdk.api.jobs_api import JobsApi
from buena_sdk.api.lead_activities_api import LeadActivitiesApi
from buena_sdk.api.linkedin_api import LinkedInApi
from buena_sdk.api.prospect_lists_api import ProspectListsApi
from buena_sdk.api.voice_clones_api import VoiceClonesApi
from buena_sdk.api.webhooks_api import WebhooksApi

LEAD = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}
HOOK = {"url": "https://example.com/hook", "events": ["lead.created"]}
# Each operation with arguments it accepts, and the method and path it must send.
OPERATIONS: dict[str, tuple[tuple[Any, ...], str, str]] = {
    "health_check": ((), "GET", "/health"),
    "list_leads": ((), "GET", "/leads"),
    "get_lead": (("lead_1",), "GET", "/leads/lead_1"),
    "create_lead": ((buena_sdk.CreateLeadRequest(**LEAD),), "POST", "/leads"),
    "update_lead": (
        ("lead_1", buena_sdk.UpdateLeadRequest(company="Engines")),
        "PATCH",
        "/leads/lead_1",
    ),
    "delete_lead": (("lead_1",), "DELETE", "/leads/lead_1"),
    "batch_leads": (({"mode": "create", "leads": [LEAD]},), "POST", "/leads/batch"),
    "list_api_keys": ((), "GET", "/keys"),
    "create_api_key": (({"name": "ci", "permissions": ["leads:read"]},), "POST", "/keys"),
    "revoke_api_key": (("key_1",), "DELETE", "/keys/key_1"),
    "list_webhooks": ((), "GET", "/webhooks"),
    "create_webhook": ((HOOK,), "POST", "/webhooks"),
    "get_webhook": (("wh_1",), "GET", "/webhooks/wh_1"),
    "update_webhook": (("wh_1", {"description": "d"}), "PATCH", "/webhooks/wh_1"),
    "delete_webhook": (("wh_1",), "DELETE", "/webhooks/wh_1"),
    "rotate_webhook_secret": (("wh_1",), "POST", "/webhooks/wh_1/rotate-secret"),
    "list_webhook_deliveries": (("wh_1",), "GET", "/webhooks/wh_1/deliveries"),
    "redeliver_webhook_delivery": (
        ("wh_1", "whd_1"),
        "POST",
        "/webhooks/wh_1/deliveries/whd_1/redeliver",
    ),
    "list_events": ((), "GET", "/events"),
    "get_event": (("evt_1",), "GET", "/events/evt_1"),
    "get_credits": ((), "GET", "/credits"),
    "enrich": (({"leads": [{"email": "ada@example.com"}]},), "POST", "/enrich"),
    "submit_enrichment_job": (({"filter": {"status": "active"}},), "POST", "/enrich"),
    "get_lead_enrichment": (("lead_1",), "GET", "/leads/lead_1/enrichment"),
    "list_lead_activities": (("lead_1",), "GET", "/leads/lead_1/activities"),
    "create_prospect_list": (
        ({"name": "L", "prospects": [{"email": "a@b.io"}]},),
        "POST",
        "/prospect-lists",
    ),
    "list_prospect_lists": ((), "GET", "/prospect-lists"),
    "import_prospect_list": (("L", "email\na@b.io\n"), "POST", "/prospect-lists/import"),
    "get_prospect_list": (("pl_1",), "GET", "/prospect-lists/pl_1"),
    "list_prospects": (("pl_1",), "GET", "/prospect-lists/pl_1/prospects"),
    "convert_prospect_list": (("pl_1",), "POST", "/prospect-lists/pl_1/convert"),
    "schedule_prospect_list": (
        ("pl_1", {"action_type": "view_profile"}),
        "POST",
        "/prospect-lists/pl_1/schedule",
    ),
    "list_jobs": ((), "GET", "/jobs"),
    "get_job": (("job_1",), "GET", "/jobs/job_1"),
    "cancel_job": (("job_1",), "POST", "/jobs/job_1/cancel"),
    "get_linkedin_integration": ((), "GET", "/integrations/linkedin"),
    "update_linkedin_integration": (
        ({"profile_url": "https://linkedin.com/in/me"},),
        "PUT",
        "/integrations/linkedin",
    ),
    "delete_linkedin_integration": ((), "DELETE", "/integrations/linkedin"),
    "schedule_linkedin_action": (
        ({"action_type": "view_profile", "profile_url": "https://linkedin.com/in/ada"},),
        "POST",
        "/linkedin/actions",
    ),
    "list_linkedin_actions": ((), "GET", "/linkedin/actions"),
    "get_linkedin_action": (("lia_1",), "GET", "/linkedin/actions/lia_1"),
    "cancel_linkedin_action": (("lia_1",), "POST", "/linkedin/actions/lia_1/cancel"),
    "list_voice_clones": ((), "GET", "/voice-clones"),
    "create_voice_clone": (("Ada", [("ada.wav", b"RIFF")]), "POST", "/voice-clones"),
    "get_voice_clone": (("voice_1",), "GET", "/voice-clones/voice_1"),
    "update_voice_clone": (("voice_1", {"name": "Ada"}), "PATCH", "/voice-clones/voice_1"),
    "delete_voice_clone": (("voice_1",), "DELETE", "/voice-clones/voice_1"),
    "preview_voice_clone": (
        ({"voice_id": "voice_1", "text": "Hello"},),
        "POST",
        "/voice-clones/preview",
    ),
    "schedule_linkedin_action_hosted": (
        ({"actionType": "viewProfile", "profileUrl": "https://linkedin.com/in/ada"},),
        "POST",
        "/linkedin/scheduleLinkedInAction",
    ),
}


async def _sent_raw(
    make_fake_api: Callable[..., Any], api_class: Any, operation: str, mode: str
) -> tuple[str, str, Any]:
    """(method, path, body) of the operation's raw form, whose answer comes back unread."""
    args = OPERATIONS[operation][0]
    fake = make_fake_api(retries=0)
    fake.transport.reply(200, raw=b'{"raw": true}')
    api = api_class(fake.client)
    if mode == "sync":
        response = getattr(api, f"{operation}_without_preload_content")(*args)
        assert (response.status, response.read()) == (200, b'{"raw": true}')
        response.release_conn()
    else:
        response = await getattr(api, f"{operation}_without_preload_content_async")(*args)
        assert (response.status, await response.read()) == (200, b'{"raw": true}')
        response.release()
    last = fake.last
    path = last.url.split("/api/v2", 1)[-1].split("?", 1)[0]
    if not last.body:
        return last.method, path, None
    content_type = {k.lower(): v for k, v in last.headers.items()}["content-type"]
    if "json" in content_type:
        return last.method, path, fake.last_json()
    if content_type.startswith("multipart/form-data; boundary="):
        # Each call draws its own boundary: compare the parts, not the boundary.
        boundary = content_type.split("=", 1)[1].encode()
        return last.method, path, last.body.replace(boundary, b"BOUNDARY")
    return last.method, path, last.body


def test_every_operation_is_in_the_table() -> None:
    raw = {
        name.removesuffix("_without_preload_content")
        for name in dir(buena_sdk.DefaultApi)
        if name.endswith("_without_preload_content")
    }
    assert raw == set(OPERATIONS)


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
async def test_raw_forms_send_the_operations_request(
    make_fake_api: Callable[..., Any], mode: str, operation: str
) -> None:
    _args, method, path = OPERATIONS[operation]
    sent = await _sent_raw(make_fake_api, buena_sdk.DefaultApi, operation, mode)
    assert sent[:2] == (method, path)


@pytest.mark.parametrize(
    ("api_class", "operation"),
    [
        (cls, name)
        for cls in (
            WebhooksApi,
            EventsApi,
            EnrichmentApi,
            JobsApi,
            LinkedInApi,
            LeadActivitiesApi,
            ProspectListsApi,
            VoiceClonesApi,
        )
        for name in sorted(OPERATIONS)
        if hasattr(cls, f"{name}_without_preload_content")
    ],
)
async def test_the_domain_apis_send_what_default_api_sends(
    make_fake_api: Callable[..., Any], mode: str, api_class: Any, operation: str
) -> None:
    ours = await _sent_raw(make_fake_api, api_class, operation, mode)
    default = await _sent_raw(make_fake_api, buena_sdk.DefaultApi, operation, mode)
    assert ours == default
