"""The webhook and event models: the contract's fields, lenient answers, strict requests."""

import json
from typing import Any, Callable

import pytest
from pydantic import ValidationError

from buena_sdk import models
from buena_sdk.api_client import serialize_body


def test_webhook_fields_are_the_contracts() -> None:
    assert list(models.Webhook.model_fields) == [
        "id",
        "url",
        "events",
        "description",
        "is_active",
        "secret_preview",
        "disabled_reason",
        "disabled_at",
        "created_at",
        "updated_at",
    ]
    assert set(models.CreatedWebhook.model_fields) - set(models.Webhook.model_fields) == {"secret"}
    assert set(models.WebhookSecret.model_fields) - set(models.Webhook.model_fields) == {
        "secret",
        "previous_secret_expires_at",
    }


def test_delivery_and_event_fields_are_the_contracts() -> None:
    assert list(models.WebhookDelivery.model_fields) == [
        "id",
        "webhook_id",
        "event_id",
        "event_type",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    ]
    assert list(models.Event.model_fields) == ["id", "type", "created_at", "data"]


def test_answers_ignore_fields_a_newer_server_adds(
    webhook_json: Callable[..., Any], event_json: Callable[..., Any]
) -> None:
    webhook = models.Webhook.model_validate(webhook_json(api_version="2027-01-01"))
    assert not hasattr(webhook, "api_version")
    event = models.Event.model_validate(event_json(livemode=True))
    assert event.id == "evt_1"


def test_a_delivery_with_no_answer_has_no_status_code(delivery_json: Callable[..., Any]) -> None:
    delivery = models.WebhookDelivery.model_validate(
        delivery_json(last_status_code=None, last_error="connect timeout")
    )
    assert delivery.last_status_code is None
    assert delivery.last_error == "connect timeout"


def test_create_sends_only_the_set_fields() -> None:
    request = models.CreateWebhookRequest(url="https://h.example", events=["lead.created"])
    assert json.loads(serialize_body(request)) == {
        "url": "https://h.example",
        "events": ["lead.created"],
    }
    with pytest.raises(ValidationError, match="events"):
        models.CreateWebhookRequest(url="https://h.example")  # type: ignore[call-arg]


def test_update_sends_an_explicit_none_as_null_and_omits_the_rest() -> None:
    request = models.UpdateWebhookRequest(description=None, events=["*"])
    assert json.loads(serialize_body(request)) == {"description": None, "events": ["*"]}


def test_rotate_sends_the_overlap_only_when_set() -> None:
    assert json.loads(serialize_body(models.RotateWebhookSecretRequest())) == {}
    request = models.RotateWebhookSecretRequest(overlap_seconds=0)
    assert json.loads(serialize_body(request)) == {"overlap_seconds": 0}


@pytest.mark.parametrize(
    "model",
    [
        models.CreateWebhookRequest,
        models.UpdateWebhookRequest,
        models.RotateWebhookSecretRequest,
    ],
)
def test_unknown_keywords_fail_locally(model: type) -> None:
    with pytest.raises(ValidationError, match="secret"):
        model(url="https://h.example", events=["*"], secret="whsec_x")


def test_event_types_are_the_catalogue() -> None:
    assert models.EVENT_TYPES == (
        "lead.created",
        "lead.updated",
        "lead.deleted",
        "lead.enriched",
        "api_key.created",
        "api_key.revoked",
        "webhook.disabled",
        "job.completed",
        "job.failed",
        "linkedin.action.completed",
        "linkedin.action.failed",
        "linkedin.connection.accepted",
        "linkedin.message.replied",
    )
