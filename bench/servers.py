"""The servers a bench run measures: Buena (``buena-server serve``) and the raw ceilings,
each a process pinned to the server core; and their memory."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import urllib3

from bench.load import free_port, process

API = "/api/v2"
REDIS_URL = "redis://127.0.0.1:6379/0"


def buena_env(database_url: str, *, redis: bool, **settings: str) -> dict[str, str]:
    env = {
        "BUENA_DATABASE_URL": database_url,
        # Rate limiting on (every request is counted) with limits no benchmark reaches.
        "BUENA_RATE_LIMITS": "1000000000/minute",
        "BUENA_ENV": "development",
        # The webhook receivers of targets 9 are on loopback.
        "BUENA_WEBHOOKS_ALLOW_PRIVATE": "true",
        **settings,
    }
    if redis:
        env.update(
            BUENA_REDIS_URL=REDIS_URL, BUENA_REDIS_KEY_PREFIX=f"bench-{secrets.token_hex(4)}"
        )
    return env


def serve(env: dict[str, str], log: Path) -> tuple[Any, str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}{API}"
    args = ["-m", "buena_server.cli", "serve", "--port", str(port), "--quiet"]
    return process(args, env, f"{base}/health", log), base


def buena(database_url: str, log: Path, *, redis: bool) -> tuple[Any, str]:
    return serve(buena_env(database_url, redis=redis), log)


def ceiling(app: str, env: dict[str, str], log: Path) -> tuple[Any, str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}{API}"
    args = [
        "-m",
        "uvicorn",
        f"bench.ceiling:{app}",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    return process(args, env, f"{base}/leads/none", log), base


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def page_memory(base: str, key: str, pid: int, leads: int) -> tuple[float, float]:
    """(idle RSS, peak RSS) in MB while paging through ``leads`` leads 100 at a time."""
    pool = urllib3.PoolManager()
    idle = rss_mb(pid)
    peak = idle
    for offset in range(0, leads, 100):
        response = pool.request(
            "GET",
            f"{base}/leads?limit=100&offset={offset}&sort=created_at&order=asc",
            headers={"x-api-key": key},
        )
        assert response.status == 200, response.data[:200]
        if offset % 1000 == 0:
            peak = max(peak, rss_mb(pid))
    pool.clear()
    return idle, max(peak, rss_mb(pid))
