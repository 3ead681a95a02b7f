"""Real HTTP receivers for webhook tests: aiohttp servers on 127.0.0.1 that record what
they are sent and answer as the test says; a resolver that points names at chosen
addresses; and the signature check a receiver would run."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    query: dict[str, str] = field(default_factory=dict)


Answer = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Receiver:
    """What arrived, in order; ``answers`` (consumed first to last) say how to answer each
    request, then ``default`` answers."""

    port: int = 0
    received: list[Received] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    default: Answer | None = None
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.received.append(
            Received(request.path, dict(request.headers), await request.read(), dict(request.query))
        )
        self.arrived.set()
        answer = self.answers.pop(0) if self.answers else self.default
        if answer is None:
            return web.Response(status=200, text="ok")
        return await answer(request)

    async def wait_for(self, count: int, seconds: float = 10.0) -> None:
        async with asyncio.timeout(seconds):
            while len(self.received) < count:
                self.arrived.clear()
                await self.arrived.wait()


def status(code: int, text: str = "", headers: dict[str, str] | None = None) -> Answer:
    async def answer(_request: web.Request) -> web.StreamResponse:
        return web.Response(status=code, text=text, headers=headers)

    return answer


@asynccontextmanager
async def receiving(receiver: Receiver | None = None) -> AsyncIterator[Receiver]:
    """``receiver`` served on 127.0.0.1 (a free port) for the block."""
    receiver = receiver or Receiver()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", receiver.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None
    receiver.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
    try:
        yield receiver
    finally:
        await runner.cleanup()


class PointingResolver(AbstractResolver):
    """Resolves each name of ``names`` to its address (what a DNS rebinding attacker's
    server would answer); any other name does not resolve."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host not in self.names:
            raise OSError(f"{host} does not resolve")
        address = self.names[host]
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]

    async def close(self) -> None:
        return None


def signatures_valid(header: str, body: bytes, secret: str, *, now: int | None = None) -> bool:
    """A receiver's check of ``Buena-Signature`` with one secret (written here from the
    contract, not with the server's code): any ``v1`` matches, the timestamp recent."""
    parts = [item.split("=", 1) for item in header.split(",")]
    timestamps = [value for name, value in parts if name == "t"]
    if len(timestamps) != 1:
        return False
    expected = hmac.new(
        secret.encode(), timestamps[0].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    matched = any(name == "v1" and hmac.compare_digest(value, expected) for name, value in parts)
    if now is not None and abs(now - int(timestamps[0])) > 300:
        return False
    return matched


def v1_values(header: str) -> list[str]:
    return [item.split("=", 1)[1] for item in header.split(",") if item.startswith("v1=")]


REFUSED_ADDRESSES: dict[str, str] = {
    "loopback": "127.0.0.1",
    "loopback, IPv6": "::1",
    "private 10/8": "10.0.0.1",
    "private 172.16/12": "172.16.5.4",
    "private 192.168/16": "192.168.1.1",
    "unique local (ULA)": "fd12:3456::1",
    "link-local": "169.254.10.20",
    "link-local, IPv6": "fe80::1",
    "cloud metadata": "169.254.169.254",
    "cloud metadata, IPv6 (AWS)": "fd00:ec2::254",
    "unspecified": "0.0.0.0",  # noqa: S104  # refused, never bound
    "unspecified, IPv6": "::",
    "multicast": "224.0.0.1",
    "multicast, IPv6": "ff02::1",
    "reserved": "240.0.0.1",
    "broadcast": "255.255.255.255",
    "shared (CGNAT)": "100.64.0.1",
    "IPv4-mapped loopback": "::ffff:127.0.0.1",
    "IPv4-mapped private": "::ffff:10.0.0.1",
    "IPv4-mapped metadata": "::ffff:169.254.169.254",
}


def url_for(address: str, port: int | None = None, scheme: str = "https") -> str:
    host = f"[{address}]" if ":" in address else address
    return f"{scheme}://{host}{f':{port}' if port else ''}/hook"


def header_of(received: Received, name: str) -> str:
    for key, value in received.headers.items():
        if key.lower() == name.lower():
            return value
    raise KeyError(name)


def as_json(received: Received) -> Any:
    return json.loads(received.body)
