"""The import paths and names the reference uses all exist."""

import importlib

import pytest

import buena_sdk


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("buena_sdk.api.default_api", "DefaultApi"),
        ("buena_sdk.api", "DefaultApi"),
        ("buena_sdk.rest", "ApiException"),
        ("buena_sdk.rest", "RESTClientObject"),
        ("buena_sdk.api_client", "ApiClient"),
        ("buena_sdk.configuration", "Configuration"),
        ("buena_sdk.pagination", "paginate_leads"),
        ("buena_sdk.pagination", "apaginate_leads"),
        ("buena_sdk.pagination", "paginate_api_keys"),
        ("buena_sdk.pagination", "apaginate_api_keys"),
        ("buena_sdk.pagination", "paginate_webhooks"),
        ("buena_sdk.pagination", "paginate_webhook_deliveries"),
        ("buena_sdk.pagination", "paginate_events"),
        ("buena_sdk.api", "WebhooksApi"),
        ("buena_sdk.api", "EventsApi"),
        ("buena_sdk.api", "EnrichmentApi"),
        ("buena_sdk.api.enrichment_api", "EnrichmentApi"),
        ("buena_sdk", "EnrichmentApi"),
        ("buena_sdk", "PaymentRequiredException"),
        ("buena_sdk", "EnrichFilter"),
        ("buena_sdk.models", "EnrichFilter"),
        ("buena_sdk", "MAX_ENRICH_LEADS"),
        ("buena_sdk.api", "JobsApi"),
        ("buena_sdk", "JobsApi"),
        ("buena_sdk", "Job"),
        ("buena_sdk", "ListJobsResponse"),
        ("buena_sdk.api", "LinkedInApi"),
        ("buena_sdk.api.linkedin_api", "LinkedInApi"),
        ("buena_sdk", "LinkedInApi"),
        ("buena_sdk", "LinkedInAction"),
        ("buena_sdk", "ScheduleLinkedInActionRequest"),
        ("buena_sdk.models", "LinkedInIntegration"),
        ("buena_sdk", "LINKEDIN_ACTION_TYPES"),
        ("buena_sdk.api", "VoiceClonesApi"),
        ("buena_sdk.api.voice_clones_api", "VoiceClonesApi"),
        ("buena_sdk", "VoiceClonesApi"),
        ("buena_sdk", "VoiceClone"),
        ("buena_sdk", "VoicePreviewRequest"),
        ("buena_sdk.models", "VoiceCloneUpdate"),
        ("buena_sdk", "MAX_VOICE_SAMPLES"),
        ("buena_sdk.api.webhooks_api", "WebhooksApi"),
        ("buena_sdk.api.events_api", "EventsApi"),
        ("buena_sdk.webhooks", "construct_event"),
        ("buena_sdk.webhooks", "sign_payload"),
        ("buena_sdk.webhooks", "SignatureVerificationError"),
        ("buena_sdk", "SignatureVerificationError"),
        ("buena_sdk", "webhooks"),
        ("buena_sdk", "Configuration"),
        ("buena_sdk", "ApiClient"),
        ("buena_sdk", "DefaultApi"),
        ("buena_sdk", "ApiException"),
    ],
)
def test_documented_import_paths(module: str, name: str) -> None:
    assert hasattr(importlib.import_module(module), name)


def test_top_level_names_are_the_same_objects() -> None:
    from buena_sdk.api.default_api import DefaultApi
    from buena_sdk.rest import ApiException

    assert buena_sdk.DefaultApi is DefaultApi
    assert buena_sdk.ApiException is ApiException


def test_api_client_supports_both_context_forms() -> None:
    for method in ("__enter__", "__exit__", "__aenter__", "__aexit__"):
        assert hasattr(buena_sdk.ApiClient, method)


def test_everything_in_all_exists() -> None:
    for name in buena_sdk.__all__:
        assert hasattr(buena_sdk, name), name


def test_version() -> None:
    assert buena_sdk.__version__ == "1.0.0"


def test_package_is_typed() -> None:
    from importlib.resources import files

    assert files("buena_sdk").joinpath("py.typed").is_file()
