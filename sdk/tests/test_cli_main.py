"""The `buena` command in-process against a scripted HTTP server: exit codes, one-line
errors, the import's batches, retries after 429 and failed-rows file."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

from buena_sdk.cli import main

KEY = "bna_" + "ef" * 32


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> "tuple[int, str, str]":
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    out, err = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 1), out, err


@pytest.fixture(autouse=True)
def _no_user_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("BUENA_API_URL", raising=False)
    monkeypatch.delenv("BUENA_API_KEY", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path))


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "leads", "list", "--limit", "0")
    assert code == 2
    assert "Invalid value for '--limit'" in err
    code, _, err = run(capsys, "--api-url", "http://x.test", "leads", "list")
    assert code == 2
    assert err == "Error: no API key: pass --api-key, set BUENA_API_KEY, or run `buena login`\n"
    code, _, err = run(capsys, "nope")
    assert code == 2


def test_help_and_version_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--help")[0] == 0
    code, out, _ = run(capsys, "--version")
    assert (code, out.split()[0]) == (0, "buena,")


def test_an_api_error_is_one_line_exit_1(
    capsys: pytest.CaptureFixture[str], live_server: Any, error_body: Callable[..., Any]
) -> None:
    live_server.script(404, error_body(404, "LEAD_NOT_FOUND", "Lead lead_x not found"))
    code, out, err = run(
        capsys, "--api-url", live_server.host, "--api-key", KEY, "leads", "get", "lead_x"
    )
    assert (code, out) == (1, "")
    assert err == "Error: 404 LEAD_NOT_FOUND: Lead lead_x not found (request req_404)\n"


def test_no_server_is_one_line_exit_1(
    capsys: pytest.CaptureFixture[str], refused_host: str
) -> None:
    code, _, err = run(capsys, "--api-url", refused_host, "--timeout", "1", "health")
    assert code == 1
    assert err.startswith("Error: cannot reach the API: ")
    assert err.count("\n") == 1


def test_environment_and_login_feed_the_client(
    capsys: pytest.CaptureFixture[str], live_server: Any, monkeypatch: pytest.MonkeyPatch,
    lead_json: Callable[..., Any],
) -> None:  # fmt: skip
    live_server.script(200, lead_json(id="lead_1"))
    assert run(capsys, "login", "--api-url", live_server.host, "--api-key", "bna_stored")[0] == 0
    assert run(capsys, "leads", "get", "lead_1", "--json")[0] == 0
    assert live_server.requests[-1].headers["x-api-key"] == "bna_stored"
    monkeypatch.setenv("BUENA_API_KEY", "bna_env")
    code, out, _ = run(capsys, "leads", "get", "lead_1", "--json")
    assert (code, json.loads(out)["id"]) == (0, "lead_1")
    assert live_server.requests[-1].headers["x-api-key"] == "bna_env"
    code, out, _ = run(capsys, "config")
    assert "api_key: bna_env... (from BUENA_API_KEY)" in out
    assert run(capsys, "logout")[0] == 0


def _batch_answer(outcomes: "list[Any]") -> "dict[str, Any]":
    results = []
    for index, outcome in enumerate(outcomes):
        if outcome == "created":
            results.append(
                {"index": index, "outcome": "created", "id": f"lead_{index}", "error": None}
            )
        else:
            error = {
                "status": 422,
                "code": "VALIDATION_ERROR",
                "message": outcome,
                "field": "email",
            }
            results.append({"index": index, "outcome": "error", "id": None, "error": error})
    errors = sum(1 for o in outcomes if o != "created")
    return {"results": results, "created": len(outcomes) - errors, "updated": 0,
            "unchanged": 0, "errors": errors}  # fmt: skip


def test_import_batches_waits_out_a_429_and_writes_the_failed_rows(
    capsys: pytest.CaptureFixture[str], live_server: Any, tmp_path: Path,
    error_body: Callable[..., Any],
) -> None:  # fmt: skip
    source = tmp_path / "people.csv"
    source.write_text(
        "First Name,Last Name,E-mail,Tags\n"
        "Ann,Lee,ann@x.io,a|b\n"
        ",NoFirst,nofirst@x.io,\n"  # refused here: first_name missing
        "Bob,Ray,bob@bad,\n"  # refused by the server
        "Cy,Dee,ANN@x.io,\n"  # repeats line 2's email
        "Di,Eve,di@x.io,\n",
        encoding="utf-8",
    )
    live_server.script(429, error_body(429, "RATE_LIMIT_EXCEEDED", "slow"), {"Retry-After": "0"})
    live_server.script(207, _batch_answer(["created", "bad email"]))
    live_server.script(200, _batch_answer(["created"]))
    code, out, err = run(
        capsys, "--api-url", live_server.host, "--api-key", KEY, "leads", "import",
        str(source), "--batch-size", "2", "--concurrency", "1", "--json",
    )  # fmt: skip
    assert code == 1, err
    summary = json.loads(out)
    assert (summary["rows"], summary["created"], summary["failed"]) == (5, 2, 3)
    assert [e["line"] for e in summary["errors"]] == [3, 4, 5]
    bodies = [json.loads(r.body) for r in live_server.requests]
    assert len(bodies) == 3  # the 429, its retry, the second batch
    assert bodies[0] == bodies[1]
    assert (
        live_server.requests[0].headers["Idempotency-Key"]
        == live_server.requests[1].headers["Idempotency-Key"]
    )
    assert [lead["email"] for lead in bodies[1]["leads"]] == ["ann@x.io", "bob@bad"]
    assert bodies[1]["leads"][0]["tags"] == ["a", "b"]
    assert bodies[2] == {
        "mode": "create",
        "leads": [{"first_name": "Di", "last_name": "Eve", "email": "di@x.io"}],
    }
    failed = (tmp_path / "people.failed.csv").read_text().splitlines()
    assert failed[0] == "First Name,Last Name,E-mail,Tags,_line,_error"
    assert failed[1].startswith(",NoFirst,nofirst@x.io,,3,VALIDATION_ERROR first_name")
    assert failed[2] == "Bob,Ray,bob@bad,,4,VALIDATION_ERROR (email): bad email"
    assert failed[3] == "Cy,Dee,ANN@x.io,,5,LEAD_EMAIL_EXISTS (email): repeats the email of line 2"


def test_import_stops_on_a_refused_key(
    capsys: pytest.CaptureFixture[str], live_server: Any, tmp_path: Path,
    error_body: Callable[..., Any],
) -> None:  # fmt: skip
    source = tmp_path / "people.ndjson"
    source.write_text('{"first_name": "A", "last_name": "B", "email": "a@x.io"}\n')
    live_server.script(403, error_body(403, "INSUFFICIENT_PERMISSIONS", "needs leads:write"))
    code, _, err = run(
        capsys, "--api-url", live_server.host, "--api-key", KEY, "leads", "import", str(source)
    )
    assert code == 1
    assert err.endswith(
        "Error: 403 INSUFFICIENT_PERMISSIONS: needs leads:write (request req_403)\n"
    )


def test_dry_run_sends_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = tmp_path / "people.json"
    source.write_text(
        json.dumps([{"First Name": "A", "Surname": "B", "Email": "a@x.io"}, {"Email": "b@x.io"}])
    )
    argv = ("--api-url", "http://127.0.0.1:9/api/v2", "--api-key", KEY, "leads", "import")
    code, _, err = run(capsys, *argv, str(source), "--dry-run", "--map", "Email=email")
    assert code == 1
    assert "Checked 1 of 2 rows; 1 failed" in err
    assert "Surname -> last_name" in err
    failed = json.loads((tmp_path / "people.failed.json").read_text())
    assert [(f["_line"], f["Email"]) for f in failed] == [(2, "b@x.io")]


def test_a_bad_map_or_file_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = tmp_path / "people.txt"
    source.write_text("x")
    argv = ("--api-key", KEY, "leads", "import")
    assert run(capsys, *argv, str(source))[0] == 2
    source = tmp_path / "people.csv"
    source.write_text("a\n")
    code, _, err = run(capsys, *argv, str(source), "--map", "a=nope")
    assert code == 2
    assert "not a lead field" in err


def test_the_sdk_import_loads_no_cli() -> None:
    # Nor aiohttp, which the async methods import on first use.
    probe = (
        "import sys, buena_sdk; print(sorted(m for m in sys.modules"
        " if m.split('.')[0] in ('click', 'rich', 'aiohttp') or m.startswith('buena_sdk.cli')))"
    )
    answer = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert answer.stdout.strip() == "[]"


def test_export_to_a_file_or_stdout(
    capsys: pytest.CaptureFixture[str], live_server: Any, tmp_path: Path,
    lead_json: Callable[..., Any],
) -> None:  # fmt: skip
    live_server.script(200, [lead_json()])
    target = tmp_path / "leads.csv"
    argv = ("--api-url", live_server.host, "--api-key", KEY, "leads", "export")
    code, out, err = run(capsys, *argv, "-o", str(target), "--tags", "a,b", "--has-email")
    size = target.stat().st_size
    assert (code, out, err) == (0, "", f"Exported {size:,} bytes of CSV to {target}\n")
    assert json.loads(target.read_text())[0]["id"] == "lead_abc"
    assert live_server.requests[-1].path == (
        "/api/v2/leads/export?format=csv&tags=a%2Cb&has_email=true"
    )  # the format from the file's extension
    code, out, _ = run(capsys, *argv, "--status", "inactive")
    assert json.loads(out)[0]["id"] == "lead_abc"
    assert live_server.requests[-1].path == "/api/v2/leads/export?format=ndjson&status=inactive"


def test_rate_gate_waits_for_the_window_once_it_is_used_up() -> None:
    from buena_sdk.cli.importer import RateGate

    now = [1000.0]
    slept: list[float] = []
    gate = RateGate(clock=lambda: now[0], sleep=slept.append)
    gate.acquire()  # nothing known yet: no wait
    gate.note({"X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "1030"})
    gate.acquire()  # one left: taken
    gate.acquire()  # none left: wait for the reset
    assert slept == [30.0]
    gate.note({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "5000"})
    gate.acquire()
    assert slept == [30.0, RateGate.MAX_WAIT]
    gate.note({"X-RateLimit-Remaining": "x"})  # unreadable: ignored
    gate.acquire()
    assert len(slept) == 2
