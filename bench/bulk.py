"""Targets 10 to 10j (issue 14): bulk import and export, each against what the database does
with the same rows and no API, measured in the same run.

- ``POST /leads/batch`` (mode ``upsert``, 1000 leads a call, one call at a time) of new leads,
  then of the same leads again with a field changed (a re-import), against the same rows
  inserted by the driver's ``executemany`` (asyncpg / sqlite3), 1000 a transaction, into the
  same ``leads`` table (a scratch account of its own; deleted afterwards); twice, in turns,
  each side's best of its two runs.
- ``buena leads import FILE.csv`` (the installed console script, on the load core) into a
  fresh account, against the PostgreSQL raw rate.
- ``GET /leads/export`` (NDJSON, read in 1 MB pieces, lines counted) of the large account,
  against ``COPY (SELECT <the same columns> ... ORDER BY <the export's order>) TO STDOUT``
  (PostgreSQL) or a bare sqlite3 cursor over the same query; and the server's RSS growth
  (VmRSS, sampled every 50 ms while the export streams).
- ``GET /leads?limit=50&cursor=...`` at a depth (the cursor built for that row, as the server
  builds it: ``next_cursor``) against the first page, p50 of requests in turns.

``python -m bench.bulk [--quick]`` loads its own databases and runs these targets alone.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import dataclasses
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import urllib3
from sqlalchemy.engine import make_url

from bench import datagen
from bench.load import LOAD_CORE, environment, pinned
from bench.servers import buena, rss_mb
from bench.targets import Target, ratio_target
from bench.webhooks import new_account
from buena_server.kit.cursor import Position, encode_cursor
from buena_server.leads.listing import LEAD_COLUMNS, LeadQuery
from buena_server.leads.parameters import query_binding

BATCH = 1000
# What a client sends for a lead (the server derives the rest: id, times, lower-cased copies).
LEAD_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "company",
    "phone",
    "linkedin_url",
    "job_title",
    "location",
    "notes",
    "tags",
    "custom_fields",
    "status",
)
# The export's columns and order (GET /leads/export's default: created_at desc, then id).
EXPORTED = ", ".join(column.name for column in LEAD_COLUMNS)
ORDER = "ORDER BY created_at DESC, id DESC"
T = TypeVar("T")


@dataclass(frozen=True)
class Scale:
    batch_leads: int  # leads each batch measurement writes (1000 a call)
    cli_leads: int  # rows of the CSV the CLI imports
    depth: int  # the cursor page's position in the large account
    pages: int  # requests of each page, in turns


FULL_SCALE = Scale(batch_leads=20_000, cli_leads=100_000, depth=900_000, pages=21)
QUICK_SCALE = Scale(batch_leads=5_000, cli_leads=10_000, depth=18_000, pages=11)


@dataclass
class Side:
    """One database's figures (rates in rows/s, times in ms, memory in MB)."""

    raw_insert: float
    batch_new: float
    batch_existing: float
    export: float
    export_raw: float
    export_rows: int
    rss_idle: float
    rss_peak: float
    first_page_ms: float
    deep_page_ms: float


@dataclass
class Figures:
    postgres: Side
    sqlite: Side
    cli: float
    cli_leads: int
    depth: int
    batch_leads: int


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def generated(account_id: str, count: int, seed: int) -> list[dict[str, Any]]:
    return list(datagen.leads(account_id, count, seed))


# -- the references: the driver alone ------------------------------------------------------


def _insert_pg() -> str:
    values = ", ".join(f"${n}" for n in range(1, len(datagen.COLUMNS) + 1))
    return f"INSERT INTO leads ({', '.join(datagen.COLUMNS)}) VALUES ({values})"


async def raw_postgres(dsn: str, account_id: str, rows: list[dict[str, Any]]) -> float:
    """Rows/s of asyncpg ``executemany``, 1000 rows a transaction; the rows deleted after."""
    records = [datagen.postgres_record(row) for row in rows]
    conn = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        for chunk in chunks(records, BATCH):
            async with conn.transaction():
                await conn.executemany(_insert_pg(), chunk)
        elapsed = time.perf_counter() - started
        await conn.execute("DELETE FROM leads WHERE account_id = $1", account_id)
    finally:
        await conn.close()
    return len(records) / elapsed


def raw_sqlite(path: Path, account_id: str, rows: list[dict[str, Any]]) -> float:
    """Rows/s of sqlite3 ``executemany``, 1000 rows a transaction, with the server's
    pragmas (WAL, synchronous=NORMAL); the rows deleted after."""
    records = [datagen.sqlite_record(row) for row in rows]
    db = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=10000"):
            db.execute(f"PRAGMA {pragma}")
        started = time.perf_counter()
        for chunk in chunks(records, BATCH):
            db.execute("BEGIN IMMEDIATE")
            db.executemany(datagen.INSERT_SQLITE, chunk)
            db.execute("COMMIT")
        elapsed = time.perf_counter() - started
        db.execute("DELETE FROM leads WHERE account_id = ?", (account_id,))
    finally:
        db.close()
    return len(records) / elapsed


async def copy_rate(dsn: str, account_id: str) -> tuple[int, float]:
    """(rows, rows/s) of ``COPY (SELECT ...) TO STDOUT`` of the account's leads."""
    rows = 0

    async def sink(data: bytes) -> None:
        nonlocal rows
        rows += data.count(b"\n")

    conn = await asyncpg.connect(dsn)
    try:
        query = f"SELECT {EXPORTED} FROM leads WHERE account_id = $1 {ORDER}"
        started = time.perf_counter()
        await conn.copy_from_query(query, account_id, output=sink)
        return rows, rows / (time.perf_counter() - started)
    finally:
        await conn.close()


def cursor_rate(path: Path, account_id: str) -> tuple[int, float]:
    """(rows, rows/s) of a bare sqlite3 cursor iterating the export's query."""
    db = sqlite3.connect(path)
    try:
        query = f"SELECT {EXPORTED} FROM leads WHERE account_id = ? {ORDER}"
        started = time.perf_counter()
        rows = sum(1 for _ in db.execute(query, (account_id,)))
        return rows, rows / (time.perf_counter() - started)
    finally:
        db.close()


# -- the API -------------------------------------------------------------------------------

_pool = urllib3.PoolManager(maxsize=4)


def batch_bodies(rows: list[dict[str, Any]], *, changed: bool) -> list[bytes]:
    """The rows as upsert batches, 1000 leads each; ``changed``: each with a new job title."""
    bodies = []
    for chunk in chunks(rows, BATCH):
        items = [{name: row[name] for name in LEAD_FIELDS} for row in chunk]
        if changed:
            for item in items:
                item["job_title"] = f"Head of {item['job_title']}"
        bodies.append(json.dumps({"mode": "upsert", "leads": items}).encode())
    return bodies


def post_batches(base: str, key: str, bodies: list[bytes], outcome: str) -> float:
    """Leads/s of the batches sent one after another; every item must have ``outcome``."""
    headers = {"x-api-key": key, "content-type": "application/json"}
    leads = 0
    started = time.perf_counter()
    for body in bodies:
        response = _pool.request("POST", f"{base}/leads/batch", body=body, headers=headers)
        answer = json.loads(response.data)
        assert response.status == 200, response.data[:300]
        counts = {k: answer[k] for k in ("created", "updated", "unchanged", "errors")}
        assert answer[outcome] == len(answer["results"]), counts
        leads += len(answer["results"])
    return leads / (time.perf_counter() - started)


def batches(base: str, key: str, account_id: str, count: int) -> tuple[float, float]:
    """Leads/s of new leads, then of the same leads again, each with a change."""
    rows = generated(account_id, count, seed=11)
    new = post_batches(base, key, batch_bodies(rows, changed=False), "created")
    existing = post_batches(base, key, batch_bodies(rows, changed=True), "updated")
    return new, existing


def batches_in_turns(
    database_url: str, base: str, reference: Callable[[], float], count: int
) -> tuple[float, float, float]:
    """(reference rows/s, new leads/s, existing leads/s): the reference, the batches (a
    fresh account each time), the reference again, the batches again; each side its best of
    two runs in turns (as the export: a side with one run against the other's two lost to
    whatever slowed the machine during its one)."""
    figures = []
    with pinned(LOAD_CORE):  # the server has its own core: nothing here takes turns on it
        for _turn in range(2):
            # What the targets before wrote goes to the disk before each side runs, not
            # during it (the kernel writes dirty pages back ~30 s after they were made).
            os.sync()
            raw = reference()
            account, key = asyncio.run(new_account(database_url, "Batch"))
            os.sync()
            figures.append((raw, *batches(base, key, account, count)))
    raw, new, existing = (max(side) for side in zip(*figures, strict=True))
    return raw, new, existing


def export(base: str, key: str, pid: int) -> tuple[int, float, float, float]:
    """(rows, rows/s, idle RSS, peak RSS) of GET /leads/export, read in 1 MB pieces."""
    idle = peak = rss_mb(pid)
    rows = 0
    started = sampled = time.perf_counter()
    response = _pool.request(
        "GET", f"{base}/leads/export", headers={"x-api-key": key}, preload_content=False
    )
    assert response.status == 200, response.data[:300]
    for piece in response.stream(1 << 20):
        rows += piece.count(b"\n")
        now = time.perf_counter()
        if now - sampled >= 0.05:
            peak, sampled = max(peak, rss_mb(pid)), now
    elapsed = time.perf_counter() - started
    response.release_conn()
    return rows, rows / elapsed, idle, max(peak, rss_mb(pid))


def best_export(base: str, key: str, pid: int, rate: float, peak: float) -> tuple[float, float]:
    """The export again, after the reference's second run: each side its best of two runs in
    turns (the reference had two against the export's one); and the higher RSS peak."""
    _rows, again, _idle, peak_again = export(base, key, pid)
    return max(rate, again), max(peak, peak_again)


def page_times(base: str, key: str, cursor: str, pages: int) -> tuple[float, float]:
    """p50 ms of the first page and of the page after ``cursor``, requested in turns."""
    headers = {"x-api-key": key}
    urls = (f"{base}/leads?limit=50", f"{base}/leads?limit=50&cursor={cursor}")
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(pages):
        for url, measured in zip(urls, times, strict=True):
            started = time.perf_counter()
            response = _pool.request("GET", url, headers=headers)
            measured.append((time.perf_counter() - started) * 1000)
            assert response.status == 200, response.data[:300]
            assert len(json.loads(response.data)["data"]) == 50
    # The first requests of each warm the caches up.
    return statistics.median(times[0][1:]), statistics.median(times[1][1:])


def deep_cursor(created_at: datetime, lead_id: str) -> str:
    """The cursor a page ending at this lead would answer (GET /leads's default order)."""
    return encode_cursor(query_binding(LeadQuery()), Position(created_at, lead_id))


def cli_import(base: str, key: str, csv_path: Path, log: Path) -> float:
    """Leads/s of ``buena leads import`` (all created), run on the load core."""
    program = Path(sys.executable).with_name("buena")
    env = environment({"BUENA_API_URL": base, "BUENA_API_KEY": key})
    started = time.perf_counter()
    done = subprocess.run(
        ["taskset", "-c", LOAD_CORE, program, "leads", "import", str(csv_path), "--json"],
        env=env,
        capture_output=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    with log.open("ab") as output:
        output.write(done.stderr)
    summary = json.loads(done.stdout)
    assert done.returncode == 0, summary
    assert summary["created"] == summary["rows"], summary
    return int(summary["created"]) / elapsed


def write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    """A CSV as a CRM exports one: header names the CLI maps, two custom field columns."""
    names = [name for name in LEAD_FIELDS if name not in ("tags", "custom_fields", "notes")]
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow([*names, "tags", "source", "score"])
        for row in rows:
            custom = row["custom_fields"]
            writer.writerow(
                [
                    *("" if row[n] is None else row[n] for n in names),
                    "|".join(row["tags"]),
                    custom["source"],
                    custom["score"],
                ]
            )


# -- the run -------------------------------------------------------------------------------


async def _pg_position(dsn: str, lead_id: str, depth: int) -> tuple[str, str, datetime]:
    """(account id, id of the lead at ``depth``, its created_at) of the large account."""
    conn = await asyncpg.connect(dsn)
    try:
        account_id = await conn.fetchval("SELECT account_id FROM leads WHERE id = $1", lead_id)
        row = await conn.fetchrow(
            f"SELECT id, created_at FROM leads WHERE account_id = $1 {ORDER} OFFSET $2 LIMIT 1",
            account_id,
            depth - 1,
        )
    finally:
        await conn.close()
    return account_id, row["id"], row["created_at"]


def _sqlite_position(path: Path, lead_id: str, depth: int) -> tuple[str, str, datetime]:
    with sqlite3.connect(path) as db:
        (account_id,) = db.execute(
            "SELECT account_id FROM leads WHERE id = ?", (lead_id,)
        ).fetchone()
        deep_id, created = db.execute(
            f"SELECT id, created_at FROM leads WHERE account_id = ? {ORDER} LIMIT 1 OFFSET ?",
            (account_id, depth - 1),
        ).fetchone()
    return account_id, deep_id, datetime.fromisoformat(created).replace(tzinfo=UTC)


def raw_rows(database_url: str, scale: Scale) -> tuple[str, list[dict[str, Any]]]:
    """A scratch account, and the rows the references insert into it."""
    account, _key = asyncio.run(new_account(database_url, "Raw"))
    return account, generated(account, scale.batch_leads, seed=11)


def measure(
    scale: Scale,
    pg_url: str,
    pg_key: str,
    pg_lead: str,
    sqlite_path: Path,
    sqlite_key: str,
    sqlite_lead: str,
    log: Path,
) -> Figures:
    """Every figure of targets 10 to 10j; the large accounts hold at least ``scale.depth``
    leads."""
    dsn = make_url(pg_url).render_as_string(False)
    sqlite_url = f"sqlite:///{sqlite_path}"
    big_pg, deep_pg, deep_pg_at = asyncio.run(_pg_position(dsn, pg_lead, scale.depth))
    big_sqlite, deep_sqlite, deep_sqlite_at = _sqlite_position(
        sqlite_path, sqlite_lead, scale.depth
    )
    server, base = buena(pg_url, log, redis=True)
    with server as proc:
        raw_pg, new_pg, existing_pg = batches_in_turns(
            pg_url,
            base,
            lambda: asyncio.run(raw_postgres(dsn, *raw_rows(pg_url, scale))),
            scale.batch_leads,
        )
        csv_path = log.with_name("import.csv")
        account, key = asyncio.run(new_account(pg_url, "Import"))
        write_csv(csv_path, generated(account, scale.cli_leads, seed=13))
        cli = cli_import(base, key, csv_path, log)
        copied, copy_pg = asyncio.run(copy_rate(dsn, big_pg))
        exported, export_pg, idle_pg, peak_pg = export(base, pg_key, proc.pid)
        copy_pg = max(copy_pg, asyncio.run(copy_rate(dsn, big_pg))[1])
        export_pg, peak_pg = best_export(base, pg_key, proc.pid, export_pg, peak_pg)
        assert exported == copied, (exported, copied)
        first_pg, deep_pg_ms = page_times(
            base, pg_key, deep_cursor(deep_pg_at, deep_pg), scale.pages
        )
    postgres = Side(
        raw_pg, new_pg, existing_pg, export_pg, copy_pg, exported, idle_pg, peak_pg, first_pg,
        deep_pg_ms,
    )  # fmt: skip
    server, base = buena(sqlite_url, log, redis=False)
    with server as proc:
        raw_lite, new_lite, existing_lite = batches_in_turns(
            sqlite_url,
            base,
            lambda: raw_sqlite(sqlite_path, *raw_rows(sqlite_url, scale)),
            scale.batch_leads,
        )
        read, bare = cursor_rate(sqlite_path, big_sqlite)
        exported, export_lite, idle_lite, peak_lite = export(base, sqlite_key, proc.pid)
        bare = max(bare, cursor_rate(sqlite_path, big_sqlite)[1])
        export_lite, peak_lite = best_export(base, sqlite_key, proc.pid, export_lite, peak_lite)
        assert exported == read, (exported, read)
        first_lite, deep_lite_ms = page_times(
            base, sqlite_key, deep_cursor(deep_sqlite_at, deep_sqlite), scale.pages
        )
    sqlite = Side(
        raw_lite, new_lite, existing_lite, export_lite, bare, exported, idle_lite, peak_lite,
        first_lite, deep_lite_ms,
    )  # fmt: skip
    return Figures(postgres, sqlite, cli, scale.cli_leads, scale.depth, scale.batch_leads)


def targets(f: Figures) -> list[Target]:
    pg, lite = f.postgres, f.sqlite
    raw_note = (
        "reference: executemany of the same rows and columns, 1000 a transaction; "
        "no validation, events, counters or JSON"
    )
    existing_note = "each lead updated (a changed job title): PATCH rules, lead.updated events"
    growth = pg.rss_peak - pg.rss_idle
    return [
        ratio_target(
            f"10. POST /leads/batch upsert of new leads, 1000 a call ({f.batch_leads:,}), "
            "PostgreSQL + Redis, vs asyncpg executemany",
            pg.batch_new, pg.raw_insert, at_least=0.5, unit="leads/s", note=raw_note,
        ),
        ratio_target(
            "10b. the same upsert of the leads again (they exist), vs asyncpg executemany",
            pg.batch_existing, pg.raw_insert, at_least=0.5, unit="leads/s", note=existing_note,
        ),
        ratio_target(
            "10c. POST /leads/batch upsert of new leads, SQLite, vs sqlite3 executemany",
            lite.batch_new, lite.raw_insert, at_least=0.5, unit="leads/s", note=raw_note,
        ),
        ratio_target(
            "10d. the same upsert of the leads again (they exist), SQLite",
            lite.batch_existing, lite.raw_insert, at_least=0.5, unit="leads/s",
            note=existing_note,
        ),
        ratio_target(
            f"10e. `buena leads import` of a {f.cli_leads:,}-row CSV (PostgreSQL), "
            "vs asyncpg executemany",
            f.cli, pg.raw_insert, at_least=0.25, unit="leads/s",
            note="the installed console script, defaults (4 batches in flight), on the load core",
        ),
        ratio_target(
            f"10f. GET /leads/export of {pg.export_rows:,} leads (NDJSON), PostgreSQL, "
            "vs COPY (SELECT ...) TO STDOUT",
            pg.export, pg.export_raw, at_least=0.5, unit="rows/s",
        ),
        ratio_target(
            f"10g. GET /leads/export of {lite.export_rows:,} leads, SQLite, vs a sqlite3 cursor",
            lite.export, lite.export_raw, at_least=0.5, unit="rows/s",
            note=f"server RSS growth {lite.rss_peak - lite.rss_idle:.1f} MB",
        ),
        Target(
            "10h. server RSS growth during the PostgreSQL export",
            round(pg.rss_peak, 1), round(pg.rss_idle, 1), round(growth, 1), "<= idle + 64 MB",
            growth <= 64, "MB", "ratio column = growth in MB",
        ),
        ratio_target(
            f"10i. GET /leads?cursor= at depth {f.depth:,} vs the first page, p50, PostgreSQL",
            pg.deep_page_ms, pg.first_page_ms, at_most=2, unit="ms",
        ),
        ratio_target(
            f"10j. the same on SQLite (depth {f.depth:,})",
            lite.deep_page_ms, lite.first_page_ms, at_most=2, unit="ms",
        ),
    ]  # fmt: skip


def main() -> None:
    from bench.prepare import prepare_postgres, prepare_sqlite

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="20k leads, small batches")
    parser.add_argument("--leads", type=int, help="leads in the large account")
    quick = parser.parse_args().quick
    scale = QUICK_SCALE if quick else FULL_SCALE
    leads = parser.parse_args().leads or (20_000 if quick else 1_000_000)
    scale = dataclasses.replace(scale, depth=min(scale.depth, leads * 9 // 10))
    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    log = results / "bulk-servers.log"
    print(f"[bulk] loading {leads:,} leads", flush=True)
    pg_url, _noindex, pg_key, pg_lead = asyncio.run(prepare_postgres("bulk", leads))
    path = results / "bulk.db"
    path.unlink(missing_ok=True)
    _url, sqlite_key, sqlite_lead = asyncio.run(prepare_sqlite(leads, path))
    figures = measure(scale, pg_url, pg_key, pg_lead, path, sqlite_key, sqlite_lead, log)
    (results / "bulk.json").write_text(json.dumps(asdict(figures), indent=2))
    for target in targets(figures):
        state = "met" if target.met else "NOT MET"
        print(f"[bulk] {state:8} {target.name}: {target.measured} vs {target.reference}: "
              f"ratio {target.ratio} (target {target.target}) {target.note}")  # fmt: skip


if __name__ == "__main__":
    main()
