"""The models: aware datetimes, leniency on responses, strictness and exact bodies on requests."""

import json
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import pytest
from pydantic import ValidationError

import buena_sdk
from buena_sdk import models
from buena_sdk.api_client import serialize_body

MODEL_NAMES = [
    "Lead",
    "CreateLeadRequest",
    "UpdateLeadRequest",
    "ListLeads200Response",
    "ApiKey",
    "CreateApiKeyRequest",
    "ListApiKeysResponse",
    "HealthCheck200Response",
    "Webhook",
    "CreatedWebhook",
    "WebhookSecret",
    "WebhookDelivery",
    "Event",
    "ListWebhooksResponse",
    "ListWebhookDeliveriesResponse",
    "ListEventsResponse",
    "CreateWebhookRequest",
    "UpdateWebhookRequest",
    "RotateWebhookSecretRequest",
    "EVENT_TYPES",
]


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_models_are_importable_from_package_and_models(name: str) -> None:
    assert getattr(buena_sdk, name) is getattr(models, name)


def test_lead_fields_are_exactly_the_references() -> None:
    assert list(models.Lead.model_fields) == [
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
    ]


class TestLead:
    def test_datetimes_are_timezone_aware(self, lead_json: Callable[..., Any]) -> None:
        lead = models.Lead.model_validate(lead_json())
        assert lead.created_at == datetime(2026, 11, 28, 20, 40, 1, 123456, tzinfo=timezone.utc)
        assert lead.updated_at.utcoffset() == timedelta(0)

    def test_other_offsets_are_kept(self, lead_json: Callable[..., Any]) -> None:
        lead = models.Lead.model_validate(lead_json(created_at="2026-11-28T21:40:01+01:00"))
        assert lead.created_at.utcoffset() == timedelta(hours=1)
        assert lead.created_at == datetime(2026, 11, 28, 20, 40, 1, tzinfo=timezone.utc)

    def test_a_zone_less_timestamp_is_taken_as_utc(self, lead_json: Callable[..., Any]) -> None:
        lead = models.Lead.model_validate(lead_json(created_at="2026-11-28T20:40:01"))
        assert lead.created_at.tzinfo is timezone.utc

    def test_absent_optional_fields_are_none(self, lead_json: Callable[..., Any]) -> None:
        minimal = {k: v for k, v in lead_json().items() if k not in ("company", "tags")}
        lead = models.Lead.model_validate(minimal)
        assert lead.company is None
        assert lead.tags is None

    def test_unknown_fields_from_a_newer_server_are_ignored(
        self, lead_json: Callable[..., Any]
    ) -> None:
        lead = models.Lead.model_validate(lead_json(score=99, owner={"id": "u1"}))
        assert not hasattr(lead, "score")
        assert "score" not in lead.model_dump()

    def test_required_fields_are_required(self, lead_json: Callable[..., Any]) -> None:
        incomplete = lead_json()
        del incomplete["email"]
        with pytest.raises(ValidationError, match="email"):
            models.Lead.model_validate(incomplete)


class TestRequestBodies:
    def test_only_set_fields_are_sent(self) -> None:
        request = models.CreateLeadRequest(first_name="Jane", last_name="Smith", email="j@x.io")
        assert json.loads(serialize_body(request)) == {
            "first_name": "Jane",
            "last_name": "Smith",
            "email": "j@x.io",
        }

    def test_update_sends_explicit_none_as_null_and_omits_the_rest(self) -> None:
        request = models.UpdateLeadRequest(company=None, status="contacted")
        assert json.loads(serialize_body(request)) == {"company": None, "status": "contacted"}

    def test_an_empty_update_sends_an_empty_object(self) -> None:
        assert serialize_body(models.UpdateLeadRequest()) == b"{}"

    def test_custom_field_removal_is_sent_as_null(self) -> None:
        request = models.UpdateLeadRequest(custom_fields={"priority": None, "budget": 75000})
        assert json.loads(serialize_body(request)) == {
            "custom_fields": {"priority": None, "budget": 75000}
        }

    def test_create_accepts_status_as_an_extension(self) -> None:
        request = models.CreateLeadRequest(
            first_name="A", last_name="B", email="a@b.io", status="contacted"
        )
        assert json.loads(serialize_body(request))["status"] == "contacted"

    @pytest.mark.parametrize(
        "model", [models.CreateLeadRequest, models.UpdateLeadRequest, models.CreateApiKeyRequest]
    )
    def test_unknown_keywords_fail_locally(self, model: type) -> None:
        with pytest.raises(ValidationError, match="frist_name"):
            model(
                frist_name="typo",
                first_name="A",
                last_name="B",
                email="a@b.io",
                name="k",
                permissions=[],
            )

    def test_create_lead_requires_the_three_fields(self) -> None:
        with pytest.raises(ValidationError, match="email"):
            models.CreateLeadRequest(first_name="A", last_name="B")


class TestCreateApiKeyRequest:
    def test_a_naive_expiry_is_local_time_made_aware(self) -> None:
        naive = datetime.now() + timedelta(days=365)
        request = models.CreateApiKeyRequest(name="k", permissions=[], expires_at=naive)
        assert request.expires_at is not None
        assert request.expires_at.tzinfo is not None
        assert request.expires_at == naive.astimezone()
        sent = json.loads(serialize_body(request))["expires_at"]
        parsed = datetime.fromisoformat(sent.replace("Z", "+00:00"))
        assert parsed.tzinfo is not None
        assert parsed == naive.astimezone()

    def test_an_aware_expiry_is_sent_as_given(self) -> None:
        aware = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
        request = models.CreateApiKeyRequest(name="k", permissions=["leads:read"], expires_at=aware)
        assert json.loads(serialize_body(request)) == {
            "name": "k",
            "permissions": ["leads:read"],
            "expires_at": "2030-01-02T03:04:05+02:00",
        }

    def test_permissions_lists_the_reference_seven_and_enrichment(self) -> None:
        assert models.PERMISSIONS[:7] == (
            "leads:read",
            "leads:write",
            "leads:delete",
            "api_keys:read",
            "api_keys:write",
            "webhooks:read",
            "webhooks:write",
        )
        assert models.PERMISSIONS[7:10] == ("leads:enrich", "jobs:read", "jobs:update")
        assert models.PERMISSIONS[10:] == (
            "linkedin:read",
            "linkedin:schedule",
            "linkedin:upload",
            "linkedin:voice",
        )


class TestApiKeyAndHealth:
    def test_api_key_secret_is_optional(self, api_key_json: Callable[..., Any]) -> None:
        listed = models.ApiKey.model_validate(api_key_json())
        assert listed.key is None
        created = models.ApiKey.model_validate(
            api_key_json(key="bna_" + "0" * 64, expires_at="2027-11-28T20:40:01+00:00")
        )
        assert created.key == "bna_" + "0" * 64
        assert created.expires_at is not None
        assert created.expires_at.tzinfo is not None

    def test_health_accepts_disabled_services(self) -> None:
        health = models.HealthCheck200Response.model_validate(
            {
                "status": "healthy",
                "timestamp": "2026-11-28T20:40:01.5Z",
                "version": "2.0.0",
                "services": {"database": "healthy", "redis": "disabled", "api": "healthy"},
                "response_time": 3,
            }
        )
        assert health.services["redis"] == "disabled"
        assert health.timestamp.tzinfo is not None
        assert health.response_time == 3
