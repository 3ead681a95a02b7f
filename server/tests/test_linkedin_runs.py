"""LinkedIn actions run on the durable queue: at their time and not before, by the sandbox or a
plug-in executor, with their events and the lead's status; retried when the executor says it
may pass; moved when the rules no longer hold; finished by another server process after a
restart; never run twice by two workers."""

from __future__ import annotations

import asyncio
import random
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from test_jobs import events_of
from test_linkedin_api import BEFORE_OPENING, at, connect, scheduled

from buena_server.app import create_app
from buena_server.linkedin.registry import ENTRY_POINT_GROUP, ExecutorRegistry
from buena_server.linkedin.service import RUN_TASK
from buena_server.queue import Worker, enqueue
from buena_server.services import services_of
from buena_server.tasks import task_registry

from server_testing import API, Account, InProcessClient, MovedClock, running

OPENING = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)  # 09:00 in Berlin


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # Every invitation accepted and every message answered, 10 to 20 minutes later.
    return {
        "linkedin_sandbox_acceptance_rate": 1.0,
        "linkedin_sandbox_reply_rate": 1.0,
        "linkedin_sandbox_min_response_seconds": 600,
        "linkedin_sandbox_max_response_seconds": 1200,
        "linkedin_retry_seconds": 30,
    }


def worker_of(client: InProcessClient) -> Worker:
    services = services_of(client.app)
    return Worker(services.database, task_registry(), services, rng=random.Random(3))


@pytest.fixture
def worker(client: InProcessClient) -> Worker:
    return worker_of(client)


async def action(account: Account, action_id: str) -> dict[str, Any]:
    response = await account.client.get(
        f"{API}/linkedin/actions/{action_id}", headers=account.headers()
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def view(account: Account, n: int) -> dict[str, Any]:
    return await scheduled(
        account, action_type="view_profile", profile_url=f"linkedin.com/in/p-{n}"
    )


async def test_an_action_runs_at_its_time_and_contacts_its_lead(
    account: Account, worker: Worker, moved_clock: MovedClock
) -> None:
    moved_clock.move_to(BEFORE_OPENING)
    await connect(account)
    lead = await account.create_lead(email="ada@example.com")
    made = await scheduled(account, lead_id=lead["id"], message="Hi Ada")
    assert await worker.run_pending() == 0  # 07:00 in Berlin: not yet
    moved_clock.move_to(OPENING - timedelta(seconds=1))
    assert await worker.run_pending() == 0
    moved_clock.move_to(OPENING)
    assert await worker.run_pending() >= 1  # the action (and its event's dispatch)
    done = await action(account, made["id"])
    assert (done["status"], done["attempts"], done["error"]) == ("completed", 1, None)
    assert done["result"] == {"simulated": True, "profile_url": made["profile_url"],
                              "invitation": "sent", "note": True}  # fmt: skip
    assert at(done["started_at"]) - OPENING < timedelta(seconds=1)
    [event] = await events_of(account, "linkedin.action.completed")
    assert event["data"]["object"]["id"] == made["id"]
    assert event["data"]["object"]["status"] == "completed"
    # The lead was contacted, through its own update (and its lead.updated event).
    got = await account.client.get(f"{API}/leads/{lead['id']}", headers=account.headers())
    assert got.json()["status"] == "contacted"
    [updated] = await events_of(account, "lead.updated")
    assert updated["data"]["previous_attributes"]["status"] == "active"
    integration = await account.client.get(
        f"{API}/integrations/linkedin", headers=account.headers()
    )
    assert integration.json()["actions_today"] == 1
    assert integration.json()["last_activity"] == done["started_at"]
    # The sandbox accepts the invitation 10 to 20 minutes later.
    moved_clock.advance(minutes=9)
    await worker.run_pending()
    assert await events_of(account, "linkedin.connection.accepted") == []
    moved_clock.advance(minutes=12)
    await worker.run_pending()
    [accepted] = await events_of(account, "linkedin.connection.accepted")
    assert accepted["data"]["simulated"] is True
    assert accepted["data"]["object"]["id"] == made["id"]
    follow_ups = (await action(account, made["id"]))["result"]["follow_ups"]
    assert [f["type"] for f in follow_ups] == ["linkedin.connection.accepted"]


async def test_a_message_gets_its_simulated_reply(
    account: Account, worker: Worker, moved_clock: MovedClock
) -> None:
    moved_clock.move_to(OPENING)
    await connect(account)
    made = await scheduled(account, action_type="send_message", message="Hello")
    await worker.run_pending()
    moved_clock.advance(minutes=21)
    await worker.run_pending()
    [replied] = await events_of(account, "linkedin.message.replied")
    assert replied["data"]["reply"]["text"]
    assert replied["data"]["object"]["id"] == made["id"]


async def test_sandbox_failures_and_retries(
    account: Account, worker: Worker, moved_clock: MovedClock
) -> None:
    moved_clock.move_to(OPENING)
    await connect(account, min_delay_seconds=0, max_delay_seconds=0)
    missing = await scheduled(account, profile_url="linkedin.com/in/notfound-bob")
    hidden = await scheduled(
        account, action_type="view_profile", profile_url="linkedin.com/in/private-eve"
    )
    flaky = await scheduled(
        account, action_type="get_profile", profile_url="linkedin.com/in/flaky-jane-doe"
    )
    await worker.run_pending()
    failed = await action(account, missing["id"])
    assert failed["status"] == "failed"
    assert failed["error"] == {
        "code": "PROFILE_NOT_FOUND",
        "retryable": False,
        "message": "No LinkedIn member at https://www.linkedin.com/in/notfound-bob/",
    }
    assert (await action(account, hidden["id"]))["error"]["code"] == "PROFILE_PRIVATE"
    events = await events_of(account, "linkedin.action.failed")
    assert {e["data"]["object"]["id"] for e in events} == {missing["id"], hidden["id"]}
    # A failed connection request frees its profile.
    await scheduled(account, profile_url="linkedin.com/in/notfound-bob")
    # The flaky one waits for its retry (30 s doubled per attempt, half jittered).
    retrying = await action(account, flaky["id"])
    assert (retrying["status"], retrying["attempts"]) == ("scheduled", 1)
    assert retrying["error"]["code"] == "RATE_LIMITED"
    wait = at(retrying["scheduled_for"]) - at(retrying["started_at"])
    assert timedelta(seconds=15) <= wait <= timedelta(seconds=30)
    moved_clock.advance(seconds=31)
    await worker.run_pending()
    done = await action(account, flaky["id"])
    assert (done["status"], done["attempts"], done["error"]) == ("completed", 2, None)
    assert done["result"]["profile"]["first_name"] == "Flaky"
    assert done["result"]["profile"]["last_name"] == "Jane Doe"


async def test_an_action_due_outside_the_new_hours_moves(
    account: Account, worker: Worker, moved_clock: MovedClock
) -> None:
    moved_clock.move_to(OPENING)
    await connect(account)
    made = await scheduled(account)
    # The office now opens at 11:00 in Berlin: checked again when the action falls due.
    await connect(account, working_hours={"start": "11:00", "end": "18:00", "days": ["thu"]})
    await worker.run_pending()
    moved = await action(account, made["id"])
    assert (moved["status"], moved["scheduled_for"]) == ("scheduled", "2026-12-03T10:00:00Z")
    moved_clock.move_to(datetime(2026, 12, 3, 10, 0, tzinfo=UTC))
    await worker.run_pending()
    assert (await action(account, made["id"]))["status"] == "completed"


async def test_the_daily_limit_holds_when_the_worker_comes_late(
    account: Account, worker: Worker, moved_clock: MovedClock
) -> None:
    """After an outage, overdue actions do not all run at once: today's limit and the
    shortest gap hold when they fall due."""
    moved_clock.move_to(OPENING)
    await connect(account, daily_limit=2, min_delay_seconds=60, max_delay_seconds=60)
    made = [await view(account, n) for n in range(3)]
    # Thursday 08:00, 08:01 UTC, then Friday.
    moved_clock.move_to(datetime(2026, 12, 3, 12, 0, tzinfo=UTC))  # the worker was away
    await worker.run_pending()
    # The two due ones ran in one pass: whichever started first ran, the other moved.
    first, second = sorted(
        [await action(account, m["id"]) for m in made[:2]], key=lambda a: a["status"]
    )
    assert (first["status"], second["status"]) == ("completed", "scheduled")
    assert at(second["scheduled_for"]) - at(first["started_at"]) == timedelta(seconds=60)
    moved_clock.advance(seconds=61)
    await worker.run_pending()
    assert (await action(account, second["id"]))["status"] == "completed"
    third = await action(account, made[2]["id"])
    assert (third["status"], third["scheduled_for"]) == ("scheduled", "2026-12-04T08:00:00Z")


async def test_a_canceled_action_never_runs(
    account: Account, worker: Worker, moved_clock: MovedClock
) -> None:
    moved_clock.move_to(OPENING)
    await connect(account)
    made = await scheduled(account)
    await account.client.post(
        f"{API}/linkedin/actions/{made['id']}/cancel", headers=account.headers()
    )
    await worker.run_pending()
    assert (await action(account, made["id"]))["status"] == "canceled"
    assert await events_of(account, "linkedin.action.completed") == []


async def test_the_schedule_outlives_its_server_process(
    client: InProcessClient, account: Account, moved_clock: MovedClock
) -> None:
    """Scheduled in one app; after a restart, another app's worker on the same database
    runs the schedule to its end."""
    moved_clock.move_to(BEFORE_OPENING)
    await connect(account)
    made = [await view(account, n) for n in range(3)]
    settings = services_of(client.app).settings
    async with running(create_app(settings)) as restarted:
        worker = worker_of(restarted)
        # The clock goes to each next scheduled time in turn, read again after every run (a
        # run may move a later action, and one may have filled a gap before another).
        for _ in range(2 * len(made)):
            now = [await action(account, m["id"]) for m in made]
            waiting = [a for a in now if a["status"] == "scheduled"]
            if not waiting:
                break
            first = min(waiting, key=lambda a: at(a["scheduled_for"]))
            moved_clock.move_to(at(first["scheduled_for"]) + timedelta(seconds=1))
            assert await worker.run_pending() >= 1, first
    done = [await action(account, m["id"]) for m in made]
    assert [a["status"] for a in done] == ["completed"] * 3, done
    planned = [at(m["scheduled_for"]) for m in made]
    assert all(at(a["started_at"]) >= p for a, p in zip(done, planned, strict=True))


async def test_two_workers_never_run_one_action_twice(
    client: InProcessClient, account: Account, moved_clock: MovedClock, fake_executor: Any
) -> None:
    moved_clock.move_to(OPENING)
    await connect(account, executor="fake", min_delay_seconds=0, max_delay_seconds=0)
    made = [await view(account, n) for n in range(8)]
    services = services_of(client.app)
    # Two jobs claimed at a time each, so that both workers take some.
    workers = [
        Worker(services.database, task_registry(), services, concurrency=1, rng=random.Random(n))
        for n in range(2)
    ]
    await asyncio.gather(*(w.run_pending() for w in workers))
    assert sorted(fake_executor.ran) == sorted(m["id"] for m in made)
    assert all(w.outcomes["completed"] > 0 for w in workers)
    assert {(await action(account, m["id"]))["status"] for m in made} == {"completed"}
    # A stray queue job for an action (not the one the action names) runs nothing.
    async with services.database.transaction(write=True) as conn:
        await enqueue(conn, RUN_TASK, {"account_id": account.id, "action_id": made[0]["id"]})
    assert await workers[0].run_pending() == 1
    assert len(fake_executor.ran) == len(made)


# -- the executor seam ---------------------------------------------------------------------

PLUGIN = '''
import asyncio
from buena_server.linkedin.executors import ExecutorError, Outcome

class FakeExecutor:
    """A stand-in for a network executor: records what it is asked, answers at once."""

    name = "fake"

    def __init__(self, settings):
        self.settings = settings
        self.ran = []
        self.pause = None

    async def execute(self, action):
        if self.pause is not None:
            await self.pause.wait()
        self.ran.append(action.id)
        if action.profile_id.startswith("down"):
            raise ExecutorError("LINKEDIN_DOWN", "maintenance", retryable=True)
        result = {"done_by": "fake", "to": action.profile_url}
        return Outcome({**result, "from": action.sender_profile_url})
'''


@pytest.fixture
def installed_executor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A distribution installed the way pip leaves one, with an entry point in
    ``buena.linkedin_executors``."""
    (tmp_path / "buena_test_executor.py").write_text(PLUGIN)
    info = tmp_path / "buena_test_executor-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: buena-test-executor\nVersion: 1.0\n"
    )
    (info / "entry_points.txt").write_text(
        textwrap.dedent(f"""\
            [{ENTRY_POINT_GROUP}]
            fake = buena_test_executor:FakeExecutor
            """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop("buena_test_executor", None)


@pytest.fixture
def fake_executor(installed_executor: Path, client: InProcessClient) -> Any:
    """The plug-in as the app loaded it (the app is built after the plug-in is installed)."""
    executor = services_of(client.app).linkedin_executors.find("fake")
    assert executor is not None
    return executor


@pytest.fixture
def app(installed_executor: Path, settings: Any) -> Any:
    return create_app(settings)


async def test_a_plugin_executor_performs_the_actions(
    account: Account, worker: Worker, moved_clock: MovedClock, fake_executor: Any
) -> None:
    moved_clock.move_to(OPENING)
    assert services_of(account.client.app).linkedin_executors.names() == ["sandbox", "fake"]
    await connect(account, executor="fake", min_delay_seconds=0, max_delay_seconds=0)
    made = await scheduled(account, action_type="send_message", message="Hi")
    down = await scheduled(
        account, action_type="view_profile", profile_url="linkedin.com/in/down-x"
    )
    await worker.run_pending()
    done = await action(account, made["id"])
    assert done["result"] == {"done_by": "fake", "to": made["profile_url"],
                              "from": "https://www.linkedin.com/in/grace-hopper/"}  # fmt: skip
    assert done["executor"] == "fake"
    # Retryable until BUENA_LINKEDIN_MAX_ATTEMPTS (5) runs, then failed.
    for _ in range(6):
        moved_clock.advance(hours=1)
        await worker.run_pending()
    failed = await action(account, down["id"])
    assert (failed["status"], failed["attempts"]) == ("failed", 5)
    assert failed["error"] == {"code": "LINKEDIN_DOWN", "message": "maintenance", "retryable": True}
    assert fake_executor.ran.count(down["id"]) == 5


def test_a_plugin_that_fails_to_load_stops_start_up(installed_executor: Path) -> None:
    (installed_executor / "buena_test_executor.py").write_text("raise ImportError('missing')\n")
    from buena_server.linkedin.executors import ExecutorSettings
    from buena_server.linkedin.registry import ExecutorRegistrationError

    with pytest.raises(ExecutorRegistrationError, match=r"'fake'.*failed to load: missing"):
        ExecutorRegistry.load(ExecutorSettings())
