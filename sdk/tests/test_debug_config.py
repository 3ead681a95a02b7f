"""openapi-generator's Configuration settings: the class default, ``api_key_prefix``, and
``debug`` / ``logger_file`` / ``logger_format`` (a log of each request and response in
which no API key ever appears)."""

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import pytest

import buena_sdk
from buena_sdk.api_client import ApiClient
from buena_sdk.configuration import LOGGER_NAME

KEY = "bna_" + "ab" * 32
NEW_KEY_SECRET = "bna_" + "9f" * 32
Invoke = Callable[..., Any]


@pytest.fixture(autouse=True)
def restore_logging_and_default() -> Iterator[None]:
    package_logger = logging.getLogger(LOGGER_NAME)
    level, handlers = package_logger.level, list(package_logger.handlers)
    yield
    for handler in package_logger.handlers:
        if handler not in handlers:
            package_logger.removeHandler(handler)
            handler.close()
    package_logger.setLevel(level)
    buena_sdk.Configuration.set_default(None)


def test_set_default_is_what_a_bare_api_client_uses() -> None:
    configuration = buena_sdk.Configuration(host="http://default.test", retries=0)
    buena_sdk.Configuration.set_default(configuration)
    assert buena_sdk.Configuration.get_default() is configuration
    assert ApiClient().configuration is configuration
    buena_sdk.Configuration.set_default(None)
    assert buena_sdk.Configuration.get_default() is not configuration


def test_api_key_prefix_goes_before_the_key(
    make_fake_api: Callable[..., Any], lead_json: Callable[..., Any]
) -> None:
    fake = make_fake_api(api_key_prefix={"ApiKeyAuth": "Bearer"})
    fake.transport.reply(200, lead_json())
    fake.api.get_lead("lead_1")
    assert (
        fake.last.headers["x-api-key"]
        == "Bearer " + fake.client.configuration.api_key["ApiKeyAuth"]
    )
    assert (
        fake.client.configuration.get_api_key_with_prefix("ApiKeyAuth")
        == fake.last.headers["x-api-key"]
    )


async def test_debug_logs_requests_and_responses_without_the_key(
    make_fake_api: Callable[..., Any],
    invoke: Invoke,
    api_key_json: Callable[..., Any],
    tmp_path: Path,
) -> None:
    log = tmp_path / "sdk.log"
    fake = make_fake_api(debug=True, logger_file=str(log), logger_format="%(message)s")
    key = fake.client.configuration.api_key["ApiKeyAuth"]
    fake.transport.reply(201, api_key_json(key=NEW_KEY_SECRET))
    body = {"name": "ci", "permissions": ["leads:read"]}
    other = "custom-key-of-another-shape"
    auth = {"in": "header", "type": "api_key", "key": "x-api-key", "value": other}
    await invoke(fake.api, "create_api_key", body, _request_auth=auth)
    fake.transport.reply(200, api_key_json())
    await invoke(fake.api, "revoke_api_key", "key_1")
    text = log.read_text()
    assert "Request: POST http://sdk.test/api/v2/keys" in text
    assert "Response: POST http://sdk.test/api/v2/keys -> 201" in text
    assert '"name": "ci"' in text or '"name":"ci"' in text
    assert key not in text
    assert other not in text
    assert NEW_KEY_SECRET not in text  # a created key's secret, in the response body
    assert "[REDACTED]" in text


def test_debug_logs_the_size_of_binary_bodies(
    make_fake_api: Callable[..., Any], tmp_path: Path
) -> None:
    log = tmp_path / "sdk.log"
    fake = make_fake_api(debug=True, logger_file=str(log), logger_format="%(message)s")
    audio = b"ID3\x04\x00" + bytes(range(128, 256)) * 40
    fake.transport.reply(200, raw=audio, headers={"Content-Type": "audio/mpeg"})
    fake.api.preview_voice_clone({"voice_id": "voice_1", "text": "h\u00e9llo"})
    fake.transport.reply(201, raw=b"{}")  # not a clone: only the upload's log line matters
    with pytest.raises(buena_sdk.ApiResponseValidationError):
        fake.api.create_voice_clone("Ada", [("a.wav", audio)])
    lines = log.read_text().splitlines()
    assert f"body=<{len(audio)} bytes, not text>" in lines[1]
    assert lines[0].endswith("""body='{"voice_id":"voice_1","text":"h\u00e9llo"}'""")
    assert lines[2].endswith(f"body=<{len(fake.last.body)} bytes, not text>")


def test_debug_off_logs_nothing_at_debug(
    make_fake_api: Callable[..., Any], lead_json: Callable[..., Any], tmp_path: Path
) -> None:
    log = tmp_path / "sdk.log"
    fake = make_fake_api(logger_file=str(log))
    fake.transport.reply(200, lead_json())
    fake.api.get_lead("lead_1")
    assert "Request:" not in log.read_text()
    assert fake.client.configuration.debug is False


def test_debug_can_be_switched_and_the_format_changed(
    make_fake_api: Callable[..., Any], lead_json: Callable[..., Any], tmp_path: Path
) -> None:
    log = tmp_path / "sdk.log"
    fake = make_fake_api()
    configuration = fake.client.configuration
    configuration.logger_file = str(log)
    configuration.logger_format = "SDK %(levelname)s %(message)s"
    configuration.debug = True
    fake.transport.reply(200, lead_json())
    fake.api.get_lead("lead_1")
    configuration.debug = False
    fake.transport.reply(200, lead_json())
    fake.api.get_lead("lead_2")
    text = log.read_text()
    assert "SDK DEBUG Request: GET http://sdk.test/api/v2/leads/lead_1" in text
    assert "lead_2" not in text
    assert KEY not in text
