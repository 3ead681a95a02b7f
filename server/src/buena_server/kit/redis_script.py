"""Lua scripts run on Redis per request, over one pipelined connection per process.

Every authenticated request runs the rate-limit script (ratelimit.py). Through redis-py's
asyncio client, even with hiredis, a call costs ~362k instructions against this client's
~68k (connection pool, retry and timeout wrappers, stream reader), and target 1 runs at
~0.67 of the throughput (docs/decisions/redis-client.md).
This client keeps one connection, writes the calls made in one pass of the event loop together
at the end of that pass (calls from concurrent requests are pipelined: Redis answers them in
order), and parses the replies in the protocol's ``data_received``, waking the calls of one
write together once all their replies are in. Everything else (health pings, revocations,
tests) goes through redis-py.

A reply that does not come within ``timeout`` closes the connection and fails every call on
it (a late reply could not be matched to its call any more); the next call reconnects. All
failures are ``OSError`` (``ConnectionError``, ``TimeoutError``) or :class:`ReplyError`.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import deque
from collections.abc import Awaitable
from typing import Any

from buena_server.kit.redis_connection import RedisEndpoint

_CRLF = b"\r\n"


class ReplyError(Exception):
    """Redis answered with an error."""


class IncompleteReply(Exception):
    pass


def pack(*parts: bytes | str | int) -> bytes:
    """A command in RESP: an array of bulk strings."""
    out = [b"*%d\r\n" % len(parts)]
    for part in parts:
        raw = part if isinstance(part, bytes) else str(part).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(raw), raw))
    return b"".join(out)


def parse(buffer: bytes | bytearray, pos: int = 0) -> tuple[Any, int]:
    """One RESP2 reply starting at ``pos``: (value, position after it). Raises
    IncompleteReply when the buffer does not hold all of it yet."""
    end = buffer.find(_CRLF, pos)
    if end < 0:
        raise IncompleteReply
    kind = buffer[pos : pos + 1]
    line = bytes(buffer[pos + 1 : end])
    after = end + 2
    if kind == b":":
        return int(line), after
    if kind == b"$":
        length = int(line)
        if length < 0:
            return None, after
        if len(buffer) < after + length + 2:
            raise IncompleteReply
        return bytes(buffer[after : after + length]), after + length + 2
    if kind == b"*":
        count = int(line)
        if count < 0:
            return None, after
        items = []
        for _ in range(count):
            item, after = parse(buffer, after)
            items.append(item)
        return items, after
    if kind == b"+":
        return line.decode(), after
    if kind == b"-":
        return ReplyError(line.decode()), after
    raise ReplyError(f"unexpected reply from Redis: {bytes(buffer[pos : pos + 32])!r}")


class _Protocol(asyncio.Protocol):
    def __init__(self, timeout: float) -> None:
        # asyncio.Transport, or uvloop's transport (which does not subclass it).
        self.transport: Any = None
        self.buffer = bytearray()
        self.waiters: deque[asyncio.Future[Any]] = deque()
        self.lost: Exception | None = None
        self.timeout = timeout
        # One watchdog per connection rather than a timer per call: when it fires, it fails
        # the connection if the oldest call has waited ``timeout``, else it looks again when
        # that call's time is up. ``deadlines`` runs parallel to ``waiters``.
        self.deadlines: deque[float] = deque()
        self._watchdog: asyncio.TimerHandle | None = None
        # Commands sent in this pass of the event loop, written together at its end: a write
        # to a socket is a system call that also delivers the packet (to a local Redis, in
        # the same call), ~30 µs here, so the calls of a busy pass share one.
        self._unwritten: list[bytes] = []
        # How many calls each of those writes holds, oldest first: the replies to one write
        # are handed over together (see data_received).
        self.batches: deque[int] = deque()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        # The replies to one write are handed over once all of them are here. Redis reads at
        # most 16 KB at a time and answers each part as it goes, so the replies to a larger
        # write can come in two reads; woken in two passes, the calls of one pass would then
        # go on in two groups, each paying its own round trips (Redis, PostgreSQL) from then
        # on. Waiting for the rest costs one Redis pass (and a call whose reply came fails
        # with the others of its write if the rest never comes: a timeout).
        self.buffer += data
        pos = 0
        waiters, batches = self.waiters, self.batches
        try:
            while batches and pos < len(self.buffer):
                end, replies = pos, []
                for _ in range(batches[0]):
                    reply, end = parse(self.buffer, end)
                    replies.append(reply)
                pos = end
                batches.popleft()
                for reply in replies:
                    waiter = waiters.popleft()
                    self.deadlines.popleft()
                    if not waiter.done():
                        waiter.set_result(reply)
        except IncompleteReply:
            pass
        except ReplyError as exc:  # a malformed stream: nothing after it can be trusted
            self.fail(ConnectionError(str(exc)))
            return
        del self.buffer[:pos]

    def connection_lost(self, exc: Exception | None) -> None:
        self.fail(ConnectionError(f"connection to Redis lost: {exc or 'closed'}"))

    def fail(self, exc: Exception) -> None:
        self.lost = exc
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        self.deadlines.clear()
        self.batches.clear()
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_exception(exc)
        if self.transport is not None:
            self.transport.close()

    def send(self, command: bytes) -> asyncio.Future[Any]:
        if self.lost is not None or self.transport is None or self.transport.is_closing():
            raise ConnectionError("connection to Redis is closed")
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[Any] = loop.create_future()
        self.waiters.append(waiter)
        self.deadlines.append(loop.time() + self.timeout)
        if self._watchdog is None:
            self._watchdog = loop.call_at(self.deadlines[0], self._watch)
        if not self._unwritten:
            loop.call_soon(self._write)
            self.batches.append(0)
        self.batches[-1] += 1
        self._unwritten.append(command)
        return waiter

    def _write(self) -> None:
        commands, self._unwritten = self._unwritten, []
        if self.lost is None and self.transport is not None and not self.transport.is_closing():
            self.transport.write(b"".join(commands))

    def _watch(self) -> None:
        self._watchdog = None
        if not self.deadlines:
            return
        loop = asyncio.get_running_loop()
        if self.deadlines[0] <= loop.time():
            self.fail(TimeoutError(f"Redis did not answer in {self.timeout}s"))
        else:
            self._watchdog = loop.call_at(self.deadlines[0], self._watch)


class Call:
    """One call of the script with fixed keys and arguments, packed once and sent as often
    as needed (the rate limiter keeps one per API key)."""

    __slots__ = ("_eval", "evalsha", "keys_and_args", "script")

    def __init__(self, script: bytes, sha: str, keys: list[str], args: list[Any]) -> None:
        self.script = script
        self.keys_and_args = (len(keys), *keys, *args)
        self.evalsha = pack(b"EVALSHA", sha, *self.keys_and_args)
        self._eval: bytes | None = None

    @property
    def eval(self) -> bytes:
        """The call with the script itself, for a Redis that does not have it yet."""
        if self._eval is None:
            self._eval = pack(b"EVAL", self.script, *self.keys_and_args)
        return self._eval


class RedisLink:
    """The one pipelined connection to the Redis at ``endpoint`` (address, credentials,
    database and TLS context as redis-py reads the URL: redis_connection.py) that every
    script client of a process shares, so that the calls of one pass of the event loop, rate
    limits and idempotency claims alike, go out in one write and come back in one read."""

    def __init__(self, endpoint: RedisEndpoint) -> None:
        self.endpoint = endpoint
        self.timeout = endpoint.timeout
        self._protocol: _Protocol | None = None
        self._connecting = asyncio.Lock()

    def send(self, command: bytes) -> Awaitable[Any]:
        """The reply to ``command``, to await (a ``ReplyError`` is returned, not raised).
        Connected, that is the protocol's future itself: no coroutine per call."""
        protocol = self._protocol
        if protocol is None or protocol.lost is not None:
            return self._send_connecting(command)
        return protocol.send(command)

    async def _send_connecting(self, command: bytes) -> Any:
        protocol = await self._connection()
        return await protocol.send(command)

    async def close(self) -> None:
        if self._protocol is not None:
            self._protocol.fail(ConnectionError("client closed"))
            self._protocol = None

    async def _connection(self) -> _Protocol:
        """A live connection, opened by whichever waiting call gets the lock first (``send``
        comes here only when it has none)."""
        async with self._connecting:
            if self._protocol is not None and self._protocol.lost is None:
                return self._protocol
            # asyncio.timeout, not wait_for, which can lose a cancellation (pool.py).
            async with asyncio.timeout(self.timeout):
                self._protocol = await self._connect()
            return self._protocol

    async def _connect(self) -> _Protocol:
        loop = asyncio.get_running_loop()
        endpoint = self.endpoint
        _transport, protocol = await loop.create_connection(
            lambda: _Protocol(self.timeout),
            endpoint.host,
            endpoint.port,
            ssl=endpoint.ssl_context(),
        )
        setup: list[bytes] = []
        if endpoint.password is not None:
            user = (endpoint.username,) if endpoint.username else ()
            setup.append(pack(b"AUTH", *user, endpoint.password))
        if endpoint.db:
            setup.append(pack(b"SELECT", endpoint.db))
        for command in setup:
            reply = await protocol.send(command)
            if isinstance(reply, ReplyError):
                protocol.fail(ConnectionError(str(reply)))
                raise ConnectionError(f"Redis refused the connection: {reply}")
        return protocol


class ScriptClient:
    """Runs one Lua script over a :class:`RedisLink`: the process's shared one, or, given an
    endpoint, a connection of its own."""

    def __init__(self, link: RedisLink | RedisEndpoint, script: str) -> None:
        self.link = link if isinstance(link, RedisLink) else RedisLink(link)
        self.script = script.encode()
        self.sha = hashlib.sha1(self.script).hexdigest()  # noqa: S324 (Redis's script id)

    def call(self, keys: list[str], args: list[Any]) -> Call:
        return Call(self.script, self.sha, keys, args)

    async def run(self, keys: list[str], args: list[Any]) -> Any:
        return await self.send(self.call(keys, args))

    async def send(self, call: Call) -> Any:
        reply = await self.link.send(call.evalsha)
        if isinstance(reply, ReplyError) and str(reply).startswith("NOSCRIPT"):
            reply = await self.link.send(call.eval)
        if isinstance(reply, ReplyError):
            raise reply
        return reply

    async def close(self) -> None:
        """Close the connection (the shared one too: its owner's shutdown does this)."""
        await self.link.close()
