"""Issue 14's "done when", through the installed ``buena`` script and a live server: a
10,000-row CSV with 50 bad rows imports exactly the good ones and reports exactly the bad
ones by line; running it again creates nothing; an interrupted import run again duplicates
nothing; the export round-trips every field."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from cli_runner import BUENA, Account, new_account

HEADER = [
    "First Name", "Last Name", "E-mail", "Company", "Job Title", "Phone", "LinkedIn",
    "Location", "Notes", "Tags", "Status", "Budget", "custom_fields.score",
]  # fmt: skip


def write_people(path: Path, rows: int, *, bad_every: int = 0) -> set[int]:
    """A CSV of ``rows`` people; with ``bad_every``, every so many rows one is bad, in
    turn a bad email, a repeated email (another case) and a missing name. Returns the
    line numbers of the bad rows (where each starts: some notes span two lines)."""
    bad: set[int] = set()
    line = 2
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(HEADER)
        for i in range(rows):
            first, email = f"Ann{i}", f"person{i}@example.com"
            kind = (i // bad_every) % 3 if bad_every and i % bad_every == bad_every - 1 else None
            if kind == 0:
                email = f"person{i}-at-example.com"
            elif kind == 1:
                email = f"PERSON{i - 1}@Example.com"
            elif kind == 2:
                first = ""
            if kind is not None:
                bad.add(line)
            cells = [
                first, f"Lee {i}", email, "Acme, Inc." if i % 2 else "Globex",
                "CTO", f"+1 415 555 {i % 10000:04d}" if i % 5 == 0 else "",
                f"https://www.linkedin.com/in/person{i}" if i % 7 == 0 else "",
                "Zürich", 'said "hi",\nthen left' if i % 11 == 0 else "",
                "vip|2024" if i % 3 == 0 else "", "contacted" if i % 4 == 0 else "",
                # Budget, an unknown column, is a string custom field: not digits alone,
                # which a CSV export could not tell from a number (NDJSON could).
                f"{1000 + i} EUR", str(i),
            ]  # fmt: skip
            writer.writerow(cells)
            line += 1 + sum(cell.count("\n") for cell in cells)
    return bad


def import_json(account: Account, *args: str) -> tuple[int, dict[str, Any]]:
    done = account.run("leads", "import", *args, "--json")
    assert "Traceback" not in done.stderr
    return done.returncode, json.loads(done.stdout)


def test_ten_thousand_rows_with_fifty_bad_ones(account: Account, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    bad_lines = write_people(source, 10_000, bad_every=200)
    assert len(bad_lines) == 50

    code, summary = import_json(account, str(source))
    assert code == 1  # some rows failed
    assert (summary["rows"], summary["created"], summary["failed"]) == (10_000, 9_950, 50)
    assert {error["line"] for error in summary["errors"]} == bad_lines
    assert account.count() == 9_950
    with (tmp_path / "people.failed.csv").open(newline="", encoding="utf-8") as file:
        failed = list(csv.DictReader(file))
    assert [int(row["_line"]) for row in failed] == sorted(bad_lines)
    reasons = {row["_error"].split(" ")[0] for row in failed}
    assert reasons == {"VALIDATION_ERROR", "LEAD_EMAIL_EXISTS"}

    # Again, in create mode: nothing created, every row reported (the good ones as
    # already existing).
    code, again = import_json(account, str(source))
    assert (code, again["created"], again["failed"]) == (1, 0, 10_000)
    assert account.count() == 9_950
    # And as an upsert: the good rows are all there already, unchanged.
    code, upsert = import_json(account, str(source), "--mode", "upsert")
    assert (code, upsert["created"], upsert["unchanged"], upsert["failed"]) == (1, 0, 9_950, 50)
    assert account.count() == 9_950


def test_an_interrupted_import_run_again_duplicates_nothing(
    account: Account, tmp_path: Path
) -> None:
    source = tmp_path / "people.csv"
    write_people(source, 3_000)
    process = subprocess.Popen(
        [str(BUENA), "--api-url", account.host, "--api-key", account.key, "leads", "import",
         str(source), "--batch-size", "100", "--concurrency", "2"],
        env=account.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while account.count() == 0 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert "Traceback" not in err
    if process.returncode != 0:  # interrupted (it may have finished first)
        assert process.returncode == 130
        assert err.rstrip().endswith("Error: interrupted")
    code, summary = import_json(account, str(source), "--mode", "upsert")
    assert code == 0
    assert summary["created"] + summary["unchanged"] == 3_000
    assert account.count() == 3_000


def _from_csv_row(row: dict[str, str]) -> dict[str, Any]:
    """A lead from a row of the CSV export, as the contract writes it."""
    lead: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for name, value in row.items():
        if name.startswith("custom_fields."):
            if value != "":
                custom[name.removeprefix("custom_fields.")] = _custom(value)
        elif name == "tags":
            lead["tags"] = value.split("|") if value else []
        else:
            lead[name] = value if value != "" else None
    lead["custom_fields"] = custom
    return lead


def _custom(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def test_export_round_trips_every_field(account: Account, server: Any, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    write_people(source, 300)
    assert import_json(account, str(source))[0] == 0
    extra = ["--custom", "nested={\"a\": [1, true]}", "--custom", "ratio=0.5",
             "--notes", "Ünïcödé, \"quoted\"\r\nand more", "--tag", "x y"]  # fmt: skip
    created = account.run("leads", "create", "--first-name", "Zoë", "--last-name", "O'Neil",
                          "--email", "zoe@example.com", "--status", "inactive", *extra)  # fmt: skip
    assert created.returncode == 0, created.stderr
    stored = account.leads()
    assert len(stored) == 301

    ndjson = tmp_path / "out.ndjson"
    done = account.run("leads", "export", "-o", str(ndjson), "--status", "active")
    assert done.returncode == 0, done.stderr
    lines = ndjson.read_text(encoding="utf-8").splitlines()
    active = {e: lead for e, lead in stored.items() if lead["status"] == "active"}
    assert len(lines) == len(active)
    for line in lines:
        lead = json.loads(line)
        assert lead == active[lead["email"]]

    for status in ("active", "inactive", "contacted"):
        out = tmp_path / f"{status}.csv"
        done = account.run("leads", "export", "--status", status, "-o", str(out))
        assert done.returncode == 0, done.stderr
        with out.open(newline="", encoding="utf-8") as file:
            for row in csv.DictReader(file):
                lead = stored[row["email"]]
                tags, custom = lead["tags"] or [], lead["custom_fields"] or {}
                assert _from_csv_row(row) == {**lead, "tags": tags, "custom_fields": custom}

    # The CSV export imports into another account as the same leads.
    other = new_account(server.database_url, server.host, tmp_path / "other")
    for status in ("active", "inactive", "contacted"):
        code, summary = import_json(other, str(tmp_path / f"{status}.csv"))
        assert (code, summary["failed"]) == (0, 0)
    copied = other.leads()
    ignore = ("id", "created_at", "updated_at")
    assert {
        e: {k: v for k, v in lead.items() if k not in ignore} for e, lead in copied.items()
    } == {e: {k: v for k, v in lead.items() if k not in ignore} for e, lead in stored.items()}
