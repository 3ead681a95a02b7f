"""openapi-generator's model methods: to_dict / from_dict / to_json / from_json / to_str."""

import json
from datetime import datetime, timezone
from typing import Any, Callable

import pytest
from pydantic import ValidationError

import buena_sdk
from buena_sdk import models
from buena_sdk.models._serialization import OpenApiModelMixin


def test_every_public_model_has_the_generator_methods() -> None:
    classes = [getattr(models, name) for name in models.__all__]
    model_classes = [cls for cls in classes if isinstance(cls, type)]
    assert len(model_classes) > 20
    for cls in model_classes:
        if cls.__module__.endswith("literals"):
            continue
        assert issubclass(cls, OpenApiModelMixin), cls


def test_to_dict_keeps_set_nulls_and_python_values(lead_json: Callable[..., Any]) -> None:
    data = lead_json(phone=None)
    del data["location"]  # absent from the server's answer: left out, as the generator does
    lead = buena_sdk.Lead.model_validate(data)
    as_dict = lead.to_dict()
    assert "location" not in as_dict
    assert as_dict["phone"] is None  # sent as null: a nullable field keeps it
    assert isinstance(as_dict["created_at"], datetime)
    assert as_dict["email"] == data["email"]


def test_request_models_leave_out_unset_fields_and_keep_explicit_nulls() -> None:
    request = buena_sdk.UpdateLeadRequest(company=None, first_name="Jane")
    assert request.to_dict() == {"company": None, "first_name": "Jane"}
    create = buena_sdk.CreateLeadRequest(first_name="J", last_name="D", email="j@example.com")
    assert create.to_dict() == {"first_name": "J", "last_name": "D", "email": "j@example.com"}


def test_json_round_trip(lead_json: Callable[..., Any]) -> None:
    lead = buena_sdk.Lead.model_validate(lead_json(tags=["vip"], custom_fields={"a": 1}))
    text = lead.to_json()
    parsed = json.loads(text)
    assert parsed["created_at"].endswith(("Z", "+00:00"))
    assert parsed["tags"] == ["vip"]
    again = buena_sdk.Lead.from_json(text)
    assert again == lead


def test_nested_models_are_dicts_too(lead_json: Callable[..., Any]) -> None:
    page = buena_sdk.ListLeads200Response.from_dict(
        {"data": [lead_json()], "total": 1, "limit": 50, "offset": 0}
    )
    assert page is not None
    as_dict = page.to_dict()
    assert isinstance(as_dict["data"][0], dict)
    assert as_dict["data"][0]["id"] == "lead_abc"
    assert json.loads(page.to_json())["data"][0]["id"] == "lead_abc"


def test_from_dict_of_none_is_none_and_bad_input_fails() -> None:
    assert buena_sdk.Lead.from_dict(None) is None
    assert buena_sdk.CreateLeadRequest.from_dict(None) is None
    with pytest.raises(ValidationError):
        buena_sdk.CreateLeadRequest.from_dict({"first_name": "J", "typo": 1})


def test_to_str_is_a_readable_dump() -> None:
    request = buena_sdk.CreateLeadRequest(first_name="J", last_name="D", email="j@example.com")
    text = request.to_str()
    assert "'first_name': 'J'" in text
    assert "'email': 'j@example.com'" in text


def test_datetime_values_become_rfc3339_in_json() -> None:
    when = datetime(2027, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    request = buena_sdk.CreateApiKeyRequest(name="k", permissions=["leads:read"], expires_at=when)
    assert json.loads(request.to_json())["expires_at"] == "2027-01-02T03:04:05Z"
    assert request.to_dict()["expires_at"] == when
