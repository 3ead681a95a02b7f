"""Where workers run: inside the app's lifespan (``serve``, ASGI) unless
BUENA_WORKER_IN_SERVE=false, and alone with ``buena-server worker``."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from sqlalchemy import func, select

from buena_server.app import worker_of
from buena_server.config import Settings
from buena_server.kit.db import open_database
from buena_server.kit.driver import Database
from buena_server.kit.worker_process import run_worker
from buena_server.queue import Job, JobContext, enqueue
from buena_server.services import services_of
from buena_server.tables import jobs
from buena_server.webhooks.jobs import DELIVER_TASK

from backends import fresh_database
from live_server import clean_environment
from server_testing import running

# A delivery job whose delivery is gone: its handler finds nothing to send, and completes.
GONE = {"account_id": "acct_gone", "delivery_id": "whd_gone"}


async def jobs_left(database: Database) -> int:
    async with database.transaction(write=False) as conn:
        return int((await conn.execute(select(func.count()).select_from(jobs))).scalar_one())


async def until_no_jobs(database: Database, within: float = 10.0) -> None:
    """Wait for the worker under test to empty the queue (the outcome, not a duration)."""
    deadline = time.monotonic() + within
    while await jobs_left(database):
        assert time.monotonic() < deadline, "the worker did not run the jobs"
        await asyncio.sleep(0.02)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"worker_in_serve": True}  # the app's own worker is what these tests look at


async def test_the_app_runs_a_worker_in_its_lifespan(app: Litestar) -> None:
    worker = worker_of(app)
    assert worker is not None
    ran = asyncio.Event()

    async def handler(job: Job, context: JobContext) -> None:
        assert context.services is services_of(app)
        ran.set()

    worker.registry.register("test.in_app", handler)
    async with running(app):
        async with services_of(app).database.transaction(write=True) as conn:
            await enqueue(conn, "test.in_app", {})
        await asyncio.wait_for(ran.wait(), 5)
        await until_no_jobs(services_of(app).database)


@pytest.mark.parametrize("settings_overrides", [{"worker_in_serve": False}])
async def test_no_worker_when_worker_in_serve_is_off(app: Litestar) -> None:
    assert worker_of(app) is None
    async with running(app):
        async with services_of(app).database.transaction(write=True) as conn:
            await enqueue(conn, DELIVER_TASK, GONE)
        assert await jobs_left(services_of(app).database) == 1


def test_the_apps_worker_runs_the_webhooks_deliveries(app: Litestar) -> None:
    worker = worker_of(app)
    assert worker is not None
    assert DELIVER_TASK in worker.registry


async def test_run_worker_runs_jobs_until_stopped(settings: Settings) -> None:
    # The database as another process (an API without a worker) left it.
    database = open_database(settings.database_url)
    try:
        async with database.transaction(write=True) as conn:
            for n in range(5):
                await enqueue(conn, DELIVER_TASK, {**GONE, "delivery_id": f"whd_{n}"})
        stop = asyncio.Event()
        worker = asyncio.create_task(run_worker(settings, stop))
        await until_no_jobs(database)
        stop.set()
        await asyncio.wait_for(worker, 10)
    finally:
        await database.close()


def test_the_worker_command_runs_jobs_and_stops_on_sigterm(tmp_path: Path) -> None:
    with fresh_database(str(tmp_path / "worker.db")) as url:
        environment = clean_environment(
            BUENA_DATABASE_URL=url, BUENA_QUEUE_POLL_SECONDS="0.05", BUENA_ENV="test"
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "buena_server.cli", "worker"],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:

            async def enqueue_and_wait() -> None:
                database = open_database(url)
                try:
                    deadline = time.monotonic() + 20
                    while True:  # until the command has migrated the database
                        try:
                            async with database.transaction(write=True) as conn:
                                await enqueue(conn, DELIVER_TASK, GONE)
                            break
                        except Exception:
                            assert time.monotonic() < deadline, "the worker never migrated"
                            await asyncio.sleep(0.1)
                    await until_no_jobs(database, within=20)
                finally:
                    await database.close()

            asyncio.run(enqueue_and_wait())
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=20)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert process.returncode == 0, output
        assert "worker running" in output


async def test_the_metrics_count_job_runs_by_outcome(app: Litestar) -> None:
    worker = worker_of(app)
    assert worker is not None
    finished = asyncio.Event()

    async def handler(job: Job, context: JobContext) -> None:
        finished.set()

    worker.registry.register("test.metrics", handler)
    async with running(app) as client:
        async with services_of(app).database.transaction(write=True) as conn:
            await enqueue(conn, "test.metrics", {})
        await asyncio.wait_for(finished.wait(), 5)
        await until_no_jobs(services_of(app).database)
        text = (await client.get("/metrics")).text
    assert 'buena_queue_job_runs_total{outcome="completed"} 1.0' in text
    assert 'buena_queue_job_runs_total{outcome="dead"} 0.0' in text
    assert "buena_queue_jobs_running 0.0" in text
