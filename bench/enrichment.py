"""Targets 12 and 12b (issue 16): enriching stored leads through a job, against the same
built-in providers called in a plain loop over the same rows, measured in the same run.

- The leads: a scratch account's own (``datagen``'s leads, created by ``POST /leads/batch``:
  counters, events and all), on the server's database.
- The job: ``POST /enrich`` with ``{"filter": {}, "update_leads": true}`` (every provider on),
  followed with ``GET /jobs/{id}`` every 50 ms until it has completed; leads/s from the
  submission to the job's ``finished_at``. Its API, chunks, queue, charges, result lines,
  write-back (provenance and ``lead.enriched`` events for every lead) and RSS (VmRSS,
  sampled with each poll) are what the target measures.
- The plain loop: the same rows read by the driver (sqlite3 / asyncpg), each through
  ``enrich_lead`` with the server's own provider registry, in one process pinned to the
  server's core, best of two runs.

``python -m bench.enrichment [--quick] [--leads N]`` loads its own databases and runs these
targets alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import urllib3
from sqlalchemy.engine import make_url

from bench.bulk import batch_bodies, generated, post_batches
from bench.load import SERVER_CORE, pinned
from bench.servers import buena_env, rss_mb, serve
from bench.targets import Target, ratio_target
from bench.webhooks import new_account
from buena_server.enrichment.combine import enrich_lead
from buena_server.enrichment.model import OPTIONS, LeadInput
from buena_server.enrichment.registry import ProviderRegistry, ProviderSettings

FULL_LEADS = 100_000
QUICK_LEADS = 5_000
_READ = (
    "SELECT email, first_name, last_name, company, phone, linkedin_url FROM leads "
    "WHERE account_id = {} ORDER BY created_at, id"
)
_pool = urllib3.PoolManager(maxsize=4, timeout=urllib3.Timeout(total=600))


@dataclass
class Side:
    """One database's figures (rates in leads/s, memory in MB)."""

    leads: int
    plain: float
    job: float
    rss_idle: float
    rss_peak: float


@dataclass
class Figures:
    postgres: Side
    sqlite: Side


async def _rows_postgres(url: str, account_id: str) -> list[LeadInput]:
    conn = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(False))
    try:
        rows = await conn.fetch(_READ.format("$1"), account_id)
    finally:
        await conn.close()
    return [_input(row) for row in rows]


def _input(row: Any) -> LeadInput:
    email, first_name, last_name, company, phone, linkedin_url = row
    return LeadInput(
        email=email,
        first_name=first_name,
        last_name=last_name,
        company=company,
        phone=phone,
        linkedin_url=linkedin_url,
    )


def _rows_sqlite(url: str, account_id: str) -> list[LeadInput]:
    with sqlite3.connect(make_url(url).database or "") as conn:
        rows = conn.execute(_READ.format("?"), (account_id,)).fetchall()
    return [_input(row) for row in rows]


def plain_rate(read: Any) -> float:
    """Leads/s of the rows read (``read()``, each time) and run through the providers, in
    this process pinned to the server's core; best of two."""
    registry = ProviderRegistry.load(ProviderSettings())
    providers = registry.serving(OPTIONS)
    with pinned(SERVER_CORE):
        best = 0.0
        for _ in range(2):
            started = time.perf_counter()
            rows = read()

            async def loop(rows: list[LeadInput] = rows) -> None:
                for lead in rows:
                    await enrich_lead(lead, providers)

            asyncio.run(loop())
            best = max(best, len(rows) / (time.perf_counter() - started))
        return best


def job_rate(base: str, key: str, pid: int, leads: int) -> tuple[float, float, float]:
    """(leads/s, idle RSS, peak RSS) of a job enriching every lead of the account."""
    headers = {"x-api-key": key, "content-type": "application/json"}
    body = json.dumps({"filter": {}, "update_leads": True}).encode()
    idle = peak = rss_mb(pid)
    response = _pool.request("POST", f"{base}/enrich", body=body, headers=headers)
    assert response.status == 202, response.data[:300]
    job = json.loads(response.data)
    assert job["total"] == leads, job
    while job["status"] in ("pending", "running"):
        time.sleep(0.05)
        peak = max(peak, rss_mb(pid))
        answer = _pool.request("GET", f"{base}/jobs/{job['id']}", headers=headers)
        job = json.loads(answer.data)
    assert (job["status"], job["processed"]) == ("completed", leads), job
    elapsed = datetime.fromisoformat(job["finished_at"]) - datetime.fromisoformat(job["created_at"])
    return leads / elapsed.total_seconds(), idle, max(peak, rss_mb(pid))


def side(database_url: str, leads: int, log: Path, *, redis: bool) -> Side:
    account, key = asyncio.run(new_account(database_url, "Enrichment bench"))
    env = buena_env(database_url, redis=redis, BUENA_DEFAULT_CREDITS=str(leads * 10))
    server, base = serve(env, log)
    with server as proc:
        post_batches(base, key, batch_bodies(generated(account, leads, seed=16), changed=False),
                     "created")  # fmt: skip
        job, idle, peak = job_rate(base, key, proc.pid, leads)
    if database_url.startswith("sqlite"):
        plain = plain_rate(lambda: _rows_sqlite(database_url, account))
    else:
        plain = plain_rate(lambda: asyncio.run(_rows_postgres(database_url, account)))
    return Side(leads, plain, job, idle, peak)


def measure(pg_url: str, sqlite_url: str, leads: int, log: Path) -> Figures:
    return Figures(
        postgres=side(pg_url, leads, log, redis=True),
        sqlite=side(sqlite_url, leads, log, redis=False),
    )


def targets(f: Figures) -> list[Target]:
    pg, lite = f.postgres, f.sqlite
    note = "update_leads: provenance and a lead.enriched event for every lead; {:.1f} MB RSS growth"
    growth = max(pg.rss_peak - pg.rss_idle, lite.rss_peak - lite.rss_idle)
    return [
        ratio_target(
            f"12. an enrichment job over {pg.leads:,} stored leads, PostgreSQL + Redis, "
            "vs the same providers in a plain loop",
            pg.job, pg.plain, at_least=0.5, unit="leads/s",
            note=note.format(pg.rss_peak - pg.rss_idle),
        ),
        ratio_target(
            f"12b. the same on SQLite ({lite.leads:,} leads)",
            lite.job, lite.plain, at_least=0.5, unit="leads/s",
            note=note.format(lite.rss_peak - lite.rss_idle),
        ),
        Target(
            "12c. server RSS growth during the enrichment jobs (the larger of the two)",
            round(max(pg.rss_peak, lite.rss_peak), 1),
            round(min(pg.rss_idle, lite.rss_idle), 1),
            round(growth, 1), "<= idle + 64 MB", growth <= 64, "MB",
            "ratio column = growth in MB",
        ),
    ]  # fmt: skip


def main() -> None:
    from bench.prepare import prepare_postgres, prepare_sqlite

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_LEADS:,} leads")
    parser.add_argument("--leads", type=int, help="leads the jobs enrich")
    given = parser.parse_args()
    leads = given.leads or (QUICK_LEADS if given.quick else FULL_LEADS)
    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    log = results / "enrichment-servers.log"
    pg_url, *_ = asyncio.run(prepare_postgres("enrichment", 1_000))
    path = results / "enrichment.db"
    path.unlink(missing_ok=True)
    sqlite_url, *_ = asyncio.run(prepare_sqlite(1_000, path))
    figures = measure(pg_url, sqlite_url, leads, log)
    (results / "enrichment.json").write_text(json.dumps(asdict(figures), indent=2))
    for target in targets(figures):
        state = "met" if target.met else "NOT MET"
        print(f"[enrichment] {state:8} {target.name}: {target.measured} vs {target.reference}: "
              f"ratio {target.ratio} (target {target.target}) {target.note}")  # fmt: skip


if __name__ == "__main__":
    main()
