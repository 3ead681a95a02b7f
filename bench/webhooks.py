"""Targets 9, 9b and 9c (issue 13): events keep up with `POST /leads`, the latency from a
lead's commit to the receiver, and what three active webhooks cost the request path.

The receiver is a process of its own (``python -m bench.webhooks receive PORT``, on the load
core beside wrk): a bare asyncio + httptools HTTP server that answers 200 at once and
records, per webhook path and ``Buena-Event-Id``, how often the event arrived and when it
first did; ``GET /stats`` and ``GET /latencies`` report it, ``POST /reset`` forgets it.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httptools
import urllib3

from bench.load import (
    LOAD_CORE,
    Load,
    Probe,
    environment,
    free_port,
    measure_interleaved,
    process,
)
from bench.targets import Target, ratio_target
from buena_server.accounts.service import create_account
from buena_server.kit.db import open_database

OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"


# -- the receiver (its own process) -------------------------------------------------------


class _State:
    def __init__(self) -> None:
        self.deliveries = 0
        self.first: dict[bytes, tuple[float, bytes]] = {}  # path + id: (arrival, body)

    def stats(self) -> dict[str, int]:
        distinct = len(self.first)
        return {
            "deliveries": self.deliveries,
            "distinct": distinct,
            "duplicates": self.deliveries - distinct,
        }

    def latencies(self) -> list[float]:
        """Seconds from each event's ``created_at`` to its first arrival."""
        return [
            arrival - datetime.fromisoformat(json.loads(body)["created_at"]).timestamp()
            for arrival, body in self.first.values()
        ]


class _Connection(asyncio.Protocol):
    def __init__(self, state: _State) -> None:
        self.state = state
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.url = b""
        self.event = b""
        self.body: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            assert self.transport is not None
            self.transport.close()

    def on_message_begin(self) -> None:
        self.url, self.event, self.body = b"", b"", []

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == b"buena-event-id":
            self.event = value

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        state, transport = self.state, self.transport
        assert transport is not None
        if self.event:
            state.deliveries += 1
            key = self.url + b" " + self.event
            if key not in state.first:
                state.first[key] = (time.time(), b"".join(self.body))
            transport.write(OK)
        else:
            if self.url == b"/reset":
                state.deliveries, state.first = 0, {}
            answer: Any = state.latencies() if self.url == b"/latencies" else state.stats()
            body = json.dumps(answer).encode()
            transport.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
        if not self.parser.should_keep_alive():
            transport.close()


async def _receive(port: int) -> None:
    state = _State()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Connection(state), "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


@contextmanager
def receiver(log: Path) -> Iterator[str]:
    """The receiver's base URL, for the block; on the load core (the server's core is the
    one measured)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = ["-m", "bench.webhooks", "receive", str(port)]
    with process(args, {}, f"{base}/stats", log, core=LOAD_CORE):
        yield base


# -- the bench side -----------------------------------------------------------------------

_pool = urllib3.PoolManager(maxsize=4)


def _get_json(url: str, headers: Mapping[str, str] | None = None) -> Any:
    response = _pool.request("GET", url, headers=headers)
    assert response.status == 200, response.data[:200]
    return json.loads(response.data)


_get = _get_json


def reset(receiver_base: str) -> None:
    _pool.request("POST", f"{receiver_base}/reset")


async def new_account(database_url: str, name: str) -> tuple[str, str]:
    """(account id, admin key) of a fresh account."""
    database = open_database(database_url)
    try:
        async with database.transaction(write=True) as conn:
            account = await create_account(conn, name)
    finally:
        await database.close()
    return account.account_id, account.key


def subscribe(base: str, key: str, receiver_base: str, count: int) -> None:
    """``count`` webhooks on ``lead.created``, each on a path of its own."""
    for index in range(count):
        body = {"url": f"{receiver_base}/hook/{index}", "events": ["lead.created"]}
        response = _pool.request("POST", f"{base}/webhooks", json=body, headers={"x-api-key": key})
        assert response.status == 201, response.data[:300]


async def _count(dsn: str, query: str, *args: Any) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        found: int = await conn.fetchval(query, *args)
        return found
    finally:
        await conn.close()


def _events(dsn: str, account_id: str) -> int:
    """The account's lead.created events (creating its key wrote an event too)."""
    query = "SELECT count(*) FROM events WHERE account_id = $1 AND type = 'lead.created'"
    return asyncio.run(_count(dsn, query, account_id))


def settle(dsn: str, *, timeout: float = 300) -> float:
    """Seconds until the queue holds no job (what earlier loads left for the worker)."""
    started = time.monotonic()
    while asyncio.run(_count(dsn, "SELECT count(*) FROM jobs")):
        if time.monotonic() - started > timeout:
            break
        time.sleep(0.1)
    return time.monotonic() - started


def drain(receiver_base: str, expected: int, *, timeout: float) -> tuple[float, int]:
    """(seconds, distinct deliveries) once ``expected`` have arrived, or at ``timeout``."""
    started = time.monotonic()
    while (arrived := _get(f"{receiver_base}/stats")["distinct"]) < expected:
        if time.monotonic() - started > timeout:
            break
        time.sleep(0.05)
    return time.monotonic() - started, arrived


def unsubscribe(base: str, key: str) -> None:
    """Delete the account's webhooks: their deliveries not yet made are dropped, so no
    worker spends later measurements on them."""
    headers = {"x-api-key": key}
    listed = _get_json(f"{base}/webhooks?limit=100", headers)
    for webhook in listed["data"]:
        response = _pool.request("DELETE", f"{base}/webhooks/{webhook['id']}", headers=headers)
        assert response.status == 200, response.data[:300]


@dataclass(frozen=True)
class KeepUp:
    created: int
    delivered_rps: float
    backlog_third: int
    backlog_end: int
    drain_seconds: float
    duplicates: int
    delivered: int
    settle_seconds: float

    @property
    def bound(self) -> int:
        """The backlog growth the target allows: 5 % of the run's events, at least 100."""
        return max(100, self.created // 20)

    @property
    def holds(self) -> bool:
        return (
            self.backlog_end - self.backlog_third <= self.bound
            and self.duplicates == 0
            and self.delivered == self.created
        )


def keep_up(
    probe: Probe, dsn: str, account_id: str, receiver_base: str, seconds: float, budget: float
) -> KeepUp:
    """wrk's POST /leads (``probe``, an account with one webhook) for ``seconds``; the
    backlog (events created - delivered) at a third and at the end; then the drain, for at
    most ``budget`` seconds."""
    settled = settle(dsn)
    reset(receiver_base)
    before = _events(dsn, account_id)
    load = threading.Thread(target=probe.run, args=(seconds,))
    started = time.monotonic()
    load.start()
    time.sleep(seconds / 3)
    third = _events(dsn, account_id) - before - _get(f"{receiver_base}/stats")["distinct"]
    load.join()
    delivered = _get(f"{receiver_base}/stats")["distinct"]
    elapsed = time.monotonic() - started
    created = _events(dsn, account_id) - before
    drained, _ = drain(receiver_base, created, timeout=budget)
    # The requests wrk left in flight when it stopped commit after it: count them in.
    created = _events(dsn, account_id) - before
    more, _ = drain(receiver_base, created, timeout=max(0.0, budget - drained))
    drained += more
    stats = _get(f"{receiver_base}/stats")
    return KeepUp(
        created,
        delivered / elapsed,
        third,
        created - delivered,
        drained,
        stats["duplicates"],
        stats["distinct"],
        settled,
    )


def commit_latency(
    base: str, key: str, dsn: str, receiver_base: str, rate: float, seconds: float
) -> tuple[float, float, int]:
    """(p50, p99) in ms from each event's ``created_at`` to its arrival, and how many, with
    leads created one at a time at ``rate`` a second for ``seconds`` (once the queue is
    empty)."""
    settle(dsn)
    reset(receiver_base)
    headers = {"x-api-key": key, "Content-Type": "application/json"}
    count = max(20, round(rate * seconds))
    started = time.monotonic()
    for index in range(count):
        delay = started + index / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        body = json.dumps({"first_name": "Paced", "last_name": "Lead", "email": f"p{index}@x.t"})
        response = _pool.request("POST", f"{base}/leads", body=body, headers=headers)
        assert response.status == 201, response.data[:300]
    _, arrived = drain(receiver_base, count, timeout=120)
    assert arrived == count, f"9b: {arrived} of {count} events arrived"
    latencies = sorted(ms * 1000 for ms in _get(f"{receiver_base}/latencies"))
    p99 = latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))]
    return statistics.median(latencies), p99, count


@dataclass(frozen=True)
class RequestCost:
    with_three: Load
    without: Load
    expected: int
    delivered: int
    drain_seconds: float


def request_cost(
    env: Mapping[str, str],
    server: Any,
    base: str,
    database_url: str,
    dsn: str,
    receiver_base: str,
    post_script: str,
    seconds: float,
    runs: int,
    log: Path,
    budget: float,
) -> RequestCost:
    """POST /leads for an account with three active webhooks and for one with none, in
    turns, on ``server`` (started with ``env``: no worker in it); then a lone
    `buena-server worker` delivers for at most ``budget`` seconds, each delivery checked to
    arrive once."""

    three_id, three_key = asyncio.run(new_account(database_url, "Three webhooks"))
    _, none_key = asyncio.run(new_account(database_url, "No webhooks"))
    reset(receiver_base)
    with server:
        subscribe(base, three_key, receiver_base, 3)
        with_three, without = measure_interleaved(
            [
                Probe(f"{base}/leads", {"x-api-key": three_key}, script=post_script % "w3-"),
                Probe(f"{base}/leads", {"x-api-key": none_key}, script=post_script % "w0-"),
            ],
            seconds=seconds,
            runs=runs,
        )
    expected = 3 * _events(dsn, three_id)
    # On both cores (wrk is done) and with more jobs at once: the drain is a check, not a
    # figure.
    command = [sys.executable, "-m", "buena_server.cli", "worker"]
    with log.open("ab") as output:
        worker = subprocess.Popen(
            command,
            env=environment({**env, "BUENA_QUEUE_CONCURRENCY": "32"}),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        drained, _ = drain(receiver_base, expected, timeout=budget)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    stats = _get(f"{receiver_base}/stats")
    if stats["duplicates"]:
        raise RuntimeError(f"9c: deliveries arrived twice: {stats}")
    # The deliveries left undelivered would go to a receiver about to stop: every later
    # server's worker would spend its measurements failing them.
    asyncio.run(_forget_webhooks(dsn, three_id))
    return RequestCost(with_three, without, expected, stats["distinct"], drained)


async def _forget_webhooks(dsn: str, account_id: str) -> None:
    """Delete the account's webhooks (their deliveries go with them) and every job left."""
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute("DELETE FROM webhooks WHERE account_id = $1", account_id)
            await conn.execute("DELETE FROM jobs")
    finally:
        await conn.close()


def targets(
    kept: KeepUp,
    latency_p50: float,
    latency_p99: float,
    paced: int,
    paced_rate: float,
    cost: RequestCost,
    post: Load,
    get: Load,
) -> list[Target]:
    """Targets 9, 9b and 9c, against target 5's POST /leads and target 1's GET p50."""
    keeping = ratio_target(
        "9. webhook deliveries (worker in serve, one webhook) vs POST /leads throughput",
        kept.delivered_rps,
        post.rps,
        at_least=0.5,
        unit="req/s",
        note=f"{kept.created:,} events over the run; backlog (created - delivered) "
        f"{kept.backlog_third:,} at a third, {kept.backlog_end:,} at the end (growth allowed: "
        f"{kept.bound:,}); after the load, {kept.delivered:,} delivered in "
        f"{kept.drain_seconds:.1f} s{'' if kept.delivered == kept.created else ' (gave up)'}, "
        f"{kept.duplicates} twice; the queue took {kept.settle_seconds:.1f} s to empty "
        "of earlier loads' jobs first",
    )
    keeping.met = keeping.met and kept.holds
    return [
        keeping,
        ratio_target(
            "9b. lead.created, event created_at to the receiver, p99 vs GET /leads/{id} p50",
            latency_p99,
            get.p50_ms,
            at_most=20,
            unit="ms",
            note=f"{paced:,} leads created one at a time at {paced_rate:g}/s; from the "
            "event's created_at (the server's clock before its insert, so the rest of the "
            f"request and the commit count too) to the arrival; p50 {latency_p50:.2f} ms",
        ),
        ratio_target(
            "9c. POST /leads with three active webhooks vs none, throughput",
            cost.with_three.rps,
            cost.without.rps,
            at_least=0.85,
            unit="req/s",
            note="request path only: no worker in serve during both; then a lone worker "
            f"delivered {cost.delivered:,} of {cost.expected:,} in {cost.drain_seconds:.1f} s "
            "(none twice; the rest left queued)",
        ),
    ]


def main() -> None:
    command, *args = sys.argv[1:]
    if command != "receive":
        raise SystemExit(__doc__)
    asyncio.run(_receive(int(args[0])))


if __name__ == "__main__":
    main()
