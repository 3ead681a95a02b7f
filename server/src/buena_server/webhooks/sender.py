"""One outbound POST of a webhook delivery, with the limits a server calling URLs its users
chose must keep: connect and total timeouts, no redirect followed, no proxy from the
environment, at most ``BODY_CAP`` bytes of the answer read (and a short excerpt kept), and
every address checked (``addresses``) before the connection is opened."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from buena_server.kit.http_answers import excerpt, read_at_most
from buena_server.webhooks.addresses import (
    AddressRefused,
    GuardedResolver,
    host_refusal,
    parse_address,
    url_refusal,
    url_scheme_error,
)

# What is read of an answer at most (an excerpt of it is kept in ``last_error``).
BODY_CAP = 65_536


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one POST came to: delivered (a 2xx), or why not."""

    status_code: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.error is None


class SwappableResolver(AbstractResolver):
    """The resolver the guard wraps, replaceable while the session lives (tests point a
    hostname at an address of their choice this way)."""

    def __init__(self) -> None:
        # aiohttp's default, made on first use (it belongs to the running event loop).
        self.target: AbstractResolver | None = None

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if self.target is None:
            self.target = DefaultResolver()
        return await self.target.resolve(host, port, family)

    async def close(self) -> None:
        if self.target is not None:
            await self.target.close()


class WebhookSender:
    """The process's one HTTP client for deliveries (its session opened on first use, in the
    running event loop)."""

    def __init__(
        self,
        *,
        allow_private: bool,
        connect_timeout: float,
        timeout: float,
        user_agent: str,
        max_connections: int = 100,
    ) -> None:
        self.allow_private = allow_private
        # At least one per job the worker runs at once: a delivery never waits for a
        # connection (that wait would count against its timeout).
        self.max_connections = max_connections
        self.connect_timeout = connect_timeout
        self.timeout = aiohttp.ClientTimeout(
            total=timeout, connect=connect_timeout, sock_connect=connect_timeout
        )
        self.user_agent = user_agent
        self.resolver = SwappableResolver()
        self._session: aiohttp.ClientSession | None = None

    async def refusal(self, url: str) -> str | None:
        """Why a webhook may not have ``url`` (scheme, or a refused host or address)."""
        return url_scheme_error(url, allow_private=self.allow_private) or await url_refusal(
            url,
            self.resolver,
            allow_private=self.allow_private,
            lookup_seconds=self.connect_timeout,
        )

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                resolver=GuardedResolver(self.resolver, allow_private=self.allow_private),
                # Every new connection resolves again, through the guard.
                use_dns_cache=False,
                limit=self.max_connections,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=self.timeout,
                trust_env=False,
                auto_decompress=False,
                headers={"User-Agent": self.user_agent},
            )
        return self._session

    async def send(self, url: str, body: bytes, headers: dict[str, str]) -> Attempt:
        if (error := url_scheme_error(url, allow_private=self.allow_private)) is not None:
            return Attempt(None, f"refused: {error}")
        host = urlsplit(url).hostname or ""
        # aiohttp connects to an address literal without asking the resolver.
        reason = host_refusal(host) if not self.allow_private else None
        if reason is not None and parse_address(host) is not None:
            return Attempt(None, f"refused: {reason}")
        session = self._open()
        try:
            async with session.post(
                url,
                data=body,
                headers={"Content-Type": "application/json", **headers},
                allow_redirects=False,
            ) as response:
                excerpt = await _excerpt(response)
                status = response.status
                location = response.headers.get("Location")
        except TimeoutError:
            return Attempt(None, f"timed out after {self.timeout.total:g} s")
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, AddressRefused):
                return Attempt(None, str(exc.os_error))
            return Attempt(None, f"connection failed: {exc}")
        except AddressRefused as exc:
            return Attempt(None, str(exc))
        except (aiohttp.ClientError, ValueError) as exc:
            # ValueError: a host the resolver cannot encode (IDNA), among others.
            return Attempt(None, f"request failed: {type(exc).__name__}: {exc}")
        if 200 <= status < 300:
            return Attempt(status, None)
        if 300 <= status < 400:
            return Attempt(status, f"HTTP {status}: redirect to {location!r} not followed")
        return Attempt(status, f"HTTP {status}" + (f": {excerpt}" if excerpt else ""))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


async def _excerpt(response: aiohttp.ClientResponse) -> str:
    """The start of the answer, reading at most ``BODY_CAP`` bytes of it."""
    body, _complete = await read_at_most(response, BODY_CAP)
    return excerpt(body)
