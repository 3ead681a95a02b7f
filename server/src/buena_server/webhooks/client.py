"""The HTTP/1.1 client of deliveries: one POST at a time per connection, keep-alive
connections pooled per (scheme, host, port), answers parsed by httptools.

Hand-made in place of aiohttp's client, which cost ~35 % of a delivery's server CPU
(docs/design.md, "Hand-made parts"). It does only what a delivery needs and keeps every
limit the sender promises (``sender.py``): connections are opened only to addresses the
guarded resolver returned (or an address literal the guard accepted), so the check applies
to the connection itself (DNS rebinding); nothing is read from the environment (no proxy);
no redirect is followed; at most ``cap`` bytes of an answer are read, and a connection whose
answer was longer is closed rather than drained; the caller bounds the whole exchange (its
total timeout), the connect its own timeout.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast
from urllib.parse import quote, urlsplit

import aiohappyeyeballs
import httptools
from aiohttp.abc import AbstractResolver

from buena_server.webhooks.addresses import AddressRefused, host_refusal, parse_address

# How long a connection may stay idle and still be used (receivers close theirs too).
IDLE_SECONDS = 15.0
# How long a connect waits before the next address joins the race (aiohttp's default).
HAPPY_EYEBALLS_DELAY = 0.25

AddressInfo = tuple[socket.AddressFamily, socket.SocketKind, int, str, tuple[Any, ...]]

_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"


class ConnectFailed(OSError):
    """No connection could be opened to the URL's host."""


class AnswerFailed(OSError):
    """The connection was lost, or the answer was not HTTP, before its head arrived."""


@dataclass(frozen=True, slots=True)
class Target:
    """What a URL comes to on the wire (computed once per URL)."""

    key: tuple[str, str, int]  # scheme, host (IDNA), port: the pool a connection belongs to
    host: str  # IDNA-encoded, as resolved and sent in SNI
    port: int
    literal: bool  # the host is an address literal
    head: bytes  # request line and Host header


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    location: str | None
    body: bytes  # at most the cap


@lru_cache(maxsize=4096)
def target_of(url: str) -> Target:
    """The wire form of ``url`` (ValueError when it has no host, or one IDNA refuses)."""
    parts = urlsplit(url)
    scheme = parts.scheme
    raw = parts.hostname or ""
    if not raw:
        raise ValueError(f"no host in {url!r}")
    literal = parse_address(raw) is not None
    plain = literal or (raw.isascii() and _labels_fit(raw))
    host = raw if plain else raw.encode("idna").decode()
    port = parts.port or (443 if scheme == "https" else 80)
    shown = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        shown = f"{shown}:{port}"
    path = quote(parts.path or "/", safe=_PATH_SAFE)
    if parts.query:
        path = f"{path}?{quote(parts.query, safe=_QUERY_SAFE)}"
    head = f"POST {path} HTTP/1.1\r\nHost: {shown}\r\n".encode("ascii")
    return Target((scheme, host, port), host, port, literal, head)


def _labels_fit(host: str) -> bool:
    labels = host.rstrip(".").split(".")
    return all(0 < len(label) <= 63 for label in labels) and len(host) <= 253


class _Connection(asyncio.Protocol):
    """One keep-alive connection; an exchange at a time."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[None] | None = None
        self.lost = False
        self.idle_since = 0.0
        self.answered = False  # a byte of an answer came back since the last request
        self._reset()

    def _reset(self) -> None:
        self.status = 0
        self.location: str | None = None
        self.body = bytearray()
        self.complete = False  # the whole answer was read
        self.keep_alive = False  # and the server keeps the connection open after it
        self.over_cap = False

    # -- asyncio.Protocol -----------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but behave as one.
        self.transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self.waiter is not None and not self.waiter.done():
            if self.status:
                self.waiter.set_result(None)  # an answer that ends with the connection
            else:
                reason = f": {exc}" if exc else ""
                self.waiter.set_exception(AnswerFailed(f"connection closed{reason}"))

    def data_received(self, data: bytes) -> None:
        waiter = self.waiter
        if waiter is None or waiter.done():  # nothing was asked: not a server to keep
            self.close()
            return
        self.answered = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self.close()
            if not waiter.done():
                if self.status:
                    waiter.set_result(None)
                else:
                    waiter.set_exception(AnswerFailed(f"not an HTTP answer: {exc}"))
            return
        if self.over_cap:
            self.close()  # not drained: what follows may never end
            if not waiter.done():
                waiter.set_result(None)

    # -- httptools callbacks --------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == b"location":
            self.location = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        room = self.cap + 1 - len(self.body)
        if room > 0:
            self.body += body[:room]
        if len(self.body) > self.cap:
            self.over_cap = True

    def on_message_complete(self) -> None:
        if 100 <= self.status < 200 and self.status != 101:
            self._reset()  # an interim answer (100 Continue): the real one follows
            return
        self.complete = True
        # Asked now: the parser forgets it once the message is over.
        self.keep_alive = self.parser.should_keep_alive()
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    # -- use ------------------------------------------------------------------------

    def usable(self, now: float) -> bool:
        transport = self.transport
        return (
            not self.lost
            and transport is not None
            and not transport.is_closing()
            and now - self.idle_since < IDLE_SECONDS
        )

    async def exchange(self, request: bytes) -> Answer:
        assert self.transport is not None
        self._reset()
        self.answered = False
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        await self.waiter
        self.waiter = None
        body = bytes(self.body[: self.cap])
        return Answer(self.status, self.location, body)

    def reusable(self) -> bool:
        return self.complete and self.keep_alive and not self.lost

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def _on_kept(connection: _Connection, request: bytes) -> Answer | None:
    """The exchange on a kept connection, or None when the receiver had closed it (its close
    crossing the request) before a byte of an answer came back: then the request goes once
    more, on a new connection (a receiver that read it and closed without a word may see it
    twice: deliveries are at least once)."""
    try:
        return await connection.exchange(request)
    except AnswerFailed:
        if connection.answered:
            raise
    connection.close()
    return None


def _address_info(host: str, port: int) -> AddressInfo:
    """A resolved address as ``getaddrinfo`` gives it (what the connect race takes)."""
    if ":" in host:
        return (socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (host, port, 0, 0))
    return (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (host, port))


class DeliveryClient:
    """POSTs over pooled keep-alive connections; at most ``max_connections`` exchanges at
    once (a further one waits for a slot; its timeout starts once it has one)."""

    def __init__(
        self,
        resolver: AbstractResolver,
        *,
        allow_private: bool,
        connect_timeout: float,
        user_agent: str,
        max_connections: int,
        cap: int,
    ) -> None:
        self.resolver = resolver  # the guarded one: it refuses what may not be called
        self.allow_private = allow_private
        self.connect_timeout = connect_timeout
        self.max_connections = max_connections
        self.cap = cap
        self._common = (
            f"User-Agent: {user_agent}\r\nAccept: */*\r\nContent-Type: application/json\r\n"
        ).encode("latin-1")
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._slots: asyncio.Semaphore | None = None
        self._tls: ssl.SSLContext | None = None

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, seconds: float
    ) -> Answer:
        """The answer to a POST of ``body`` to ``url`` within ``seconds`` of its
        exchange starting. Raises ``AddressRefused``, ``ConnectFailed``, ``AnswerFailed``,
        ``ValueError`` (a URL or header that cannot be sent), ``TimeoutError``."""
        target = target_of(url)
        extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        if extra.count("\n") != len(headers) or extra.count("\r") != len(headers):
            raise ValueError("a header holds a line break")
        request = b"".join(
            (
                target.head,
                self._common,
                f"Content-Length: {len(body)}\r\n{extra}\r\n".encode("latin-1"),
                body,
            )
        )
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.max_connections)
        async with self._slots:
            async with asyncio.timeout(seconds):
                connection, answer = await self._exchange(target, request)
            if connection.reusable():
                connection.idle_since = asyncio.get_running_loop().time()
                idle = self._idle.setdefault(target.key, [])
                idle.append(connection)
                if len(idle) > self.max_connections:
                    idle.pop(0).close()
            else:
                connection.close()
            return answer

    async def _exchange(self, target: Target, request: bytes) -> tuple[_Connection, Answer]:
        """The answer, and the connection it came on: a kept one, else a new one."""
        kept = self._idle_connection(target.key)
        if kept is not None:
            try:
                answer = await _on_kept(kept, request)
            except BaseException:
                kept.close()
                raise
            if answer is not None:
                return kept, answer
        connection = await self._connect(target)
        try:
            return connection, await connection.exchange(request)
        except BaseException:
            connection.close()
            raise

    def _idle_connection(self, key: tuple[str, str, int]) -> _Connection | None:
        idle = self._idle.get(key)
        if not idle:
            return None
        now = asyncio.get_running_loop().time()
        while idle:
            connection = idle.pop()
            if connection.usable(now):
                return connection
            connection.close()
        return None

    async def _connect(self, target: Target) -> _Connection:
        loop = asyncio.get_running_loop()
        tls = None
        if target.key[0] == "https":
            if self._tls is None:
                self._tls = ssl.create_default_context()
            tls = self._tls
        infos: Sequence[AddressInfo]
        async with asyncio.timeout(self.connect_timeout):
            if target.literal:
                if not self.allow_private and (reason := host_refusal(target.host)):
                    raise AddressRefused(reason)
                # A literal needs no lookup (AI_NUMERICHOST: none is made).
                infos = await loop.getaddrinfo(
                    target.host,
                    target.port,
                    type=socket.SOCK_STREAM,
                    flags=socket.AI_NUMERICHOST,
                )
            else:
                try:
                    results = await self.resolver.resolve(
                        target.host, target.port, socket.AF_UNSPEC
                    )
                except AddressRefused:
                    raise
                except OSError as exc:
                    raise ConnectFailed(f"cannot resolve {target.host}: {exc}") from exc
                infos = [_address_info(r["host"], r["port"]) for r in results]
            if not infos:
                raise ConnectFailed(f"cannot connect to {target.host}: no address")
            try:
                # IPv6 and IPv4 addresses raced as aiohttp does ("happy eyeballs"): a
                # receiver whose first address drops packets is reached on the next.
                sock = await aiohappyeyeballs.start_connection(
                    infos, happy_eyeballs_delay=HAPPY_EYEBALLS_DELAY
                )
            except OSError as exc:
                reason = str(exc) or type(exc).__name__
                raise ConnectFailed(
                    f"cannot connect to {target.host}:{target.port} ({reason})"
                ) from exc
            try:
                _transport, connection = await loop.create_connection(
                    lambda: _Connection(self.cap),
                    sock=sock,
                    ssl=tls,
                    server_hostname=target.host if tls is not None else None,
                )
            except OSError as exc:  # the TLS handshake
                sock.close()
                reason = str(exc) or type(exc).__name__
                raise ConnectFailed(
                    f"cannot connect to {target.host}:{target.port} ({reason})"
                ) from exc
            except BaseException:
                sock.close()
                raise
            return connection

    def close(self) -> None:
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()
