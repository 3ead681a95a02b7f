"""Configuration defaults, environment fallbacks and validation."""

import pytest

import buena_sdk
from buena_sdk.configuration import DEFAULT_HOST


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BUENA_API_KEY", raising=False)
    monkeypatch.delenv("BUENA_HOST", raising=False)


def test_defaults_match_the_reference() -> None:
    configuration = buena_sdk.Configuration()
    assert configuration.host == DEFAULT_HOST == "https://api.buena.ai/api/v2"
    assert configuration.api_key == {}
    assert configuration.verify_ssl is True
    assert configuration.ssl_ca_cert is None
    assert configuration.cert_file is None
    assert configuration.key_file is None
    assert configuration.connection_pool_maxsize == 10
    assert configuration.proxy is None
    assert configuration.proxy_headers is None
    assert configuration.timeout == 30
    assert configuration.user_agent == "BuenaSDK-Python/1.0.0"
    assert configuration.retries == 2


def test_api_key_can_be_set_after_construction() -> None:
    configuration = buena_sdk.Configuration(host="http://h/api/v2")
    configuration.api_key["ApiKeyAuth"] = "bna_later"
    assert configuration.auth_key() == "bna_later"


def test_api_key_dict_is_copied() -> None:
    given = {"ApiKeyAuth": "bna_1"}
    configuration = buena_sdk.Configuration(api_key=given)
    given["ApiKeyAuth"] = "bna_2"
    assert configuration.auth_key() == "bna_1"


def test_environment_fills_in_what_is_not_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUENA_API_KEY", "bna_env")
    monkeypatch.setenv("BUENA_HOST", "http://env.example/api/v2")
    configuration = buena_sdk.Configuration()
    assert configuration.auth_key() == "bna_env"
    assert configuration.host == "http://env.example/api/v2"


def test_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUENA_API_KEY", "bna_env")
    monkeypatch.setenv("BUENA_HOST", "http://env.example/api/v2")
    configuration = buena_sdk.Configuration(host="http://arg/api/v2", api_key={})
    assert configuration.host == "http://arg/api/v2"
    assert configuration.auth_key() is None


def test_a_bare_address_in_buena_host_is_the_servers_not_ours(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # buena-server reads BUENA_HOST as the interface to listen on.
    monkeypatch.setenv("BUENA_HOST", "0.0.0.0")  # noqa: S104 (not a bind: the env value)
    assert buena_sdk.Configuration().host == DEFAULT_HOST


def test_trailing_slash_is_tolerated() -> None:
    assert buena_sdk.Configuration(host="http://h/api/v2/").base_url == "http://h/api/v2"


def test_repr_never_shows_the_key() -> None:
    configuration = buena_sdk.Configuration(api_key={"ApiKeyAuth": "bna_secret"})
    assert "bna_secret" not in repr(configuration)
    assert "api_key=set" in repr(configuration)


@pytest.mark.parametrize("bad", [{"retries": -1}, {"timeout": 0}, {"connection_pool_maxsize": 0}])
def test_nonsense_values_are_refused(bad: dict) -> None:
    with pytest.raises(ValueError, match=next(iter(bad))):
        buena_sdk.Configuration(**bad)


def test_timeout_none_means_no_timeout() -> None:
    assert buena_sdk.Configuration(timeout=None).timeout is None
