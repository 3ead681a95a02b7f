"""The installed ``buena`` script's everyday commands against a live server: health,
leads, keys, webhooks, events, configuration by environment and by `buena login`, and its
exit codes."""

from __future__ import annotations

import json
import os
import stat
import subprocess

from cli_runner import BUENA, Account


def test_health_needs_no_key(account: Account) -> None:
    done = subprocess.run(
        [str(BUENA), "--api-url", account.host, "health", "--json"],
        capture_output=True, text=True, env=account.env(), timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "healthy"


def test_a_lead_from_create_to_delete(account: Account) -> None:
    lead = account.json(
        "leads", "create", "--first-name", "Jane", "--last-name", "Smith",
        "--email", "jane@example.com", "--company", "Example Corp", "--tag", "vip",
        "--custom", "budget=50000", "--custom", "source=fair",
    )  # fmt: skip
    assert (lead["tags"], lead["custom_fields"]) == (["vip"], {"budget": 50000, "source": "fair"})
    assert account.json("leads", "get", lead["id"]) == lead

    updated = account.json(
        "leads", "update", lead["id"], "--status", "contacted", "--clear", "company"
    )
    assert (updated["status"], updated["company"]) == ("contacted", None)
    page = account.json("leads", "list", "--status", "contacted", "--tags", "vip,other")
    assert [found["id"] for found in page["data"]] == [lead["id"]]
    assert page["next_cursor"] is None

    table = account.run("leads", "list", "--status", "contacted")
    assert table.returncode == 0
    assert lead["id"] in table.stdout
    assert "1 of 1 leads" in table.stderr

    duplicate = account.run("leads", "create", "--first-name", "J", "--last-name", "S",
                            "--email", "JANE@example.com")  # fmt: skip
    assert duplicate.returncode == 1
    assert duplicate.stderr.startswith("Error: 409 LEAD_EMAIL_EXISTS: ")
    assert duplicate.stderr.count("\n") == 1

    assert account.run("leads", "delete", lead["id"]).returncode == 0
    missing = account.run("leads", "get", lead["id"])
    assert missing.returncode == 1
    assert missing.stderr.startswith("Error: 404 LEAD_NOT_FOUND: ")


def test_list_pages_by_cursor_and_all(account: Account) -> None:
    for i in range(5):
        account.json("leads", "create", "--first-name", f"P{i}", "--last-name", "Q",
                     "--email", f"p{i}@example.com")  # fmt: skip
    first = account.json("leads", "list", "--limit", "2", "--sort", "first_name", "--order", "asc")
    assert [lead["first_name"] for lead in first["data"]] == ["P0", "P1"]
    second = account.json("leads", "list", "--limit", "2", "--sort", "first_name",
                          "--order", "asc", "--cursor", first["next_cursor"])  # fmt: skip
    assert [lead["first_name"] for lead in second["data"]] == ["P2", "P3"]
    every = account.json("leads", "list", "--all", "--has-email")
    assert len(every) == 5


def test_keys_create_list_revoke(account: Account) -> None:
    key = account.json("keys", "create", "--name", "CRM", "--permission", "leads:read")
    assert key["key"].startswith("bna_")
    assert key["id"] in {found["id"] for found in account.json("keys", "list")}
    reader = Account(account.host, key["key"], account.config_home)
    assert reader.json("leads", "list")["total"] == 0
    refused = reader.run("leads", "create", "--first-name", "A", "--last-name", "B",
                         "--email", "a@example.com")  # fmt: skip
    assert refused.returncode == 1
    assert refused.stderr.startswith("Error: 403 ")
    assert account.run("keys", "revoke", key["id"]).returncode == 0
    assert reader.run("leads", "list").stderr.startswith("Error: 401 ")


def test_webhooks_and_events(account: Account) -> None:
    lead = account.json("leads", "create", "--first-name", "Ev", "--last-name", "Ent",
                        "--email", "ev@example.com")  # fmt: skip
    events = account.json("events", "list", "--type", "lead.created")
    assert lead["id"] in {event["data"]["object"]["id"] for event in events["data"]}
    event = events["data"][0]
    done = account.run("events", "get", event["id"])
    assert (done.returncode, json.loads(done.stdout)["id"]) == (0, event["id"])
    assert account.json("webhooks", "list") == []
    refused = account.run("webhooks", "create", "--url", "https://127.0.0.1/hook", "--event", "*")
    assert refused.returncode == 1
    assert refused.stderr.startswith("Error: 422 ")
    missing = account.run("webhooks", "deliveries", "wh_missing")
    assert missing.returncode == 1


def test_configuration_by_environment_and_login(account: Account) -> None:
    def buena(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BUENA), *args], capture_output=True, text=True,
            env=account.env(**env), timeout=60, check=False,
        )  # fmt: skip

    no_key = buena("leads", "list", BUENA_API_URL=account.host)
    assert no_key.returncode == 2
    assert no_key.stderr == (
        "Error: no API key: pass --api-key, set BUENA_API_KEY, or run `buena login`\n"
    )
    by_env = buena("leads", "list", "--json", BUENA_API_URL=account.host, BUENA_API_KEY=account.key)
    assert by_env.returncode == 0, by_env.stderr

    login = buena("login", "--api-url", account.host, "--api-key", account.key)
    assert login.returncode == 0, login.stderr
    stored = account.config_home / "buena" / "config.json"
    assert stat.S_IMODE(os.stat(stored).st_mode) == 0o600
    assert buena("leads", "list", "--json").returncode == 0
    # The environment wins over the stored login, and an option over both.
    wrong = buena("leads", "list", BUENA_API_KEY="bna_" + "0" * 64)
    assert wrong.returncode == 1
    assert wrong.stderr.startswith("Error: 401 ")
    assert buena("--api-key", account.key, "leads", "list", BUENA_API_KEY="bna_x").returncode == 0
    assert buena("logout").returncode == 0
    assert not stored.exists()


def test_usage_errors_exit_2(account: Account) -> None:
    for args in (("leads", "list", "--limit", "500"), ("leads", "nope"), ("leads", "import")):
        done = account.run(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert "Traceback" not in done.stderr
