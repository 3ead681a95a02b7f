"""The access log: one line per request, whichever path answers it, with the request id,
route template, status, latency and key id; secrets in the query string redacted."""

from __future__ import annotations

import json
import logging
import signal
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from buena_server.auth.tokens import generate_key
from buena_server.kit.access_log import LOGGER_NAME, JsonFormatter, redact_query

from backends import fresh_database
from live_server import live_server
from server_testing import API, Account, InProcessClient


@pytest.fixture
def access_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    return caplog


def access_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == LOGGER_NAME]


def as_json(record: logging.LogRecord) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(JsonFormatter().format(record))
    return document


@pytest.mark.parametrize(
    ("query", "redacted"),
    [
        ("limit=5", "limit=5"),
        ("api_key=abc&limit=5", "api_key=REDACTED&limit=5"),
        ("API_KEY=abc", "API_KEY=REDACTED"),
        ("key=abc&keys=1&monkey=2", "key=REDACTED&keys=1&monkey=2"),
        (
            "Token=abc&access_token=x&x-api-key=y",
            "Token=REDACTED&access_token=REDACTED&x-api-key=REDACTED",
        ),
        (
            "client_secret=s&secret=&password=p",
            "client_secret=REDACTED&secret=REDACTED&password=REDACTED",
        ),
        ("api%5Fkey=abc", "api%5Fkey=REDACTED"),
        ("search=john&tag=a=b", "search=john&tag=a=b"),
        (f"q=bna_{'a1' * 32}", "q=REDACTED"),
        (f"bna_{'F0' * 32}", "REDACTED"),
    ],
)
def test_redact_query(query: str, redacted: str) -> None:
    assert redact_query(query) == redacted


@pytest.mark.parametrize("settings_overrides", [{"hot_paths": True}, {"hot_paths": False}])
async def test_one_line_per_request_with_its_fields(
    client: InProcessClient,
    account: Account,
    access_log: pytest.LogCaptureFixture,
    settings_overrides: dict[str, Any],
) -> None:
    lead = await account.create_lead(first_name="Secretive", email="secretive@example.com")
    response = await client.get(f"{API}/leads/{lead['id']}", headers=account.headers())
    assert response.status_code == 200
    # A key in the query string: refused (no such parameter), and logged redacted.
    refused = await client.get(
        f"{API}/leads/{lead['id']}",
        params={"api_key": account.key, "limit": "5"},
        headers=account.headers(),
    )
    assert refused.status_code == 400

    create, read, refused_read = access_lines(access_log)
    assert as_json(create)["route"] == f"{API}/leads"
    assert as_json(create)["status"] == 201
    fields = as_json(read)
    assert fields["request_id"] == response.headers["x-request-id"]
    assert fields["method"] == "GET"
    assert fields["route"] == f"{API}/leads/{{lead_id}}"
    assert fields["path"] == f"{API}/leads/{lead['id']}"
    assert fields["query"] == ""
    assert fields["status"] == 200
    assert fields["latency_ms"] > 0
    assert fields["key_id"] == account.key_id
    assert fields["level"] == "INFO"
    assert fields["logger"] == LOGGER_NAME
    assert f'"GET {API}/leads/{lead["id"]} HTTP/1.1" 200' in read.getMessage()
    assert f"key={account.key_id}" in read.getMessage()
    refused_fields = as_json(refused_read)
    assert (refused_fields["route"], refused_fields["status"]) == (f"{API}/leads/{{lead_id}}", 400)
    assert refused_fields["query"] == "api_key=REDACTED&limit=5"
    text = refused_read.getMessage()
    assert f'"GET {API}/leads/{lead["id"]}?api_key=REDACTED&limit=5 HTTP/1.1" 400' in text
    for record in (create, read, refused_read):
        line = JsonFormatter().format(record) + record.getMessage()
        assert account.key not in line
        assert "Secretive" not in line  # no lead contents
        assert "secretive@" not in line


async def test_failures_and_unmatched_paths_are_logged_without_the_key(
    client: InProcessClient, access_log: pytest.LogCaptureFixture
) -> None:
    wrong_key = "bna_" + "7" * 64
    await client.get(f"{API}/leads", headers={"x-api-key": wrong_key})
    await client.get(f"{API}/no/such/path?token=t0ps3cret")
    refused, unmatched = (as_json(record) for record in access_lines(access_log))
    assert (refused["route"], refused["status"], refused["key_id"]) == (f"{API}/leads", 401, None)
    assert (unmatched["route"], unmatched["status"]) == ("unmatched", 404)
    assert unmatched["query"] == "token=REDACTED"
    everything = "".join(JsonFormatter().format(r) for r in access_lines(access_log))
    assert wrong_key not in everything
    assert "t0ps3cret" not in everything


def test_json_formatter_writes_any_record_as_one_object() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.getLogger("buena_server.test").makeRecord(
            "buena_server.test", logging.WARNING, __file__, 1, "a %s", ("b",), exc_info=True
        )
        record.exc_info = sys.exc_info()
    line = JsonFormatter().format(record)
    assert "\n" not in line
    document = json.loads(line)
    assert document["message"] == "a b"
    assert document["level"] == "WARNING"
    assert document["time"].endswith("Z")
    assert "ValueError: boom" in document["exception"]


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_live_server_logs_each_request_once_and_redacted(tmp_path: Path, log_format: str) -> None:
    """``serve`` writes our access line (not uvicorn's) in the chosen format."""
    key = generate_key()
    env = {"BUENA_BOOTSTRAP_KEY": key, "BUENA_LOG_FORMAT": log_format}
    with (
        fresh_database(str(tmp_path / "log.db")) as url,
        live_server(url, tmp_path, env, quiet=False) as server,
    ):
        headers = {"x-api-key": key}
        key_id = httpx.get(f"{server.base_url}/keys", headers=headers).json()["data"][0]["id"]
        # A key pasted into the query string: refused (no such parameter), logged redacted.
        response = httpx.get(
            f"{server.base_url}/leads", params={"api_key": key, "limit": 1}, headers=headers
        )
        assert response.status_code == 400
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=60) == 0
        output = server.output()

    assert key not in output
    lines = [line for line in output.splitlines() if response.headers["x-request-id"] in line]
    assert len(lines) == 1, output
    if log_format == "text":
        assert f'"GET {API}/leads?api_key=REDACTED&limit=1 HTTP/1.1" 400 ' in lines[0]
        assert f"key={key_id}" in lines[0]
        return
    fields = json.loads(lines[0])
    assert fields["logger"] == LOGGER_NAME
    assert fields["route"] == f"{API}/leads"
    assert fields["query"] == "api_key=REDACTED&limit=1"
    assert (fields["method"], fields["status"], fields["key_id"]) == ("GET", 400, key_id)
    # uvicorn's own records are JSON too.
    loggers = {json.loads(line)["logger"] for line in output.splitlines() if line.startswith("{")}
    assert "uvicorn.error" in loggers
