"""Settings (config.py) as the operator gives them, in BUENA_* variables: what is refused, and
the defaults production will not take without saying so."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from buena_server.auth.tokens import generate_key
from buena_server.config import DEFAULT_DATABASE_URL, Environment, Settings


@pytest.fixture(autouse=True)
def no_developer_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the variables a test sets count, whatever the developer's shell holds."""
    for name in list(os.environ):
        if name.startswith("BUENA_"):
            monkeypatch.delenv(name)


def from_environment(monkeypatch: pytest.MonkeyPatch, **variables: str) -> Settings:
    for name, value in variables.items():
        monkeypatch.setenv(f"BUENA_{name}", value)
    return Settings()


def refusal(monkeypatch: pytest.MonkeyPatch, **variables: str) -> str:
    with pytest.raises(ValidationError) as refused:
        from_environment(monkeypatch, **variables)
    return str(refused.value)


def test_development_runs_on_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = from_environment(monkeypatch)
    assert settings.env is Environment.DEVELOPMENT
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.host == "127.0.0.1"


class TestProduction:
    def test_refuses_the_default_database(self, monkeypatch: pytest.MonkeyPatch) -> None:
        message = refusal(monkeypatch, ENV="production", HOST="10.0.0.5")
        assert "BUENA_DATABASE_URL must be set explicitly when BUENA_ENV=production" in message

    def test_refuses_the_default_interface(self, monkeypatch: pytest.MonkeyPatch) -> None:
        message = refusal(monkeypatch, ENV="production", DATABASE_URL="postgresql://db/buena")
        assert "BUENA_HOST must be set explicitly when BUENA_ENV=production" in message

    def test_takes_the_defaults_when_they_are_chosen(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The refusal is of defaults nobody chose, not of their values: naming them is a
        choice (one replica on SQLite behind a proxy on the same host, say)."""
        settings = from_environment(
            monkeypatch, ENV="production", DATABASE_URL=DEFAULT_DATABASE_URL, HOST="127.0.0.1"
        )
        assert settings.env is Environment.PRODUCTION
        assert settings.database_url == DEFAULT_DATABASE_URL
        assert settings.host == "127.0.0.1"

    def test_other_environments_take_the_defaults(self, monkeypatch: pytest.MonkeyPatch) -> None:
        assert from_environment(monkeypatch, ENV="test").database_url == DEFAULT_DATABASE_URL


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"TRUSTED_PROXIES": "10.0.0.0/8, proxy.internal"}, "'proxy.internal' is not an IP"),
        ({"TRUSTED_PROXIES": "10.0.0.300"}, "'10.0.0.300' is not an IP"),
        ({"BOOTSTRAP_KEY": "bna_short"}, "'bna_' followed by 64 hex characters"),
        ({"BOOTSTRAP_KEY": generate_key().upper()}, "'bna_' followed by 64 hex characters"),
        ({"REDIS_URL": "http://127.0.0.1:6379"}, "must start with redis:// or rediss://"),
        ({"DATABASE_URL": "mysql://db/buena"}, "mysql"),
        ({"IDEMPOTENCY_STORE": "redis"}, "BUENA_IDEMPOTENCY_STORE=redis needs BUENA_REDIS_URL"),
        ({"RATE_LIMITS": "60/fortnight"}, "fortnight"),
        ({"AUTH_FAILURE_LIMIT": "lots"}, "lots"),
        ({"REDIS_KEY_PREFIX": "has space"}, "redis_key_prefix"),
    ],
)
def test_refused_values_are_named(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], expected: str
) -> None:
    assert expected in refusal(monkeypatch, **variables)


def test_accepted_values(monkeypatch: pytest.MonkeyPatch) -> None:
    key = generate_key()
    settings = from_environment(
        monkeypatch,
        TRUSTED_PROXIES=" 10.0.0.0/8, ,192.168.1.7 ",
        BOOTSTRAP_KEY=key,
        REDIS_URL="rediss://cache.internal:6380/2",
        IDEMPOTENCY_STORE="redis",
        RATE_LIMITS="Off",
    )
    assert settings.trusted_proxy_list == ["10.0.0.0/8", "192.168.1.7"]
    assert settings.bootstrap_key is not None
    assert settings.bootstrap_key.get_secret_value() == key
    assert key not in repr(settings)  # a secret, never printed
    assert settings.redis_url == "rediss://cache.internal:6380/2"
    assert not settings.rate_limiting_enabled


def test_an_empty_redis_url_means_none(monkeypatch: pytest.MonkeyPatch) -> None:
    assert from_environment(monkeypatch, REDIS_URL="").redis_url is None
