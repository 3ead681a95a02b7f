"""The pipelined Redis script client (redis_script.py): its RESP parser on replies cut at every
byte, and its behaviour against a server that answers, one that never answers, and the real
Redis (EVALSHA, then EVAL when the script is unknown)."""

from __future__ import annotations

import asyncio
import secrets

import pytest
import redis

from buena_server.kit.redis_connection import RedisEndpoint
from buena_server.kit.redis_script import (
    IncompleteReply,
    RedisLink,
    ReplyError,
    ScriptClient,
    _Protocol,
    pack,
    parse,
)

from backends import REDIS_URL
from server_testing import ManualClockLoop, run_with_manual_clock

REPLIES = b"*4\r\n$3\r\nabc\r\n:42\r\n$-1\r\n*2\r\n+OK\r\n$0\r\n\r\n" + b"-NOSCRIPT missing\r\n"


def test_pack_is_an_array_of_bulk_strings() -> None:
    assert pack(b"EVALSHA", "ab", 2) == b"*3\r\n$7\r\nEVALSHA\r\n$2\r\nab\r\n$1\r\n2\r\n"


def test_parse_reads_every_kind_of_reply() -> None:
    first, position = parse(REPLIES)
    assert first == [b"abc", 42, None, ["OK", b""]]
    error, end = parse(REPLIES, position)
    assert isinstance(error, ReplyError)
    assert str(error) == "NOSCRIPT missing"
    assert end == len(REPLIES)


def test_parse_waits_for_the_rest_of_a_reply_cut_anywhere() -> None:
    first_end = parse(REPLIES)[1]
    for cut in range(first_end):
        with pytest.raises(IncompleteReply):
            parse(REPLIES[:cut])


class FakeTransport:
    def __init__(self) -> None:
        self.closed = False

    def write(self, _data: bytes) -> None: ...

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


def test_replies_arriving_in_pieces_reach_their_calls_in_order() -> None:
    async def scenario() -> None:
        protocol = _Protocol(timeout=5)
        protocol.connection_made(FakeTransport())  # type: ignore[arg-type]
        first, second = protocol.send(b"x"), protocol.send(b"y")
        for byte in range(len(REPLIES)):
            protocol.data_received(REPLIES[byte : byte + 1])
        assert await first == [b"abc", 42, None, ["OK", b""]]
        assert isinstance(await second, ReplyError)

    asyncio.run(scenario())


def test_the_replies_to_one_write_wake_its_calls_together() -> None:
    """Redis answers a write of more than 16 KB in parts: the calls of that write are woken
    once all their replies are in (so that they go on together), those of a later write on
    their own."""

    async def scenario() -> None:
        protocol = _Protocol(timeout=5)
        protocol.connection_made(FakeTransport())  # type: ignore[arg-type]
        first, second = protocol.send(b"x"), protocol.send(b"y")
        await asyncio.sleep(0)  # written together
        third = protocol.send(b"z")
        protocol.data_received(b":1\r\n")
        assert not first.done()
        protocol.data_received(b":2\r\n:3")
        assert (first.result(), second.result()) == (1, 2)
        assert not third.done()
        protocol.data_received(b"\r\n")
        assert third.result() == 3

    asyncio.run(scenario())


def test_each_call_gets_its_own_time_to_answer() -> None:
    """One watchdog per connection: an answered call's deadline passing does not fail a later
    call, and a call left unanswered fails when its own time is up, not before. The loop's
    time moves only when the test moves it, so each step lands exactly where it says."""

    async def scenario(clock: ManualClockLoop) -> None:
        protocol = _Protocol(timeout=2.0)
        transport = FakeTransport()
        protocol.connection_made(transport)  # type: ignore[arg-type]
        first = protocol.send(b"x")  # due at 2.0
        await clock.advance(1.5)
        protocol.data_received(b":1\r\n")
        assert await first == 1
        second = protocol.send(b"y")  # due at 3.5
        await clock.advance(1.0)  # 2.5: past the first call's deadline, within the second's
        assert not second.done()
        assert not transport.closed
        await clock.advance(0.5)  # 3.0
        assert not second.done()
        await clock.advance(0.5)  # 3.5: its own time is up
        assert second.done()
        with pytest.raises(TimeoutError):
            second.result()
        assert transport.closed
        assert protocol.lost is not None

    run_with_manual_clock(scenario)


def test_a_silent_server_times_out_and_the_next_call_reconnects() -> None:
    """A server that accepts and never answers: the call fails when its time is up (moved
    by the test once the server holds the command, so the connect never races it), and
    the next call opens a fresh connection."""

    async def scenario(clock: ManualClockLoop) -> None:
        received: asyncio.Queue[asyncio.StreamWriter] = asyncio.Queue()

        async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n")  # a command has arrived; it is never answered
            await received.put(writer)
            await reader.read(-1)

        server = await asyncio.start_server(swallow, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = ScriptClient(
            RedisEndpoint.from_url(f"redis://127.0.0.1:{port}/0", 2.0), "return 1"
        )
        connections = []
        try:
            protocols = []
            for _ in range(2):
                call = asyncio.ensure_future(client.run(["k"], []))
                connections.append(await received.get())
                await clock.advance(1.5)
                assert not call.done()
                await clock.advance(0.5)
                assert call.done()
                with pytest.raises(TimeoutError):
                    call.result()
                protocols.append(client.link._protocol)
            assert protocols[1] is not protocols[0]  # a fresh connection
        finally:
            await client.close()
            server.close()
            for writer in connections:
                writer.close()
            await server.wait_closed()

    run_with_manual_clock(scenario)


async def test_an_unreachable_server_is_a_connection_error() -> None:
    client = ScriptClient(RedisEndpoint.from_url("redis://127.0.0.1:1/0", 0.5), "return 1")
    with pytest.raises(ConnectionRefusedError):
        await client.run(["k"], [])


async def test_runs_on_redis_loading_the_script_once() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.ConnectionError:
        pytest.skip("Redis is not running here (CI runs it)")
    script = f"-- {secrets.token_hex(8)}\nreturn {{KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}}"
    key = f"buena-test:{secrets.token_hex(6)}"
    endpoint = RedisEndpoint.from_url(REDIS_URL, 1)
    client = ScriptClient(endpoint, script)
    try:
        # Concurrent calls share the connection and get their own answers.
        replies = await asyncio.gather(*(client.run([key], [n]) for n in range(20)))
        assert [reply[1] for reply in replies] == [str(n).encode() for n in range(20)]
        assert sorted(reply[2] for reply in replies) == list(range(1, 21))
        failing = ScriptClient(endpoint, "return redis.call('NOPE')")
        with pytest.raises(ReplyError):
            await failing.run([], [])
        await failing.close()
    finally:
        await client.close()
        redis.Redis.from_url(REDIS_URL).delete(key)


class AnswersOne:
    """A local server in Redis's place that answers every EVALSHA with 1, keeping what it
    read (each read as it came) and counting the connections it took."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.connections = 0

    async def answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while data := await reader.read(65536):
                self.writes.append(data)
                writer.write(b":1\r\n" * data.count(b"EVALSHA"))
                await writer.drain()
        finally:
            writer.close()
            await writer.wait_closed()


async def test_scripts_on_one_link_share_its_connection_and_its_writes() -> None:
    """The rate-limit and idempotency scripts share the process's link: one connection, and
    the calls both make in one pass of the event loop go out in one write."""
    ones = AnswersOne()
    writes = ones.writes
    server = await asyncio.start_server(ones.answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    link = RedisLink(RedisEndpoint.from_url(f"redis://127.0.0.1:{port}/0", 2.0))
    limits, claims = ScriptClient(link, "return 1"), ScriptClient(link, "return 2")
    try:
        await limits.run(["warm-up"], [])  # connected
        writes.clear()
        replies = await asyncio.gather(
            *(client.run([f"k{n}"], []) for n in range(3) for client in (limits, claims))
        )
        assert replies == [1] * 6
        assert ones.connections == 1
        assert len(writes) == 1
        assert writes[0].count(b"EVALSHA") == 6
        assert claims.sha.encode() in writes[0]
        assert limits.sha.encode() in writes[0]
    finally:
        await link.close()
        server.close()
        await server.wait_closed()
        await asyncio.sleep(0)  # the handler sees the connection closed and closes its end


def test_the_app_runs_its_per_request_scripts_on_one_link() -> None:
    from buena_server.app import create_app
    from buena_server.config import Settings
    from buena_server.idempotency.redis_store import RedisStore
    from buena_server.services import services_of

    services = services_of(
        create_app(Settings(database_url="sqlite:///:memory:", redis_url=REDIS_URL))
    )
    store = services.idempotency.store
    limiter = services.rate_limiter
    assert isinstance(store, RedisStore)
    assert limiter is not None
    assert limiter.shared is not None
    assert store.client.link is limiter.shared.script.link


async def test_a_call_cancelled_as_its_connection_opens_stops() -> None:
    """A call cancelled at the moment the link's connection has opened ends cancelled: it
    never goes on to its reply as though nothing had happened (asyncio's wait_for on Python
    3.11 lost such a cancellation, and a shutdown awaiting the call could wait forever)."""
    server = await asyncio.start_server(AnswersOne().answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    link = RedisLink(RedisEndpoint.from_url(f"redis://127.0.0.1:{port}/0", 2.0))
    connected = asyncio.Event()
    connect = link._connect

    async def connect_and_tell() -> _Protocol:
        protocol = await connect()
        connected.set()  # the test runs next: the moment the connection has opened
        return protocol

    link._connect = connect_and_tell  # type: ignore[method-assign]
    client = ScriptClient(link, "return 1")
    try:
        call = asyncio.create_task(client.run(["k"], []))
        await connected.wait()
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        assert await client.run(["k"], []) == 1  # the link goes on serving
    finally:
        await link.close()
        server.close()
        await server.wait_closed()
        await asyncio.sleep(0)  # the handler sees the connection closed and closes its end
