"""Each `buena` subcommand sends the request it names and prints the answer, as a table or
as JSON (in-process, against a scripted HTTP server)."""

import json
from typing import Any, Callable

import pytest

from buena_sdk.cli import main

KEY = "bna_" + "ef" * 32
HEALTH = {
    "status": "degraded",
    "timestamp": "2026-12-05T03:00:00Z",
    "version": "2.0",
    "services": {"database": "healthy", "redis": "down", "api": "healthy"},
    "response_time": 3,
}


@pytest.fixture(autouse=True)
def _no_user_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.delenv("BUENA_API_URL", raising=False)
    monkeypatch.delenv("BUENA_API_KEY", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def _page(item: Any) -> "dict[str, Any]":
    return {"data": [item], "total": 1, "limit": 50, "offset": 0}


def _cases(
    lead: Any, key: Any, webhook: Any, delivery: Any, event: Any
) -> "list[tuple[list[str], int, Any, str, str]]":
    """(argv, status, answer, method, path and query) of each command."""
    secret = {**webhook, "secret": "whsec_x"}
    rotated = {**secret, "previous_secret_expires_at": None}
    return [
        (["leads", "list", "--search", "ann", "--tags", "a,b", "--created-after", "2026-01-01"],
         200, {**_page(lead), "next_cursor": "c2"}, "GET",
         "/leads?limit=50&search=ann&tags=a%2Cb&created_after=2026-01-01T00%3A00%3A00%2B00%3A00"),
        (["leads", "list", "--all", "--no-email"], 200, {**_page(lead), "next_cursor": None},
         "GET", "/leads?limit=100&offset=0&has_email=false"),
        (["leads", "get", "lead_abc"], 200, lead, "GET", "/leads/lead_abc"),
        (["leads", "update", "lead_abc", "--company", "X", "--clear", "phone", "--custom", "n=1"],
         200, lead, "PATCH", "/leads/lead_abc"),
        (["leads", "delete", "lead_abc"], 200, {"success": True, "deleted_id": "lead_abc"},
         "DELETE", "/leads/lead_abc"),
        (["keys", "list"], 200, {**_page(key), "next_cursor": None}, "GET",
         "/keys?limit=100&offset=0"),
        (["keys", "create", "--name", "CRM", "--permission", "leads:read",
          "--expires-at", "2027-01-01T00:00:00Z"], 201, {**key, "key": "bna_new"}, "POST", "/keys"),
        (["keys", "revoke", "key_1"], 200, {"success": True, "revoked_id": "key_1"}, "DELETE",
         "/keys/key_1"),
        (["webhooks", "list"], 200, _page(webhook), "GET", "/webhooks?limit=100&offset=0"),
        (["webhooks", "get", "wh_1"], 200, webhook, "GET", "/webhooks/wh_1"),
        (["webhooks", "create", "--url", "https://h.example.com", "--event", "lead.created",
          "--inactive"], 201, secret, "POST", "/webhooks"),
        (["webhooks", "update", "wh_1", "--event", "*", "--active"], 200, webhook, "PATCH",
         "/webhooks/wh_1"),
        (["webhooks", "delete", "wh_1"], 200, {"success": True}, "DELETE", "/webhooks/wh_1"),
        (["webhooks", "rotate-secret", "wh_1", "--overlap-seconds", "0"], 200, rotated, "POST",
         "/webhooks/wh_1/rotate-secret"),
        (["webhooks", "deliveries", "wh_1", "--status", "failed"], 200, _page(delivery), "GET",
         "/webhooks/wh_1/deliveries?limit=50&offset=0&status=failed"),
        (["webhooks", "redeliver", "wh_1", "whd_1"], 202, delivery, "POST",
         "/webhooks/wh_1/deliveries/whd_1/redeliver"),
        (["events", "list", "--type", "lead.created"], 200, _page(event), "GET",
         "/events?limit=50&offset=0&type=lead.created"),
        (["events", "get", "evt_1"], 200, event, "GET", "/events/evt_1"),
    ]  # fmt: skip


@pytest.mark.parametrize("as_json", [False, True])
def test_every_command(
    capsys: pytest.CaptureFixture[str], live_server: Any, as_json: bool,
    lead_json: Callable[..., Any], api_key_json: Callable[..., Any],
    webhook_json: Callable[..., Any], delivery_json: Callable[..., Any],
    event_json: Callable[..., Any],
) -> None:  # fmt: skip
    cases = _cases(lead_json(), api_key_json(), webhook_json(), delivery_json(), event_json())
    for argv, status, answer, method, path in cases:
        live_server.replies.clear()
        live_server.script(status, answer)
        takes_json = argv[:2] not in (["leads", "delete"], ["keys", "revoke"],
                                      ["webhooks", "delete"], ["events", "get"])  # fmt: skip
        full = ["--api-url", live_server.host, "--api-key", KEY, *argv]
        with pytest.raises(SystemExit) as exited:
            main([*full, "--json"] if as_json and takes_json else full)
        out, err = capsys.readouterr()
        assert exited.value.code == 0, (argv, err)
        request = live_server.requests[-1]
        assert (request.method, request.path) == (method, "/api/v2" + path), argv
        if as_json and takes_json:
            json.loads(out)
        if argv[:2] == ["leads", "update"]:
            assert json.loads(request.body) == {
                "company": "X", "custom_fields": {"n": 1}, "phone": None,
            }  # fmt: skip
        if argv[:2] == ["webhooks", "create"]:
            assert json.loads(request.body)["is_active"] is False


def test_health_as_a_table_exits_1_unless_healthy(
    capsys: pytest.CaptureFixture[str], live_server: Any
) -> None:
    live_server.script(200, HEALTH)
    with pytest.raises(SystemExit) as exited:
        main(["--api-url", live_server.host, "health"])
    out, _ = capsys.readouterr()
    assert exited.value.code == 1
    assert out.splitlines()[0] == "degraded (version 2.0, 3 ms)"
    assert "  redis: down" in out
    assert "x-api-key" not in {name.lower() for name in live_server.requests[-1].headers}


@pytest.mark.parametrize(
    "argv",
    [
        ["leads", "create", "--first-name", "A"],
        ["leads", "update", "lead_1"],
        ["leads", "update", "lead_1", "--clear", "nope"],
        [
            "leads",
            "create",
            "--first-name",
            "A",
            "--last-name",
            "B",
            "--email",
            "e",
            "--custom",
            "x",
        ],
        ["webhooks", "update", "wh_1"],
        ["leads", "list", "--created-after", "yesterday"],
    ],
)
def test_incomplete_commands_are_usage_errors(
    capsys: pytest.CaptureFixture[str], argv: "list[str]"
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--api-url", "http://127.0.0.1:9/api/v2", "--api-key", KEY, *argv])
    assert exited.value.code == 2
    assert "Error: " in capsys.readouterr().err
