"""`make bench` / `make bench-quick`: every target of the performance issue, each a ratio
against a ceiling or a peer measured in the same run.

Writes bench/results/latest.json and the table in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import platform
import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bench import bulk, enrichment, peers, voice, webhooks
from bench.load import Probe, measure, measure_interleaved
from bench.prepare import admin, prepare_postgres, prepare_sqlite
from bench.sdk import import_target, sdk_async, sdk_sync
from bench.servers import buena, buena_env, ceiling, page_memory, serve
from bench.targets import Target, ratio_target

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


@dataclass(frozen=True)
class Profile:
    name: str
    leads: int
    seconds: float
    runs: int
    sdk_calls: int
    # How many leads the memory target pages through (offset paging makes all 1M cost
    # O(n^2) row skips: an hour, not minutes).
    page_through: int
    # Directus is a 725 MB install and takes a minute to set up: full profile only.
    directus: bool = True


PEER_LEADS = 10_000
FULL = Profile("full", 1_000_000, 8, 3, 3000, page_through=100_000)
QUICK = Profile("quick", 20_000, 2, 2, 300, page_through=20_000, directus=False)
# `make test` runs every part of the harness once on this, so that it cannot rot: the least
# data and one short run of each load (no figure of it means anything).
SMOKE = Profile("smoke", 5_000, 1, 1, 100, page_through=5_000, directus=False)


@dataclass
class Report:
    profile: str
    started: str
    machine: dict[str, Any]
    versions: dict[str, str]
    targets: list[Target] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)


POST_SCRIPT = """
counter = 0
math.randomseed(os.time())
prefix = "%s" .. os.time() .. "-" .. math.random(1, 1000000000) .. "-"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  counter = counter + 1
  local email = prefix .. counter .. "@post.test"
  return wrk.format(nil, nil, nil,
    '{"first_name":"Bench","last_name":"Post","email":"' .. email .. '"}')
end
"""


# The same creates, each with an Idempotency-Key of its own (as the SDK sends them).
KEYED_POST_SCRIPT = POST_SCRIPT.replace(
    "  return wrk.format(",
    '  wrk.headers["Idempotency-Key"] = prefix .. counter\n  return wrk.format(',
)


# -- the run ------------------------------------------------------------------------------


def run(profile: Profile) -> Report:
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = RESULTS / "servers.log"
    log.write_text("")
    report = Report(
        profile=profile.name,
        started=datetime.now(UTC).isoformat(timespec="seconds"),
        machine={
            "cpus": __import__("os").cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "pinning": "server on core 0, wrk on core 1",
        },
        versions={
            name: version(name)
            for name in (
                "litestar",
                "msgspec",
                "uvicorn",
                "uvloop",
                "httptools",
                "sqlalchemy",
                "asyncpg",
                "limits",
                "redis",
                "urllib3",
                "aiohttp",
                "pydantic",
            )
        },
    )
    raw = report.raw
    seconds, runs = profile.seconds, profile.runs
    print(f"[bench] loading {profile.leads} leads into PostgreSQL and SQLite", flush=True)
    pg_url, noindex_url, pg_key, pg_lead = asyncio.run(
        prepare_postgres(profile.name, profile.leads)
    )
    (RESULTS / "bench.db").unlink(missing_ok=True)
    sqlite_url, sqlite_key, sqlite_lead = asyncio.run(
        prepare_sqlite(profile.leads, RESULTS / "bench.db")
    )
    auth = {"x-api-key": pg_key}

    print("[bench] 1, 3, 4, 5, 6: Buena on PostgreSQL + Redis, and its ceiling", flush=True)
    server, base = buena(pg_url, log, redis=True)
    dsn = make_url(pg_url).render_as_string(False)
    ceiling_server, ceiling_base = ceiling("postgres_app", {"BENCH_DSN": dsn}, log)
    with server as proc, ceiling_server:
        idle_mb, peak_mb = page_memory(base, pg_key, proc.pid, profile.page_through)
        # Searches before any POST: the copy without trigram indexes they are compared with
        # holds the data as loaded (and ~100k fresh inserts would sit in the GIN indexes'
        # pending lists, which a search reads through until a vacuum merges them).
        john = measure(
            f"{base}/leads?search=john", seconds=seconds, runs=runs, headers=auth, connections=4
        )
        rare = measure(
            f"{base}/leads?search=zqxj", seconds=seconds, runs=runs, headers=auth, connections=4
        )
        # The loads whose figures are compared with each other, in turns (measure_interleaved).
        get, ceiling_pg, page, post, keyed_post = measure_interleaved(
            [
                Probe(f"{base}/leads/{pg_lead}", auth),
                Probe(f"{ceiling_base}/leads/{pg_lead}"),
                Probe(f"{base}/leads?limit=50", auth, connections=8),
                Probe(f"{base}/leads", auth, script=POST_SCRIPT % f"b{secrets.token_hex(4)}-"),
                Probe(
                    f"{base}/leads",
                    auth,
                    script=KEYED_POST_SCRIPT % f"k{secrets.token_hex(4)}-",
                ),
            ],
            seconds=seconds,
            runs=runs,
        )
        sdk_call, bare_call = sdk_sync(base, pg_key, pg_lead, profile.sdk_calls)
        sdk_rate, bare_rate = asyncio.run(sdk_async(base, pg_key, pg_lead, profile.sdk_calls * 3))
        print("[bench] 9b, 9: webhook deliveries by the worker in serve", flush=True)
        budget = 10 * seconds  # for a backlog to drain: 20 s quick, 80 s full
        with webhooks.receiver(log) as hooks:
            hook_account, hook_key = asyncio.run(webhooks.new_account(pg_url, "Webhooks"))
            webhooks.subscribe(base, hook_key, hooks, 1)
            paced_rate = round(post.rps / 10)
            latency_p50, latency_p99, paced = webhooks.commit_latency(
                base, hook_key, dsn, hooks, paced_rate, seconds * runs
            )
            hook_post = POST_SCRIPT % f"h{secrets.token_hex(4)}-"
            kept = webhooks.keep_up(
                Probe(f"{base}/leads", {"x-api-key": hook_key}, script=hook_post),
                dsn,
                hook_account,
                hooks,
                seconds * runs,
                budget,
            )
            webhooks.unsubscribe(base, hook_key)
    print("[bench] 9c: POST /leads with three webhooks vs none, no worker in serve", flush=True)
    quiet_env = buena_env(pg_url, redis=True, BUENA_WORKER_IN_SERVE="false")
    with webhooks.receiver(log) as hooks:
        cost = webhooks.request_cost(
            quiet_env,
            *serve(quiet_env, log),
            pg_url,
            dsn,
            hooks,
            POST_SCRIPT,
            seconds,
            runs,
            log,
            budget,
        )
    raw.update(
        webhooks_keep_up=asdict(kept),
        webhooks_latency_ms={"p50": latency_p50, "p99": latency_p99, "leads": paced},
        webhooks_three=asdict(cost.with_three),
        webhooks_none=asdict(cost.without),
        webhooks_three_drain={
            "expected": cost.expected,
            "delivered": cost.delivered,
            "seconds": cost.drain_seconds,
        },
    )

    print("[bench] 4: the same searches without trigram indexes", flush=True)
    server, base = buena(noindex_url, log, redis=True)
    with server:
        john_scan = measure(
            f"{base}/leads?search=john", seconds=seconds, runs=runs, headers=auth, connections=4
        )
        rare_scan = measure(
            f"{base}/leads?search=zqxj", seconds=seconds, runs=runs, headers=auth, connections=4
        )
    raw.update(search_john_noindex=asdict(john_scan), search_rare_noindex=asdict(rare_scan))

    print("[bench] 2: Buena on SQLite and its ceiling", flush=True)
    server, base = buena(sqlite_url, log, redis=False)
    ceiling_server, ceiling_base = ceiling(
        "sqlite_app", {"BENCH_SQLITE": str(RESULTS / "bench.db")}, log
    )
    with server, ceiling_server:
        get_sqlite, ceiling_sqlite = measure_interleaved(
            [
                Probe(f"{base}/leads/{sqlite_lead}", {"x-api-key": sqlite_key}),
                Probe(f"{ceiling_base}/leads/{sqlite_lead}"),
            ],
            seconds=seconds,
            runs=runs,
        )
    raw.update(get_sqlite=asdict(get_sqlite), ceiling_sqlite=asdict(ceiling_sqlite))

    print(f"[bench] 8: Buena (SQLite) and json-server on {PEER_LEADS:,} leads", flush=True)
    peer_db = RESULTS / "peers.db"
    peer_db.unlink(missing_ok=True)
    peer_url, peer_key, peer_lead = asyncio.run(prepare_sqlite(PEER_LEADS, peer_db))
    peer_auth = {"x-api-key": peer_key}
    server, base = buena(peer_url, log, redis=False)
    with server:
        ours_get = measure(
            f"{base}/leads/{peer_lead}", seconds=seconds, runs=runs, headers=peer_auth
        )
        ours_search = measure(
            f"{base}/leads?search=john", seconds=seconds, runs=runs, headers=peer_auth
        )
    js_lead = peers.write_json_server_db(RESULTS / "json-server.json", "peer", PEER_LEADS)
    with peers.json_server(RESULTS / "json-server.json", js_lead, log) as js_base:
        js_get = measure(f"{js_base}/leads/{js_lead}", seconds=seconds, runs=runs)
        js_search = measure(f"{js_base}/leads?q=john", seconds=seconds, runs=runs)
    directus_get = directus_search = None
    if profile.directus:
        print("[bench] 8: Directus on the same leads", flush=True)
        asyncio.run(admin("DROP DATABASE IF EXISTS directus_bench WITH (FORCE)"))
        asyncio.run(admin("CREATE DATABASE directus_bench"))
        try:
            with peers.directus(
                "directus_bench", RESULTS / "json-server.json", js_lead, log
            ) as d_base:
                d_auth = {"Authorization": f"Bearer {peers.DIRECTUS_TOKEN}"}
                directus_get = measure(
                    f"{d_base}/items/leads/{js_lead}", seconds=seconds, runs=runs, headers=d_auth
                )
                directus_search = measure(
                    f"{d_base}/items/leads?search=john", seconds=seconds, runs=runs, headers=d_auth
                )
        finally:
            asyncio.run(admin("DROP DATABASE IF EXISTS directus_bench WITH (FORCE)"))
        raw.update(directus_get=asdict(directus_get), directus_search=asdict(directus_search))
    raw.update(
        peers_buena_get=asdict(ours_get),
        peers_buena_search=asdict(ours_search),
        json_server_get=asdict(js_get),
        json_server_search=asdict(js_search),
    )

    print("[bench] 10: bulk import and export, cursor paging", flush=True)
    scale = bulk.FULL_SCALE if profile is FULL else bulk.QUICK_SCALE
    scale = dataclasses.replace(scale, depth=min(scale.depth, profile.leads * 9 // 10))
    figures = bulk.measure(
        scale, pg_url, pg_key, pg_lead, RESULTS / "bench.db", sqlite_key, sqlite_lead, log
    )
    raw.update(bulk=asdict(figures))

    print("[bench] 12: an enrichment job over stored leads", flush=True)
    enrich_leads = enrichment.FULL_LEADS if profile is FULL else enrichment.QUICK_LEADS
    enriched = enrichment.measure(pg_url, sqlite_url, enrich_leads, log)
    raw.update(enrichment=asdict(enriched))

    print("[bench] 13, 13b: voice previews, cached and uncached", flush=True)
    voiced = voice.measure(
        pg_url, pg_key, pg_lead, RESULTS / "blobs", log,
        voice.RUNS if profile is FULL else voice.QUICK_RUNS,
    )  # fmt: skip
    raw.update(voice=asdict(voiced))

    t = report.targets
    t.append(
        ratio_target(
            "1. GET /leads/{id}, PostgreSQL + Redis, vs raw ASGI + asyncpg",
            get.rps,
            ceiling_pg.rps,
            at_least=0.6,
            unit="req/s",
        )
    )
    t.append(
        ratio_target(
            "1b. GET /leads/{id} p99 vs p50",
            get.p99_ms,
            get.p50_ms,
            at_most=3,
            unit="ms",
            # The tail is where a busy machine shows first: the ceiling's own tail says how
            # much of it the machine put there.
            note="the ceiling's own p99 vs p50 in this run: "
            f"{ceiling_pg.p99_ms / ceiling_pg.p50_ms:.2f}",
        )
    )
    t.append(
        ratio_target(
            "2. GET /leads/{id}, SQLite, vs raw ASGI + sqlite3",
            get_sqlite.rps,
            ceiling_sqlite.rps,
            at_least=0.5,
            unit="req/s",
        )
    )
    t.append(
        ratio_target(
            f"3. GET /leads?limit=50 with total ({profile.leads} leads), "
            "p50 vs GET /leads/{id} p50",
            page.p50_ms,
            get.p50_ms,
            at_most=2,
            unit="ms",
        )
    )
    t.append(
        ratio_target(
            "4. search=john p50, trigram indexes vs none",
            john.p50_ms,
            john_scan.p50_ms,
            at_most=1 / 8,
            unit="ms",
        )
    )
    t.append(
        ratio_target(
            "4b. rare term p50, trigram indexes vs none",
            rare.p50_ms,
            rare_scan.p50_ms,
            at_most=1 / 100,
            unit="ms",
        )
    )
    t.append(
        ratio_target(
            "5. POST /leads vs GET /leads/{id} throughput",
            post.rps,
            get.rps,
            at_least=0.5,
            unit="req/s",
        )
    )
    t.append(
        ratio_target(
            "5b. POST /leads with an Idempotency-Key vs without, throughput",
            keyed_post.rps,
            post.rps,
            at_least=0.8,
            unit="req/s",
        )
    )
    t.extend(webhooks.targets(kept, latency_p50, latency_p99, paced, paced_rate, cost, post, get))
    t.append(
        ratio_target(
            "6. SDK sync get_lead vs urllib3 + json (time per call)",
            sdk_call * 1000,
            bare_call * 1000,
            at_most=1.25,
            unit="ms",
        )
    )
    t.append(
        ratio_target(
            "6b. async SDK, 32 in flight, vs aiohttp + json (32 connections each)",
            sdk_rate,
            bare_rate,
            at_least=0.8,
            unit="calls/s",
        )
    )
    partial = profile.page_through < profile.leads
    t.append(
        Target(
            f"7. RSS while paging through {profile.page_through:,} of {profile.leads:,} leads",
            round(peak_mb, 1),
            round(idle_mb, 1),
            round(peak_mb - idle_mb, 1),
            "<= idle + 64 MB",
            peak_mb - idle_mb <= 64,
            "MB",
            "ratio column = growth in MB"
            + ("; part of the account: offset paging over all of it is O(n^2)" if partial else ""),
        )
    )
    t.append(
        ratio_target(
            f"8. GET /leads/{{id}} vs json-server {peers.JSON_SERVER.split('@')[1]} "
            f"({PEER_LEADS:,} leads; Buena on SQLite, limits on)",
            ours_get.rps,
            js_get.rps,
            at_least=1,
            unit="req/s",
        )
    )
    t.append(
        ratio_target(
            "8b. search=john vs json-server ?q=john",
            ours_search.rps,
            js_search.rps,
            at_least=1,
            unit="req/s",
        )
    )
    if directus_get is not None and directus_search is not None:
        t.append(
            ratio_target(
                f"8c. GET /leads/{{id}} vs Directus {peers.DIRECTUS.split('@')[1]} "
                "(PostgreSQL, admin token)",
                ours_get.rps,
                directus_get.rps,
                at_least=1,
                unit="req/s",
            )
        )
        t.append(
            ratio_target(
                "8d. search=john vs Directus ?search=john",
                ours_search.rps,
                directus_search.rps,
                at_least=1,
                unit="req/s",
            )
        )
    else:
        t.append(
            Target(
                "8c. vs Directus (GET by id, search)",
                None,
                None,
                None,
                "beat it",
                False,
                "req/s",
                "measured by the full profile only (a 725 MB install)",
            )
        )
    t.extend(bulk.targets(figures))
    print("[bench] 11: import time of the SDK", flush=True)
    import_cost, raw["sdk_import"] = import_target()
    t.append(import_cost)
    t.extend(enrichment.targets(enriched))
    t.extend(voice.targets(voiced.engine, voiced.api))
    return report


def write(report: Report, profile: Profile) -> None:
    data = asdict(report)
    (RESULTS / f"{profile.name}.json").write_text(json.dumps(data, indent=2))
    if profile is FULL:
        (RESULTS / "latest.json").write_text(json.dumps(data, indent=2))
        write_markdown(report)
    if profile is not FULL:
        print(
            f"[bench] {profile.name} profile ({profile.leads:,} leads, {profile.seconds:g} s "
            "runs): the harness ran; the targets are judged only at full scale (`make bench`)"
        )
    for target in report.targets:
        state = ("met" if target.met else "NOT MET") if profile is FULL else "(figure)"
        ratio = "-" if target.ratio is None else f"{target.ratio:g}"
        print(f"[bench] {state:8} {target.name}: ratio {ratio} (target {target.target})")


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def write_markdown(report: Report) -> None:
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`bench/run.py`); every figure is a ratio against a ceiling or",
        "a peer measured in the same run, so a slower or busier machine shifts both sides.",
        "Each figure is the median of its runs after a warm-up; the loads of targets 1, 2, 3,",
        "5 and 9c and their references run in turns (one run of each, then again), so that the",
        "machine's drifts over seconds hit both sides of a ratio alike. Targets 9 and 9b are",
        "one run each (as long as target 5's runs together) against a receiver of our own",
        "(`bench/webhooks.py`), on the load core beside wrk.",
        "How each figure is measured and why the code is as it is: "
        "[docs/benchmarks.md](docs/benchmarks.md).",
        "",
        f"- Run: {report.started} ({report.profile} profile)",
        f"- Machine: {report.machine['cpus']} cores, {report.machine['platform']}, Python "
        f"{report.machine['python']}; {report.machine['pinning']}",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in report.versions.items()),
        "",
        "| target | measured | reference | ratio | goal | met |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    for t in report.targets:
        unit = f" {t.unit}" if t.unit and t.measured is not None else ""
        ratio = "-" if t.ratio is None else f"{t.ratio:g}"
        met = "yes" if t.met else "no"
        if t.note:
            met += f" ({t.note})"
        lines.append(
            f"| {t.name} | {_figure(t.measured)}{unit} | {_figure(t.reference)}{unit} | "
            f"{ratio} | {t.target} | {met} |"
        )
    (ROOT / "BENCHMARKS.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small data, short runs")
    parser.add_argument(
        "--smoke", action="store_true", help="the least data, one short run (make test)"
    )
    given = parser.parse_args()
    profile = SMOKE if given.smoke else QUICK if given.quick else FULL
    report = run(profile)
    write(report, profile)


if __name__ == "__main__":
    main()
